import java.nio.file.Files;
import java.nio.file.Paths;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.function.Consumer;

import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.kstream.*;
import org.apache.kafka.streams.processor.ProcessorContext;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.Stores;
import org.apache.kafka.streams.test.TestRecord;

/** topology.optimization=all and the 2.8 transform() family: prints describe() of each program built with
 * builder.build(props) ("describe"), runs them in TopologyTestDriver on an input file ("outputs FILE"), or runs one
 * with KafkaStreams on a broker ("--broker PROGRAM BOOTSTRAP APP_ID STATE_DIR SECONDS"). The same programs in
 * Strom's DSL: tests/unit/streams/dsl_optimized_programs.py. */
@SuppressWarnings("deprecation")
public class DslOptimized {
    static String s(Object o) { return o == null ? null : String.valueOf(o); }

    /** Counts the values seen per key in store "seen"; forwards (value's first letter, key:count) and, on each
     * stream-time punctuation of 10 ms, ("tick", number of keys). */
    static class CountingTransformer implements Transformer<String, String, KeyValue<String, String>> {
        ProcessorContext ctx;
        KeyValueStore<String, String> seen;
        public void init(ProcessorContext c) {
            ctx = c;
            seen = c.getStateStore("seen");
            c.schedule(Duration.ofMillis(10), PunctuationType.STREAM_TIME, t -> {
                long n = seen.approximateNumEntries();
                ctx.forward("tick", "keys=" + n + "@" + t);
            });
        }
        public KeyValue<String, String> transform(String k, String v) {
            String before = seen.get(k);
            long n = before == null ? 1 : Long.parseLong(before) + 1;
            seen.put(k, Long.toString(n));
            if (v.startsWith("x")) return null;
            return KeyValue.pair(v.substring(0, 1), k + ":" + n);
        }
        public void close() { }
    }

