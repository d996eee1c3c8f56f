// Kafka Streams 3.9's own state-store byte layouts, printed for tests/integration/test_streams_state_java_golden.py:
// the window and session store keys (stores and changelogs), timestamped values, and the .checkpoint file.
// Usage: java -cp <kafka-streams jar>:<kafka libs>/* StateGolden.java <checkpoint to write> <checkpoint to read>
import java.io.File;
import java.lang.reflect.Constructor;
import java.util.HashMap;
import java.util.Map;
import java.util.TreeMap;

import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.serialization.Serializer;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.kstream.Windowed;
import org.apache.kafka.streams.kstream.internals.SessionWindow;
import org.apache.kafka.streams.state.ValueAndTimestamp;
import org.apache.kafka.streams.state.internals.OffsetCheckpoint;
import org.apache.kafka.streams.state.internals.SessionKeySchema;
import org.apache.kafka.streams.state.internals.ValueAndTimestampSerializer;
import org.apache.kafka.streams.state.internals.WindowKeySchema;

public class StateGolden {
    static String hex(byte[] b) {
        StringBuilder sb = new StringBuilder();
        for (byte x : b) sb.append(String.format("%02x", x));
        return sb.toString();
    }

    @SuppressWarnings("unchecked")
    public static void main(String[] args) throws Exception {
        Bytes word = Bytes.wrap("word".getBytes("UTF-8"));
        System.out.println("window_key " + hex(WindowKeySchema.toStoreKeyBinary(word, 1700000000000L, 7).get()));
        System.out.println("window_key_seq0 " + hex(WindowKeySchema.toStoreKeyBinary(word, 0L, 0).get()));
        Windowed<Bytes> session = new Windowed<>(Bytes.wrap(new byte[] {0, 0, 0, 0, 0, 0, 0, 42}), new SessionWindow(1000L, 5000L));
        System.out.println("session_key " + hex(SessionKeySchema.toBinary(session).get()));
        Constructor<?> ctor = ValueAndTimestampSerializer.class.getDeclaredConstructor(Serializer.class);
        ctor.setAccessible(true);
        Serializer<ValueAndTimestamp<Long>> vat = (Serializer<ValueAndTimestamp<Long>>) ctor.newInstance(Serdes.Long().serializer());
        System.out.println("value_and_timestamp " + hex(vat.serialize("t", ValueAndTimestamp.make(42L, 1700000000000L))));

        Map<TopicPartition, Long> offsets = new HashMap<>();
        offsets.put(new TopicPartition("app-counts-changelog", 0), 1234L);
        offsets.put(new TopicPartition("app-counts-changelog", 3), 0L);
        new OffsetCheckpoint(new File(args[0])).write(offsets);
        Map<String, Long> read = new TreeMap<>();
        for (Map.Entry<TopicPartition, Long> e : new OffsetCheckpoint(new File(args[1])).read().entrySet()) {
            read.put(e.getKey().topic() + " " + e.getKey().partition(), e.getValue());
        }
        for (Map.Entry<String, Long> e : read.entrySet()) {
            System.out.println("checkpoint_read " + e.getKey() + " " + e.getValue());
        }
    }
}
