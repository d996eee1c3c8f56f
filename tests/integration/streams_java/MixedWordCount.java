// The word count of tests/unit/streams/dsl_output_programs.py run by Java's KafkaStreams until killed, for the
// mixed group test (tests/integration/streams/test_mixed_java_group.py): one Java and one Strom instance share
// one application.id. Prints "TASKS <active task ids>" whenever its thread's assignment changes.
// Compiles against Kafka Streams 2.8 and 3.x.
// Usage: java -cp <kafka-streams libs>/* MixedWordCount.java BOOTSTRAP APP_ID STATE_DIR GUARANTEE

import java.util.Arrays;
import java.util.Properties;
import java.util.TreeSet;

import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.StreamsConfig;

public class MixedWordCount {
    public static void main(String[] args) throws Exception {
        StreamsBuilder b = new StreamsBuilder();
        b.<String, String>stream("in")
            .flatMapValues(v -> Arrays.asList(v.toLowerCase().split("\\W+|_")))
            .groupBy((k, w) -> w).count().toStream().mapValues(v -> v == null ? null : String.valueOf(v)).to("out");
        Properties props = new Properties();
        props.put(StreamsConfig.APPLICATION_ID_CONFIG, args[1]);
        props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, args[0]);
        props.put(StreamsConfig.STATE_DIR_CONFIG, args[2]);
        props.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, args[3]);
        props.put(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, 200);
        props.put(StreamsConfig.DEFAULT_KEY_SERDE_CLASS_CONFIG, Serdes.StringSerde.class);
        props.put(StreamsConfig.DEFAULT_VALUE_SERDE_CLASS_CONFIG, Serdes.StringSerde.class);
        props.put("consumer.session.timeout.ms", 10000);
        props.put("consumer.heartbeat.interval.ms", 1000);
        KafkaStreams streams = new KafkaStreams(b.build(), props);
        streams.setStateListener((n, o) -> System.out.println("STATE " + n));
        streams.start();
        String last = "";
        while (true) {
            TreeSet<String> tasks = new TreeSet<>();
            for (var t : streams.localThreadsMetadata()) t.activeTasks().forEach(task -> tasks.add(task.taskId().toString()));
            String now = tasks.toString();
            if (!now.equals(last)) {
                System.out.println("TASKS " + now);
                System.out.flush();
                last = now;
            }
            Thread.sleep(200);
        }
    }
}
