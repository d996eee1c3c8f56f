// Punctuation as Kafka Streams 3.9 runs it, through its TopologyTestDriver (each record processed, then stream-time
// punctuators checked; wall-clock ones on advanceWallClockTime). Prints one line per output record:
// "<scenario> <key> <value> <timestamp>". tests/unit/streams/test_punctuation.py replays the scenarios on Strom.

import java.time.Duration;
import java.time.Instant;
import java.util.Properties;

import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.processor.Cancellable;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.ContextualProcessor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.test.TestRecord;

public class PunctuationGolden {
    static class Ticker extends ContextualProcessor<String, String, String, String> {
        private Cancellable stream;

        @Override
        public void init(final ProcessorContext<String, String> context) {
            super.init(context);
            stream = context.schedule(Duration.ofMillis(1000), PunctuationType.STREAM_TIME,
                ts -> context.forward(new Record<>("stream", Long.toString(context.currentStreamTimeMs()), ts)));
            context.schedule(Duration.ofMillis(500), PunctuationType.WALL_CLOCK_TIME,
                ts -> context.forward(new Record<>("wall", Long.toString(context.currentSystemTimeMs()), ts)));
        }

        @Override
        public void process(final Record<String, String> record) {
            context().forward(record);
            if ("cancel".equals(record.value())) {
                stream.cancel();
            }
            if ("schedule".equals(record.value())) {
                context().schedule(Duration.ofMillis(300), PunctuationType.STREAM_TIME,
                    ts -> context().forward(new Record<>("late", Long.toString(ts), ts)));
            }
        }
    }

    public static void main(final String[] args) {
        final Topology topology = new Topology();
        topology.addSource("in", new StringDeserializer(), new StringDeserializer(), "in");
        topology.addProcessor("ticker", Ticker::new, "in");
        topology.addSink("out", "out", new StringSerializer(), new StringSerializer(), "ticker");
        final Properties props = new Properties();
        props.put(StreamsConfig.APPLICATION_ID_CONFIG, "punctuation");
        props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "dummy:1234");
        props.put(StreamsConfig.STATE_DIR_CONFIG, System.getProperty("java.io.tmpdir") + "/punctuation-golden");
        try (TopologyTestDriver driver = new TopologyTestDriver(topology, props, Instant.ofEpochMilli(10_000))) {
            final TestInputTopic<String, String> in = driver.createInputTopic("in", new StringSerializer(), new StringSerializer());
            final TestOutputTopic<String, String> out = driver.createOutputTopic("out", new StringDeserializer(), new StringDeserializer());
            final long[][] steps = {
                {1500, 0}, {1700, 0}, {3200, 0}, {3300, 0}, {9000, 700}, {8000, 0}, {12001, 2000}, {12002, 0}, {12999, 0}, {13000, 0},
            };
            for (final long[] step : steps) {
                in.pipeInput(new TestRecord<>("k", "v", Instant.ofEpochMilli(step[0])));
                if (step[1] > 0) {
                    driver.advanceWallClockTime(Duration.ofMillis(step[1]));
                }
            }
            in.pipeInput(new TestRecord<>("k", "schedule", Instant.ofEpochMilli(13100)));
            in.pipeInput(new TestRecord<>("k", "v", Instant.ofEpochMilli(13500)));
            in.pipeInput(new TestRecord<>("k", "cancel", Instant.ofEpochMilli(14600)));
            in.pipeInput(new TestRecord<>("k", "v", Instant.ofEpochMilli(16000)));
            driver.advanceWallClockTime(Duration.ofMillis(499));
            driver.advanceWallClockTime(Duration.ofMillis(1));
            for (final TestRecord<String, String> r : out.readRecordsToList()) {
                System.out.print(r.key() + " " + r.value() + " " + r.timestamp() + "\n");
            }
        }
    }
}
