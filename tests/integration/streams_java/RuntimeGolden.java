// Kafka Streams 3.9's own bytes of what a running task writes besides stores, printed for
// tests/integration/test_streams_runtime_java_golden.py: the commit metadata of input offsets
// (TopicPartitionMetadata), read back both ways.
// Usage: java -cp <kafka-streams jar>:<kafka libs>/* RuntimeGolden.java <Strom's metadata strings...>
import java.util.HashMap;
import java.util.Map;
import java.util.TreeMap;

import org.apache.kafka.streams.processor.internals.ProcessorMetadata;
import org.apache.kafka.streams.processor.internals.TopicPartitionMetadata;

public class RuntimeGolden {
    public static void main(String[] args) throws Exception {
        System.out.println("metadata_123456 " + new TopicPartitionMetadata(123456L, new ProcessorMetadata()).encode());
        System.out.println("metadata_unknown " + new TopicPartitionMetadata(-1L, new ProcessorMetadata()).encode());
        Map<String, Long> meta = new HashMap<>();
        meta.put("a", 3L);
        System.out.println("metadata_7000_a3 " + new TopicPartitionMetadata(7000L, new ProcessorMetadata(meta)).encode());
        for (String strom : args) {
            TopicPartitionMetadata read = TopicPartitionMetadata.decode(strom);
            Map<String, Long> entries = new TreeMap<>();
            for (String key : new String[] {"a", "x", "yz"}) {
                Long value = read.processorMetadata().get(key);
                if (value != null) entries.put(key, value);
            }
            System.out.println("metadata_read " + strom + " " + read.partitionTime() + " " + entries);
        }
    }
}