    static Map<String, Consumer<StreamsBuilder>> programs() {
        Map<String, Consumer<StreamsBuilder>> p = new LinkedHashMap<>();
        p.put("opt_table_source", b -> {
            KTable<String, String> t = b.table("t", Materialized.as("tstore"));
            t.toStream().to("out");
            KTable<String, String> t2 = b.table("t2");
            b.<String, String>stream("s").join(t2, (x, y) -> x + "+" + y).to("out2");
        });
        p.put("opt_merge_groupby", b -> {
            KStream<String, String> m = b.<String, String>stream("in").map((k, v) -> KeyValue.pair(v.substring(0, 1), v));
            m.groupByKey().count().toStream().mapValues(DslOptimized::s).to("out");
            m.groupByKey().reduce((a, c) -> a + c).toStream().to("out2");
            m.filter((k, v) -> v.length() > 1).groupByKey().aggregate(() -> "", (k, v, a) -> a + v.length()).toStream().to("out3");
        });
        p.put("opt_merge_named", b -> {
            KStream<String, String> m = b.<String, String>stream("in").selectKey((k, v) -> v.substring(0, 1));
            m.groupByKey(Grouped.as("first")).count().toStream().mapValues(DslOptimized::s).to("out");
            m.groupByKey(Grouped.as("second")).windowedBy(TimeWindows.ofSizeWithNoGrace(Duration.ofMillis(10))).count()
                .toStream((wk, v) -> wk.toString()).mapValues(DslOptimized::s).to("out2");
        });
        p.put("opt_merge_join", b -> {
            KStream<String, String> m = b.<String, String>stream("in").selectKey((k, v) -> v.substring(0, 1));
            m.join(b.<String, String>table("t"), (x, y) -> x + "+" + y).to("out");
            m.groupByKey().count().toStream().mapValues(DslOptimized::s).to("out2");
        });
        p.put("opt_merge_node", b -> {
            KStream<String, String> a = b.<String, String>stream("a").selectKey((k, v) -> v.substring(0, 1));
            KStream<String, String> c = b.<String, String>stream("c").selectKey((k, v) -> v.substring(0, 1));
            KStream<String, String> m = a.merge(c);
            m.groupByKey().count().toStream().mapValues(DslOptimized::s).to("out");
            m.groupByKey().reduce((x, y) -> x + y).toStream().to("out2");
        });
        p.put("opt_value_changing", b -> {
            KStream<String, String> m = b.<String, String>stream("in").map((k, v) -> KeyValue.pair(v.substring(0, 1), v))
                .mapValues(v -> v.toUpperCase());
            m.groupByKey().count().toStream().mapValues(DslOptimized::s).to("out");
            m.groupByKey().reduce((x, y) -> x + y).toStream().to("out2");
        });
        p.put("opt_to_table", b -> {
            KStream<String, String> m = b.<String, String>stream("in").selectKey((k, v) -> v.substring(0, 1));
            m.toTable().toStream().to("out");
            m.groupByKey().count().toStream().mapValues(DslOptimized::s).to("out2");
        });
        p.put("transform", b -> {
            b.addStateStore(Stores.keyValueStoreBuilder(Stores.inMemoryKeyValueStore("seen"), Serdes.String(), Serdes.String()));
            b.<String, String>stream("in")
                .transform(CountingTransformer::new, "seen")
                .transformValues(() -> new ValueTransformer<String, String>() {
                    public void init(ProcessorContext c) { }
                    public String transform(String v) { return v.toUpperCase(); }
                    public void close() { }
                })
                .flatTransformValues(() -> new ValueTransformerWithKey<String, String, Iterable<String>>() {
                    public void init(ProcessorContext c) { }
                    public Iterable<String> transform(String k, String v) { return Arrays.asList(k + "/" + v, v.toLowerCase()); }
                    public void close() { }
                }, Named.as("fan"))
                .flatTransform(() -> new Transformer<String, String, Iterable<KeyValue<String, String>>>() {
                    public void init(ProcessorContext c) { }
                    public Iterable<KeyValue<String, String>> transform(String k, String v) {
                        return v.contains("tick") ? Arrays.asList() : Arrays.asList(KeyValue.pair(v, k));
                    }
                    public void close() { }
                })
                .to("out");
        });
        p.put("table_transform_values", b -> {
            KTable<String, String> t = b.table("t");
            t.transformValues(() -> new ValueTransformerWithKey<String, String, String>() {
                public void init(ProcessorContext c) { }
                public String transform(String k, String v) { return v == null ? null : k + "=" + v; }
                public void close() { }
            }, Materialized.as("tv")).toStream().to("out");
            t.transformValues(() -> new ValueTransformerWithKey<String, String, String>() {
                public void init(ProcessorContext c) { }
                public String transform(String k, String v) { return v == null ? "gone" : v.toUpperCase(); }
                public void close() { }
            }, Named.as("upper")).toStream().to("out2");
        });
        p.put("opt_transform_merge", b -> {
            KStream<String, String> m = b.<String, String>stream("in").transform(() -> new Transformer<String, String, KeyValue<String, String>>() {
                public void init(ProcessorContext c) { }
                public KeyValue<String, String> transform(String k, String v) { return KeyValue.pair(v.substring(0, 1), v); }
                public void close() { }
            });
            m.groupByKey().count().toStream().mapValues(DslOptimized::s).to("out");
            m.groupByKey().reduce((x, y) -> x + y).toStream().to("out2");
        });
        p.put("table_transform_join", b -> {
            KTable<String, String> t = b.<String, String>table("t").transformValues(() -> new ValueTransformerWithKey<String, String, String>() {
                public void init(ProcessorContext c) { }
                public String transform(String k, String v) { return v == null ? null : v.toUpperCase(); }
                public void close() { }
            });
            b.<String, String>stream("s").leftJoin(t, (x, y) -> x + "+" + y).to("out");
        });
        p.put("transform_context", b -> b.<String, String>stream("in").transformValues(() -> new ValueTransformerWithKey<String, String, String>() {
            ProcessorContext ctx;
            public void init(ProcessorContext c) { ctx = c; }
            public String transform(String k, String v) {
                return v + "@" + ctx.topic() + "/" + ctx.partition() + "/" + ctx.offset() + "/" + ctx.timestamp();
            }
            public void close() { }
        }).to("out"));
        p.put("opt_self_join", b -> {
            KStream<String, String> s = b.stream("in");
            s.join(s, (x, y) -> x + "+" + y, JoinWindows.ofTimeDifferenceWithNoGrace(Duration.ofMillis(10))).to("out");
        });
        p.put("opt_app", b -> {  // tests/integration/streams/test_dsl_optimized_on_broker.py's topology
            KTable<String, String> users = b.table("opt-users", Materialized.as("users"));
            users.groupBy((user, region) -> KeyValue.pair(region, user)).count(Materialized.as("per-region")).toStream()
                .to("opt-regions", Produced.with(Serdes.String(), Serdes.Long()));
            KStream<String, String> clicks = b.<String, String>stream("opt-clicks").selectKey((key, user) -> user);
            clicks.groupByKey().count(Materialized.as("clicks")).toStream()
                .to("opt-click-counts", Produced.with(Serdes.String(), Serdes.Long()));
            clicks.join(users, (page, region) -> page + "@" + region).to("opt-enriched");
        });
        return p;
    }

