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
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.kstream.*;
import org.apache.kafka.streams.test.TestRecord;

/** Runs small DSL programs in Java's TopologyTestDriver on dsl_inputs.txt and prints every output record;
 * test_streams_dsl_java.py runs the same programs (tests/unit/streams/dsl_output_programs.py) in Strom's driver and compares. */
public class DslOutputs {
    static String s(Object o) { return o == null ? null : String.valueOf(o); }

    static Map<String, Consumer<StreamsBuilder>> programs() {
        Map<String, Consumer<StreamsBuilder>> p = new LinkedHashMap<>();
        p.put("wordcount", b -> b.<String, String>stream("in")
            .flatMapValues(v -> Arrays.asList(v.toLowerCase().split("\\W+|_")))
            .groupBy((k, w) -> w).count().toStream().mapValues(DslOutputs::s).to("out"));
        p.put("windowed", b -> b.<String, String>stream("in").groupByKey()
            .windowedBy(TimeWindows.ofSizeAndGrace(Duration.ofMillis(10), Duration.ofMillis(5))).count()
            .toStream((wk, v) -> wk.toString()).mapValues(DslOutputs::s).to("out"));
        p.put("suppress", b -> b.<String, String>stream("in").groupByKey()
            .windowedBy(TimeWindows.ofSizeAndGrace(Duration.ofMillis(10), Duration.ofMillis(2)).advanceBy(Duration.ofMillis(5)))
            .count(Materialized.with(Serdes.String(), Serdes.Long()))
            .suppress(Suppressed.untilWindowCloses(Suppressed.BufferConfig.unbounded()))
            .toStream((wk, v) -> wk.toString()).mapValues(DslOutputs::s).to("out"));
        p.put("session", b -> b.<String, String>stream("in").groupByKey()
            .windowedBy(SessionWindows.ofInactivityGapAndGrace(Duration.ofMillis(5), Duration.ofMillis(20))).count()
            .toStream((wk, v) -> wk.toString()).mapValues(DslOutputs::s).to("out"));
        p.put("sliding", b -> b.<String, String>stream("in").groupByKey()
            .windowedBy(SlidingWindows.ofTimeDifferenceAndGrace(Duration.ofMillis(10), Duration.ofMillis(5)))
            .aggregate(() -> "", (k, v, agg) -> agg + v)
            .toStream((wk, v) -> wk.toString()).to("out"));
        p.put("stream_table", b -> {
            KTable<String, String> t = b.table("t");
            KStream<String, String> st = b.stream("s");
            st.join(t, (x, y) -> x + "+" + y).to("out");
            st.leftJoin(t, (x, y) -> x + "+" + y).to("out2");
        });
        p.put("stream_stream", b -> {
            KStream<String, String> l = b.stream("l");
            KStream<String, String> r = b.stream("r");
            JoinWindows w = JoinWindows.ofTimeDifferenceAndGrace(Duration.ofMillis(5), Duration.ofMillis(3));
            l.join(r, (x, y) -> x + "+" + y, w).to("out");
            l.leftJoin(r, (x, y) -> x + "+" + y, w).to("out2");
            l.outerJoin(r, (x, y) -> x + "+" + y, w).to("out3");
        });
        p.put("table_table", b -> {
            KTable<String, String> a = b.table("a");
            KTable<String, String> c = b.table("b");
            a.join(c, (x, y) -> x + "+" + y).toStream().to("out");
            a.leftJoin(c, (x, y) -> x + "+" + y).toStream().to("out2");
            a.outerJoin(c, (x, y) -> x + "+" + y).toStream().to("out3");
        });
        p.put("fk_join", b -> {
            KTable<String, String> l = b.table("l");
            KTable<String, String> r = b.table("r");
            l.join(r, v -> v.split("\\|")[0], (a, c) -> a + "+" + c).toStream().to("out");
            l.leftJoin(r, v -> v.split("\\|")[0], (a, c) -> a + "+" + c).toStream().to("out2");
        });
        p.put("table_groupby", b -> b.<String, String>table("t")
            .groupBy((k, v) -> KeyValue.pair(String.valueOf(v.length()), v))
            .aggregate(() -> "", (k, v, agg) -> agg + "+" + v, (k, v, agg) -> agg + "-" + v).toStream().to("out"));
        p.put("global", b -> {
            GlobalKTable<String, String> g = b.globalTable("g");
            KStream<String, String> st = b.stream("s");
            st.join(g, (k, v) -> v, (x, y) -> x + "+" + y).to("out");
            st.leftJoin(g, (k, v) -> v, (x, y) -> x + "+" + y).to("out2");
        });
        p.put("cogroup", b -> {
            KGroupedStream<String, String> g1 = b.<String, String>stream("a").groupByKey();
            KGroupedStream<String, String> g2 = b.<String, String>stream("c").groupByKey();
            g1.<String>cogroup((k, v, a) -> a + v).cogroup(g2, (k, v, a) -> a + v.toUpperCase()).aggregate(() -> "")
                .toStream().to("out");
        });
        p.put("cogroup_windowed", b -> {
            KGroupedStream<String, String> g1 = b.<String, String>stream("a").groupByKey();
            KGroupedStream<String, String> g2 = b.<String, String>stream("c").groupByKey();
            g1.<String>cogroup((k, v, a) -> a + v).cogroup(g2, (k, v, a) -> a + v.toUpperCase())
                .windowedBy(TimeWindows.ofSizeAndGrace(Duration.ofMillis(10), Duration.ofMillis(5))).aggregate(() -> "")
                .toStream((wk, v) -> wk.toString()).to("out");
        });
        p.put("cogroup_session", b -> {
            KGroupedStream<String, String> g1 = b.<String, String>stream("a").groupByKey();
            KGroupedStream<String, String> g2 = b.<String, String>stream("c").groupByKey();
            g1.<String>cogroup((k, v, a) -> a + v).cogroup(g2, (k, v, a) -> a + v.toUpperCase())
                .windowedBy(SessionWindows.ofInactivityGapAndGrace(Duration.ofMillis(5), Duration.ofMillis(20)))
                .aggregate(() -> "", (k, x, y) -> x + "|" + y)
                .toStream((wk, v) -> wk.toString()).to("out");
        });
        p.put("cogroup_sliding", b -> {
            KGroupedStream<String, String> g1 = b.<String, String>stream("a").groupByKey();
            KGroupedStream<String, String> g2 = b.<String, String>stream("c").groupByKey();
            g1.<String>cogroup((k, v, a) -> a + v).cogroup(g2, (k, v, a) -> a + v.toUpperCase())
                .windowedBy(SlidingWindows.ofTimeDifferenceAndGrace(Duration.ofMillis(10), Duration.ofMillis(5)))
                .aggregate(() -> "")
                .toStream((wk, v) -> wk.toString()).to("out");
        });
        p.put("process_extractor", b -> {
            b.addStateStore(org.apache.kafka.streams.state.Stores.keyValueStoreBuilder(
                org.apache.kafka.streams.state.Stores.inMemoryKeyValueStore("seen"), Serdes.String(), Serdes.String()));
            b.<String, String>stream("in").process(() -> new org.apache.kafka.streams.processor.api.Processor<String, String, String, String>() {
                org.apache.kafka.streams.processor.api.ProcessorContext<String, String> ctx;
                org.apache.kafka.streams.state.KeyValueStore<String, String> seen;
                public void init(org.apache.kafka.streams.processor.api.ProcessorContext<String, String> c) { ctx = c; seen = c.getStateStore("seen"); }
                public void process(org.apache.kafka.streams.processor.api.Record<String, String> r) {
                    String before = seen.get(r.key());
                    String now = before == null ? r.value() : before + "," + r.value();
                    seen.put(r.key(), now);
                    ctx.forward(r.withKey(r.value()).withValue(now));
                }
            }, "seen").to((k, v, rc) -> v.contains(",") ? "out2" : "out");
        });
        p.put("to_table", b -> b.<String, String>stream("in").toTable()
            .join(b.<String, String>table("t"), (x, y) -> x + "+" + y).toStream().to("out"));
        p.put("stateless", b -> {
            Map<String, KStream<String, String>> m = b.<String, String>stream("in")
                .filter((k, v) -> !v.startsWith("c")).mapValues(v -> v.toUpperCase())
                .split(Named.as("b-")).branch((k, v) -> v.startsWith("A"), Branched.as("a")).defaultBranch();
            m.get("b-a").selectKey((k, v) -> v.substring(0, 2)).to("out");
            m.get("b-0").flatMap((k, v) -> Arrays.asList(KeyValue.pair(k, v), KeyValue.pair(k + "!", v.toLowerCase()))).to("out2");
        });
        return p;
    }

