// Prints what Kafka Streams 3.9 itself produces for the Processor API topologies and serde values that
// tests/integration/test_streams_processor_java_golden.py builds in Strom: Topology.describe() text and serializer bytes.
// Run as a single-file source program with kafka-streams and Kafka's libs on the class path.

import java.util.HexFormat;
import java.util.UUID;
import java.util.regex.Pattern;

import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.kstream.SessionWindowedSerializer;
import org.apache.kafka.streams.kstream.TimeWindowedSerializer;
import org.apache.kafka.streams.kstream.Windowed;
import org.apache.kafka.streams.kstream.internals.SessionWindow;
import org.apache.kafka.streams.kstream.internals.TimeWindow;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorSupplier;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.StoreBuilder;
import org.apache.kafka.streams.state.Stores;

public class ProcessorApiGolden {
    static <A, B, C, D> ProcessorSupplier<A, B, C, D> p() {
        return () -> new Processor<A, B, C, D>() {
            @Override
            public void process(final Record<A, B> record) { }
        };
    }

    static StoreBuilder<?> kv(String name) {
        return Stores.keyValueStoreBuilder(Stores.inMemoryKeyValueStore(name), Serdes.String(), Serdes.Long());
    }

    static void print(String name, Topology t) {
        System.out.print("=== " + name + "\n" + t.describe() + "\n=== end\n");
    }

    static <T> void hex(String name, Serde<T> serde, T value) {
        System.out.print("serde " + name + " " + HexFormat.of().formatHex(serde.serializer().serialize("t", value)) + "\n");
    }

    public static void main(String[] args) {
        Topology t = new Topology();
        t.addSource("SOURCE", "input");
        t.addProcessor("PROCESS1", p(), "SOURCE");
        t.addProcessor("PROCESS2", p(), "PROCESS1");
        t.addProcessor("PROCESS3", p(), "PROCESS1");
        t.addSink("SINK1", "output-1", "PROCESS1");
        t.addSink("SINK2", "output-2", "PROCESS2");
        t.addSink("SINK3", "output-3", "PROCESS3");
        print("branches", t);

        t = new Topology();
        t.addSource("S-many", "topic-c", "topic-a", "topic-b", "input", "words", "zzz", "A1");
        t.addSource("S-pattern", Pattern.compile("logs-.*"));
        t.addProcessor("P-many", p(), "S-many");
        t.addProcessor("P-pattern", p(), "S-pattern");
        t.addSink("K-pattern", "out", "P-pattern");
        print("topics_and_pattern", t);

        t = new Topology();
        t.addSource("source-1", "in-1");
        t.addSource("source-2", "in-2");
        t.addProcessor("counter", p(), "source-1");
        t.addProcessor("joiner", p(), "source-2");
        t.addProcessor("lonely", p(), "source-2");
        t.addStateStore(kv("counts"), "counter");
        t.addStateStore(kv("store-b"), "counter");
        t.addStateStore(kv("s1"), "counter", "joiner");
        t.addStateStore(kv("KSTREAM-AGGREGATE-STATE-STORE-0000000003"), "counter");
        t.addSink("sink", "out", "joiner", "lonely");
        print("stores", t);

        t = new Topology();
        t.addSource("A", "a");
        t.addProcessor("PA", p(), "A");
        t.addGlobalStore(kv("global").withLoggingDisabled(), "G-SOURCE", Serdes.String().deserializer(),
            Serdes.Long().deserializer(), "global-topic", "G-PROCESSOR", p());
        t.addSource("B", "b");
        t.addProcessor("PB", p(), "B");
        t.addGlobalStore(kv("global-2").withLoggingDisabled(), "G2-SOURCE", Serdes.String().deserializer(),
            Serdes.Long().deserializer(), "global-topic-2", "G2-PROCESSOR", p());
        print("global_stores", t);

        t = new Topology();
        t.addSource("S", "in");
        t.addProcessor("A", p(), "S");
        t.addProcessor("B", p(), "S");
        t.addProcessor("C", p(), "A", "B");
        t.addProcessor("D", p(), "C");
        t.addProcessor("E", p(), "A");
        t.addProcessor("F", p(), "E", "D");
        t.addSink("SINK", "out", "F", "B");
        t.addSource("S2", "in2");
        t.addProcessor("M", p(), "S2", "S");
        print("diamonds", t);

        t = new Topology();
        t.addSource("KSTREAM-SOURCE-0000000000", "streams-plaintext-input");
        String prev = "KSTREAM-SOURCE-0000000000";
        String[] kinds = {"FLATMAPVALUES", "KEY-SELECT", "FILTER", "MAPVALUES", "PEEK", "MAP", "FLATMAP", "BRANCH"};
        for (int i = 1; i <= 24; i++) {
            String name = String.format("KSTREAM-%s-%010d", kinds[i % kinds.length], i);
            t.addProcessor(name, p(), i % 3 == 0 ? "KSTREAM-SOURCE-0000000000" : prev);
            prev = name;
        }
        t.addSink("KSTREAM-SINK-0000000025", "streams-wordcount-output", prev);
        print("many_nodes", t);

        hex("string", Serdes.String(), "hé llo");
        hex("long", Serdes.Long(), -2L);
        hex("long_max", Serdes.Long(), Long.MAX_VALUE);
        hex("integer", Serdes.Integer(), 123456789);
        hex("short", Serdes.Short(), (short) -300);
        hex("float", Serdes.Float(), 3.14f);
        hex("double", Serdes.Double(), -0.1);
        hex("boolean", Serdes.Boolean(), true);
        hex("bytes", Serdes.ByteArray(), new byte[] {0, 1, (byte) 255});
        hex("uuid", Serdes.UUID(), UUID.fromString("0f8fad5b-d9cb-469f-a165-70867728950e"));
        hex("list_integer", Serdes.ListSerde(java.util.ArrayList.class, Serdes.Integer()), new java.util.ArrayList<>(java.util.Arrays.asList(1, null, -3)));
        hex("list_string", Serdes.ListSerde(java.util.ArrayList.class, Serdes.String()), new java.util.ArrayList<>(java.util.Arrays.asList("a", null, "bcd")));
        hex("list_empty", Serdes.ListSerde(java.util.ArrayList.class, Serdes.Long()), new java.util.ArrayList<Long>());
        TimeWindowedSerializer<String> tw = new TimeWindowedSerializer<>(Serdes.String().serializer());
        System.out.print("serde time_windowed " + HexFormat.of().formatHex(
            tw.serialize("t", new Windowed<>("word", new TimeWindow(1700000000000L, 1700000060000L)))) + "\n");
        SessionWindowedSerializer<Long> sw = new SessionWindowedSerializer<>(Serdes.Long().serializer());
        System.out.print("serde session_windowed " + HexFormat.of().formatHex(
            sw.serialize("t", new Windowed<>(42L, new SessionWindow(1000L, 5000L)))) + "\n");
    }
}