    static Properties optimized() {
        Properties props = new Properties();
        props.put(StreamsConfig.TOPOLOGY_OPTIMIZATION_CONFIG, StreamsConfig.OPTIMIZE);
        return props;
    }

    static Topology build(String name) {
        StreamsBuilder b = new StreamsBuilder();
        programs().get(name).accept(b);
        return b.build(optimized());
    }

    /** --broker PROGRAM BOOTSTRAP APP_ID STATE_DIR SECONDS */
    static void onBroker(String[] args) throws Exception {
        Properties props = optimized();
        props.put(StreamsConfig.APPLICATION_ID_CONFIG, args[3]);
        props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, args[2]);
        props.put(StreamsConfig.STATE_DIR_CONFIG, args[4]);
        props.put(StreamsConfig.STATESTORE_CACHE_MAX_BYTES_CONFIG, 0);
        props.put(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, 100);
        props.put(StreamsConfig.DEFAULT_KEY_SERDE_CLASS_CONFIG, Serdes.StringSerde.class);
        props.put(StreamsConfig.DEFAULT_VALUE_SERDE_CLASS_CONFIG, Serdes.StringSerde.class);
        // Streams does not leave the group on close: a restarted instance waits for the old member's session
        props.put(StreamsConfig.consumerPrefix("session.timeout.ms"), 6000);
        try (org.apache.kafka.streams.KafkaStreams streams = new org.apache.kafka.streams.KafkaStreams(build(args[1]), props)) {
            streams.start();
            Thread.sleep(Long.parseLong(args[5]) * 1000);
        }
    }

    public static void main(String[] args) throws Exception {
        if (args[0].equals("--broker")) {
            onBroker(args);
            return;
        }
        if (args[0].equals("describe")) {
            for (String name : programs().keySet()) {
                System.out.println("=== " + name);
                System.out.print(build(name).describe().toString());
            }
            return;
        }
        List<String[]> inputs = new ArrayList<>();
        for (String line : Files.readAllLines(Paths.get(args[1]))) {
            if (line.isEmpty() || line.startsWith("#")) continue;
            inputs.add(line.split(" "));
        }
        for (String name : programs().keySet()) {
            Properties props = optimized();
            props.put(StreamsConfig.APPLICATION_ID_CONFIG, "dsl-optimized");
            props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "dummy:1234");
            props.put(StreamsConfig.DEFAULT_KEY_SERDE_CLASS_CONFIG, Serdes.StringSerde.class);
            props.put(StreamsConfig.DEFAULT_VALUE_SERDE_CLASS_CONFIG, Serdes.StringSerde.class);
            System.out.println("=== " + name);
            try (TopologyTestDriver d = new TopologyTestDriver(build(name), props, Instant.ofEpochMilli(0))) {
                Map<String, TestInputTopic<String, String>> in = new LinkedHashMap<>();
                for (String[] r : inputs) {
                    if (!r[0].equals(name)) continue;
                    TestInputTopic<String, String> t = in.computeIfAbsent(r[1],
                        n -> d.createInputTopic(n, new StringSerializer(), new StringSerializer()));
                    t.pipeInput(r[2].equals("-") ? null : r[2], r[3].equals("-") ? null : r[3], Long.parseLong(r[4]));
                }
                for (String topic : new String[] {"out", "out2", "out3"}) {
                    if (!d.producedTopicNames().contains(topic)) continue;
                    TestOutputTopic<String, String> o = d.createOutputTopic(topic, new StringDeserializer(), new StringDeserializer());
                    for (TestRecord<String, String> r : o.readRecordsToList()) {
                        System.out.println(topic + " " + r.key() + " " + r.value() + " " + r.timestamp());
                    }
                }
            }
        }
    }
}