    /** --broker PROGRAM BOOTSTRAP APP_ID STATE_DIR SECONDS: runs one program with KafkaStreams on a broker. */
    static void onBroker(String[] args) throws Exception {
        StreamsBuilder b = new StreamsBuilder();
        programs().get(args[1]).accept(b);
        Properties props = new Properties();
        props.put(StreamsConfig.APPLICATION_ID_CONFIG, args[3]);
        props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, args[2]);
        props.put(StreamsConfig.STATE_DIR_CONFIG, args[4]);
        props.put(StreamsConfig.STATESTORE_CACHE_MAX_BYTES_CONFIG, 0);
        props.put(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, 100);
        props.put(StreamsConfig.DEFAULT_KEY_SERDE_CLASS_CONFIG, Serdes.StringSerde.class);
        props.put(StreamsConfig.DEFAULT_VALUE_SERDE_CLASS_CONFIG, Serdes.StringSerde.class);
        props.put("consumer.auto.offset.reset", "earliest");
        try (org.apache.kafka.streams.KafkaStreams streams = new org.apache.kafka.streams.KafkaStreams(b.build(), props)) {
            streams.start();
            Thread.sleep(Long.parseLong(args[5]) * 1000);
        }
    }

    public static void main(String[] args) throws Exception {
        if (args.length > 0 && args[0].equals("--broker")) {
            onBroker(args);
            return;
        }
        List<String[]> inputs = new ArrayList<>();
        for (String line : Files.readAllLines(Paths.get(args[0]))) {
            if (line.isEmpty() || line.startsWith("#")) continue;
            inputs.add(line.split(" "));
        }
        for (Map.Entry<String, Consumer<StreamsBuilder>> e : programs().entrySet()) {
            StreamsBuilder b = new StreamsBuilder();
            e.getValue().accept(b);
            Properties props = new Properties();
            props.put(StreamsConfig.APPLICATION_ID_CONFIG, "dsl-outputs");
            props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "dummy:1234");
            props.put(StreamsConfig.DEFAULT_KEY_SERDE_CLASS_CONFIG, Serdes.StringSerde.class);
            props.put(StreamsConfig.DEFAULT_VALUE_SERDE_CLASS_CONFIG, Serdes.StringSerde.class);
            props.put("__emit.interval.ms.kstreams.outer.join.spurious.results.fix__", 0L);
            System.out.println("=== " + e.getKey());
            try (TopologyTestDriver d = new TopologyTestDriver(b.build(), props, Instant.ofEpochMilli(0))) {
                Map<String, TestInputTopic<String, String>> in = new LinkedHashMap<>();
                for (String[] r : inputs) {
                    if (!r[0].equals(e.getKey())) continue;
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
