// A Processor API application run by Kafka Streams 3.9 itself; tests/integration/test_streams_processor_api.py runs
// the same topology in Strom Streams on the same input and compares the output records (keys, values, timestamps,
// headers). Args: bootstrap servers, application id, input topic, output prefix.

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Locale;
import java.util.Properties;
import java.util.concurrent.CountDownLatch;

import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.ContextualProcessor;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.Stores;

public class ProcessorApiApp {
    static class WordCounter extends ContextualProcessor<String, String, String, Object> {
        private KeyValueStore<String, Long> counts;

        @Override
        public void init(final ProcessorContext<String, Object> context) {
            super.init(context);
            counts = context.getStateStore("Counts");
            context.schedule(Duration.ofMillis(1000), PunctuationType.STREAM_TIME,
                ts -> context.forward(new Record<>("tick", Long.toString(ts), ts), "Ticks-Sink"));
        }

        @Override
        public void process(final Record<String, String> record) {
            final String source = context().recordMetadata().map(m -> m.topic() + "/" + m.partition() + "/" + m.offset()).orElse("none");
            for (final String word : record.value().toLowerCase(Locale.ROOT).split(" ")) {
                if (word.isEmpty()) {
                    continue;
                }
                final Long old = counts.get(word);
                final long count = old == null ? 1L : old + 1L;
                counts.put(word, count);
                final Record<String, Object> out = record.withKey(word).withValue((Object) count);
                out.headers().add("source", source.getBytes(StandardCharsets.UTF_8));
                context().forward(out, "Counts-Sink");
                if (word.length() > 5) {
                    context().forward(record.withKey(word).withValue((Object) word.toUpperCase(Locale.ROOT))
                        .withTimestamp(record.timestamp() + 1), "Long-Sink");
                }
            }
        }
    }

    public static void main(final String[] args) throws Exception {
        final Properties props = new Properties();
        props.put(StreamsConfig.APPLICATION_ID_CONFIG, args[1]);
        props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, args[0]);
        props.put(StreamsConfig.STATESTORE_CACHE_MAX_BYTES_CONFIG, 0);
        props.put(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, 100);
        props.put(StreamsConfig.STATE_DIR_CONFIG, System.getProperty("user.dir") + "/state");
        props.put(StreamsConfig.DEFAULT_KEY_SERDE_CLASS_CONFIG, Serdes.String().getClass());
        props.put(StreamsConfig.DEFAULT_VALUE_SERDE_CLASS_CONFIG, Serdes.String().getClass());
        props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");

        final Topology topology = new Topology();
        topology.addSource("Source", args[2]);
        topology.addProcessor("Process", WordCounter::new, "Source");
        topology.addStateStore(Stores.keyValueStoreBuilder(Stores.inMemoryKeyValueStore("Counts"), Serdes.String(), Serdes.Long()), "Process");
        topology.addSink("Counts-Sink", args[3] + "-counts", Serdes.String().serializer(), Serdes.Long().serializer(), "Process");
        topology.addSink("Long-Sink", args[3] + "-long", "Process");
        topology.addSink("Ticks-Sink", args[3] + "-ticks", "Process");
        System.out.print(topology.describe());
        System.out.flush();

        final KafkaStreams streams = new KafkaStreams(topology, props);
        final CountDownLatch latch = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            streams.close();
            latch.countDown();
        }));
        streams.start();
        latch.await();
    }
}
