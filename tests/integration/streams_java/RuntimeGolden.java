// Kafka Streams 3.9's own bytes of what a running task writes besides its stores' plain records, printed for
// tests/integration/test_streams_runtime_java_golden.py: the commit metadata of input offsets
// (TopicPartitionMetadata), the suppress buffer's changelog values (BufferValue + record context + buffer time),
// the foreign-key join's subscription and response wrappers and its value hash (Murmur3.hash128). Values Strom
// wrote come in as arguments ("kind:hex-or-text") and are printed as Java reads them.
// Usage: java -cp <kafka-streams jar>:<kafka libs>/* RuntimeGolden.java [kind:value ...]
import java.lang.reflect.Constructor;
import java.lang.reflect.Method;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.TreeMap;

import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.kstream.internals.foreignkeyjoin.SubscriptionResponseWrapper;
import org.apache.kafka.streams.kstream.internals.foreignkeyjoin.SubscriptionResponseWrapperSerde;
import org.apache.kafka.streams.kstream.internals.foreignkeyjoin.SubscriptionWrapper;
import org.apache.kafka.streams.kstream.internals.foreignkeyjoin.SubscriptionWrapperSerde;
import org.apache.kafka.streams.processor.internals.ProcessorMetadata;
import org.apache.kafka.streams.processor.internals.ProcessorRecordContext;
import org.apache.kafka.streams.processor.internals.TopicPartitionMetadata;
import org.apache.kafka.streams.state.internals.BufferValue;
import org.apache.kafka.streams.state.internals.Murmur3;

public class RuntimeGolden {
    static String hex(byte[] b) {
        if (b == null) return "null";
        StringBuilder sb = new StringBuilder();
        for (byte x : b) sb.append(String.format("%02x", x));
        return sb.toString();
    }

    static byte[] unhex(String s) {
        byte[] out = new byte[s.length() / 2];
        for (int i = 0; i < out.length; i++) out[i] = (byte) Integer.parseInt(s.substring(2 * i, 2 * i + 2), 16);
        return out;
    }

    static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    static String buffered(Constructor<BufferValue> ctor, Method serialize, byte[] prior, byte[] old, byte[] value,
                           ProcessorRecordContext context, long time) throws Exception {
        ByteBuffer buffer = (ByteBuffer) serialize.invoke(ctor.newInstance(prior, old, value, context), Long.BYTES);
        buffer.putLong(time);
        return hex(buffer.array());
    }

    static Object call(Object target, String method) throws Exception {
        Method m = target.getClass().getDeclaredMethod(method);
        m.setAccessible(true);
        return m.invoke(target);
    }

