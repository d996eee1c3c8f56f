// The streams bench's other two plans for Java Kafka Streams:
//   window  <props> <input> <output>: per key, a count per tumbling 1 s window (no grace), every update sent as
//           "<key>@<window start>" -> Long.
//   restore <props> <input>:          a count into the persistent store "restore-store"; its changelog is filled
//           before the start, so the instance restores it before it runs.
// Prints "RUNNING <epoch ms>" when the instance reaches RUNNING, and RESTORE_START / RESTORE_END <epoch ms> for
// each changelog partition restored. Run with the kafka-streams jars:
//   java -cp 'libs/*' WindowRestoreDemo.java window|restore streams.properties ...
import java.io.FileInputStream;
import java.time.Duration;
import java.util.Properties;
import java.util.concurrent.CountDownLatch;

import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.kstream.Materialized;
import org.apache.kafka.streams.kstream.Produced;
import org.apache.kafka.streams.kstream.TimeWindows;
import org.apache.kafka.streams.processor.StateRestoreListener;

public final class WindowRestoreDemo {
    public static void main(String[] args) throws Exception {
        Properties props = new Properties();
        try (FileInputStream in = new FileInputStream(args[1])) {
            props.load(in);
        }
        props.putIfAbsent(StreamsConfig.STATESTORE_CACHE_MAX_BYTES_CONFIG, 0);
        props.putIfAbsent(StreamsConfig.DEFAULT_KEY_SERDE_CLASS_CONFIG, Serdes.String().getClass().getName());
        props.putIfAbsent(StreamsConfig.DEFAULT_VALUE_SERDE_CLASS_CONFIG, Serdes.String().getClass().getName());
        props.putIfAbsent(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        StreamsBuilder builder = new StreamsBuilder();
        if (args[0].equals("window")) {
            builder.<String, String>stream(args[2]).groupByKey()
                .windowedBy(TimeWindows.ofSizeWithNoGrace(Duration.ofSeconds(1)))
                .count()
                .toStream()
                .map((wk, n) -> KeyValue.pair(wk.key() + "@" + wk.window().start(), n))
                .to(args[3], Produced.with(Serdes.String(), Serdes.Long()));
        } else {
            builder.<String, String>stream(args[2]).groupByKey().count(Materialized.as("restore-store"));
        }
        KafkaStreams streams = new KafkaStreams(builder.build(), props);
        streams.setGlobalStateRestoreListener(new StateRestoreListener() {
            @Override
            public void onRestoreStart(TopicPartition tp, String store, long start, long end) {
                System.out.println("RESTORE_START " + System.currentTimeMillis());
            }

            @Override
            public void onBatchRestored(TopicPartition tp, String store, long batchEnd, long restored) {
            }

            @Override
            public void onRestoreEnd(TopicPartition tp, String store, long total) {
                System.out.println("RESTORE_END " + System.currentTimeMillis());
            }
        });
        streams.setStateListener((now, before) -> {
            if (now == KafkaStreams.State.RUNNING) {
                System.out.println("RUNNING " + System.currentTimeMillis());
                System.out.flush();
            }
        });
        CountDownLatch latch = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            streams.close();
            latch.countDown();
        }));
        streams.start();
        latch.await();
    }
}