    public static void main(String[] args) throws Exception {
        // commit metadata
        System.out.println("metadata_123456 " + new TopicPartitionMetadata(123456L, new ProcessorMetadata()).encode());
        System.out.println("metadata_unknown " + new TopicPartitionMetadata(-1L, new ProcessorMetadata()).encode());
        Map<String, Long> meta = new HashMap<>();
        meta.put("a", 3L);
        System.out.println("metadata_7000_a3 " + new TopicPartitionMetadata(7000L, new ProcessorMetadata(meta)).encode());

        // suppress buffer changelog values
        Constructor<BufferValue> ctor = BufferValue.class.getDeclaredConstructor(byte[].class, byte[].class, byte[].class, ProcessorRecordContext.class);
        ctor.setAccessible(true);
        Method serialize = BufferValue.class.getDeclaredMethod("serialize", int.class);
        serialize.setAccessible(true);
        RecordHeaders headers = new RecordHeaders();
        headers.add("h", utf8("1"));
        headers.add("nullvalue", null);
        ProcessorRecordContext context = new ProcessorRecordContext(1700000000123L, 42L, 3, "input-topic", headers);
        ProcessorRecordContext bare = new ProcessorRecordContext(5L, 0L, 0, "t", new RecordHeaders());
        byte[] old = utf8("old");
        System.out.println("buffer_first_put " + buffered(ctor, serialize, old, old, utf8("new"), context, 60000L));
        System.out.println("buffer_no_old " + buffered(ctor, serialize, null, null, utf8("new"), bare, 10L));
        System.out.println("buffer_tombstone " + buffered(ctor, serialize, utf8("p"), utf8("o"), null, bare, 10L));
        System.out.println("buffer_prior_equal_old " + buffered(ctor, serialize, utf8("same"), utf8("same"), utf8("n"), bare, 10L));

        // foreign-key join
        System.out.println("murmur_empty " + Arrays.toString(Murmur3.hash128(new byte[0])));
        System.out.println("murmur_15 " + Arrays.toString(Murmur3.hash128(utf8("fifteen bytes!!"))));
        System.out.println("murmur_33 " + Arrays.toString(Murmur3.hash128(utf8("thirty-three bytes of input data!"))));
        SubscriptionWrapperSerde<String> subscriptions = new SubscriptionWrapperSerde<>(() -> "pk-topic", Serdes.String());
        long[] hash = Murmur3.hash128(utf8("left value"));
        System.out.println("subscription_hash " + hex(subscriptions.serializer().serialize("t",
            new SubscriptionWrapper<>(hash, SubscriptionWrapper.Instruction.PROPAGATE_ONLY_IF_FK_VAL_AVAILABLE, "pk1", 2))));
        System.out.println("subscription_no_hash " + hex(subscriptions.serializer().serialize("t",
            new SubscriptionWrapper<>(null, SubscriptionWrapper.Instruction.DELETE_KEY_AND_PROPAGATE, "pk2", 0))));
        SubscriptionResponseWrapperSerde<String> responses = new SubscriptionResponseWrapperSerde<>(Serdes.String());
        System.out.println("response_hash " + hex(responses.serializer().serialize("t", new SubscriptionResponseWrapper<>(hash, "right", 1))));
        System.out.println("response_null " + hex(responses.serializer().serialize("t", new SubscriptionResponseWrapper<>(null, null, 1))));

        // what Strom wrote, read by Java
        Method deserialize = BufferValue.class.getDeclaredMethod("deserialize", ByteBuffer.class);
        deserialize.setAccessible(true);
        for (String arg : args) {
            String kind = arg.substring(0, arg.indexOf(':'));
            String value = arg.substring(arg.indexOf(':') + 1);
            if (kind.equals("metadata")) {
                TopicPartitionMetadata read = TopicPartitionMetadata.decode(value);
                Map<String, Long> entries = new TreeMap<>();
                for (String key : new String[] {"a", "x", "yz"}) {
                    Long v = read.processorMetadata().get(key);
                    if (v != null) entries.put(key, v);
                }
                System.out.println("read metadata " + read.partitionTime() + " " + entries);
            } else if (kind.equals("buffer")) {
                ByteBuffer buffer = ByteBuffer.wrap(unhex(value));
                BufferValue read = (BufferValue) deserialize.invoke(null, buffer);
                ProcessorRecordContext c = (ProcessorRecordContext) call(read, "context");
                StringBuilder hs = new StringBuilder();
                for (org.apache.kafka.common.header.Header h : c.headers().toArray()) hs.append(h.key()).append('=').append(hex(h.value())).append(',');
                System.out.println("read buffer " + c.timestamp() + " " + c.offset() + " " + c.topic() + " " + c.partition() + " [" + hs + "] "
                    + hex((byte[]) call(read, "priorValue")) + " " + hex((byte[]) call(read, "oldValue")) + " "
                    + hex((byte[]) call(read, "newValue")) + " " + buffer.getLong());
            } else if (kind.equals("subscription")) {
                SubscriptionWrapper<String> read = subscriptions.deserializer().deserialize("t", unhex(value));
                System.out.println("read subscription " + read.getVersion() + " " + read.getInstruction() + " " + Arrays.toString(read.getHash()) + " "
                    + read.getPrimaryKey() + " " + read.getPrimaryPartition());
            } else if (kind.equals("response")) {
                SubscriptionResponseWrapper<String> read = responses.deserializer().deserialize("t", unhex(value));
                System.out.println("read response " + read.getVersion() + " " + Arrays.toString(read.getOriginalValueHash()) + " " + read.getForeignValue());
            }
        }
    }
}
