import java.time.Duration;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Consumer;

import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.kstream.*;

/** Prints Topology.describe() of small DSL programs; test_streams_dsl_java.py builds the same ones in Python. */
public class DslDescribe {
    static Map<String, Consumer<StreamsBuilder>> programs() {
        Map<String, Consumer<StreamsBuilder>> p = new LinkedHashMap<>();
        p.put("wordcount", b -> b.<String, String>stream("in")
            .flatMapValues(v -> Arrays.asList(v.toLowerCase().split("\\W+")))
            .groupBy((k, w) -> w)
            .count(Materialized.as("counts-store"))
            .toStream().to("out", Produced.with(Serdes.String(), Serdes.Long())));
        p.put("stateless", b -> {
            KStream<String, String> s = b.stream("in");
            s.filter((k, v) -> true).filterNot((k, v) -> false).map((k, v) -> KeyValue.pair(k, v))
                .mapValues(v -> v).selectKey((k, v) -> v).peek((k, v) -> { }).to("out");
            s.foreach((k, v) -> { });
        });
        p.put("groupbykey_reduce", b -> b.<String, String>stream("in").groupByKey().reduce((a, c) -> a + c).toStream().to("out"));
        p.put("selectkey_aggregate", b -> b.<String, String>stream("in").selectKey((k, v) -> v).groupByKey()
            .aggregate(() -> 0L, (k, v, a) -> a + 1).toStream().to("out"));
        p.put("windowed_count", b -> b.<String, String>stream("in").groupByKey()
            .windowedBy(TimeWindows.ofSizeAndGrace(Duration.ofMillis(1000), Duration.ofMillis(500)))
            .count().toStream().to("out"));
        p.put("hopping_suppress", b -> b.<String, String>stream("in").groupByKey()
            .windowedBy(TimeWindows.ofSizeWithNoGrace(Duration.ofMillis(1000)).advanceBy(Duration.ofMillis(500)))
            .count(Materialized.as("hop"))
            .suppress(Suppressed.untilWindowCloses(Suppressed.BufferConfig.unbounded()))
            .toStream().to("out"));
        p.put("session_count", b -> b.<String, String>stream("in").groupByKey()
            .windowedBy(SessionWindows.ofInactivityGapWithNoGrace(Duration.ofMillis(5000)))
            .count().toStream().to("out"));
        p.put("sliding_reduce", b -> b.<String, String>stream("in").groupByKey()
            .windowedBy(SlidingWindows.ofTimeDifferenceWithNoGrace(Duration.ofMillis(1000)))
            .reduce((a, c) -> a + c).toStream().to("out"));
        p.put("stream_table_join", b -> {
            KTable<String, String> t = b.table("t");
            b.<String, String>stream("s").join(t, (v1, v2) -> v1 + v2).to("out");
        });
        p.put("stream_table_leftjoin_named", b -> {
            KTable<String, String> t = b.table("t", Materialized.as("tstore"));
            b.<String, String>stream("s").leftJoin(t, (v1, v2) -> v1 + v2, Joined.as("myjoin")).to("out");
        });
        p.put("table_plain", b -> b.table("t").toStream().to("out"));
        p.put("stream_stream_join", b -> {
            KStream<String, String> l = b.stream("l");
            KStream<String, String> r = b.stream("r");
            l.join(r, (a, c) -> a + c, JoinWindows.ofTimeDifferenceWithNoGrace(Duration.ofMillis(100))).to("out");
        });
        p.put("stream_stream_outer", b -> {
            KStream<String, String> l = b.stream("l");
            KStream<String, String> r = b.stream("r");
            l.outerJoin(r, (a, c) -> a + c, JoinWindows.ofTimeDifferenceAndGrace(Duration.ofMillis(100), Duration.ofMillis(50))).to("out");
        });
        p.put("stream_stream_leftjoin", b -> {
            KStream<String, String> l = b.stream("l");
            KStream<String, String> r = b.stream("r");
            l.leftJoin(r, (a, c) -> a + c, JoinWindows.ofTimeDifferenceAndGrace(Duration.ofMillis(100), Duration.ofMillis(50))).to("out");
        });
        p.put("table_table_join", b -> {
            KTable<String, String> a = b.table("a");
            KTable<String, String> c = b.table("c");
            a.join(c, (x, y) -> x + y).toStream().to("out");
        });
        p.put("table_table_outer", b -> {
            KTable<String, String> a = b.table("a");
            KTable<String, String> c = b.table("c");
            a.outerJoin(c, (x, y) -> x + y).leftJoin(b.table("d"), (x, y) -> x + y).toStream().to("out");
        });
        p.put("table_filter_mapvalues", b -> b.<String, String>table("t").filter((k, v) -> true).mapValues(v -> v).toStream().to("out"));
        p.put("table_groupby_aggregate", b -> b.<String, String>table("t")
            .groupBy((k, v) -> KeyValue.pair(v, k))
            .aggregate(() -> "", (k, v, a) -> a + v, (k, v, a) -> a).toStream().to("out"));
        p.put("table_groupby_count", b -> b.<String, String>table("t")
            .groupBy((k, v) -> KeyValue.pair(v, k)).count(Materialized.as("cnt")).toStream().to("out"));
        p.put("global_join", b -> {
            GlobalKTable<String, String> g = b.globalTable("g");
            b.<String, String>stream("s").join(g, (k, v) -> k, (v1, v2) -> v1 + v2).to("out");
        });
        p.put("global_leftjoin_named", b -> {
            GlobalKTable<String, String> g = b.globalTable("g", Materialized.as("gstore"));
            b.<String, String>stream("s").leftJoin(g, (k, v) -> k, (v1, v2) -> v1 + v2).to("out");
        });
        p.put("split_merge", b -> {
            KStream<String, String> s = b.stream("in");
            Map<String, KStream<String, String>> m = s.split(Named.as("br-"))
                .branch((k, v) -> v.startsWith("a"), Branched.as("a"))
                .branch((k, v) -> v.startsWith("b"))
                .defaultBranch();
            m.get("br-a").merge(m.get("br-2")).to("out");
            m.get("br-0").to("other");
        });
        p.put("repartition", b -> b.<String, String>stream("in").repartition().to("out"));
        p.put("repartition_named", b -> b.<String, String>stream("in")
            .repartition(Repartitioned.<String, String>as("rp").withNumberOfPartitions(3)).to("out"));
        p.put("groupby_named", b -> b.<String, String>stream("in").groupBy((k, v) -> v, Grouped.as("grp")).count().toStream().to("out"));
        p.put("two_sources_pattern", b -> {
            b.stream(java.util.regex.Pattern.compile("in-.*")).to("out");
            b.stream(Arrays.asList("x", "y")).to("out2");
        });
        p.put("fk_join", b -> {
            KTable<String, String> l = b.table("l");
            KTable<String, String> r = b.table("r");
            l.join(r, v -> v, (a, c) -> a + c).toStream().to("out");
        });
        p.put("cogroup", b -> {
            KGroupedStream<String, String> g1 = b.<String, String>stream("a").groupByKey();
            KGroupedStream<String, String> g2 = b.<String, String>stream("c").groupByKey();
            g1.<String>cogroup((k, v, a) -> a + v).cogroup(g2, (k, v, a) -> a + v)
                .aggregate(() -> "").toStream().to("out");
        });
        p.put("cogroup_windowed", b -> {
            KGroupedStream<String, String> g1 = b.<String, String>stream("a").groupByKey();
            KGroupedStream<String, String> g2 = b.<String, String>stream("c").groupByKey();
            g1.<String>cogroup((k, v, a) -> a + v).cogroup(g2, (k, v, a) -> a + v)
                .windowedBy(TimeWindows.ofSizeAndGrace(Duration.ofMillis(10), Duration.ofMillis(5)))
                .aggregate(() -> "").toStream().to("out");
        });
        p.put("cogroup_session", b -> {
            KGroupedStream<String, String> g1 = b.<String, String>stream("a").groupByKey();
            KGroupedStream<String, String> g2 = b.<String, String>stream("c").groupByKey();
            g1.<String>cogroup((k, v, a) -> a + v).cogroup(g2, (k, v, a) -> a + v)
                .windowedBy(SessionWindows.ofInactivityGapAndGrace(Duration.ofMillis(5), Duration.ofMillis(20)))
                .aggregate(() -> "", (k, x, y) -> x + y).toStream().to("out");
        });
        p.put("cogroup_sliding", b -> {
            KGroupedStream<String, String> g1 = b.<String, String>stream("a").groupByKey();
            KGroupedStream<String, String> g2 = b.<String, String>stream("c").groupByKey();
            g1.<String>cogroup((k, v, a) -> a + v).cogroup(g2, (k, v, a) -> a + v)
                .windowedBy(SlidingWindows.ofTimeDifferenceAndGrace(Duration.ofMillis(10), Duration.ofMillis(5)))
                .aggregate(() -> "").toStream().to("out");
        });
        p.put("named_ops", b -> b.<String, String>stream("in", Consumed.as("src"))
            .filter((k, v) -> true, Named.as("flt"))
            .mapValues(v -> v, Named.as("mv"))
            .groupByKey(Grouped.as("g")).count(Named.as("cnt"), Materialized.as("cs"))
            .toStream(Named.as("ts")).to("out", Produced.as("snk")));
        p.put("process", b -> b.<String, String>stream("in").processValues(() -> new org.apache.kafka.streams.processor.api.FixedKeyProcessor<String, String, String>() {
            org.apache.kafka.streams.processor.api.FixedKeyProcessorContext<String, String> ctx;
            public void init(org.apache.kafka.streams.processor.api.FixedKeyProcessorContext<String, String> c) { ctx = c; }
            public void process(org.apache.kafka.streams.processor.api.FixedKeyRecord<String, String> r) { ctx.forward(r); }
        }).to("out"));
        p.put("to_table", b -> {
            b.<String, String>stream("in").toTable().toStream().to("out");
            b.<String, String>stream("in2").selectKey((k, v) -> v).toTable(Named.as("tt"), Materialized.as("tstore")).toStream().to("out2");
        });
        p.put("to_extractor", b -> b.<String, String>stream("in").to((k, v, ctx) -> "t-" + k));
        return p;
    }

    public static void main(String[] args) {
        for (Map.Entry<String, Consumer<StreamsBuilder>> e : programs().entrySet()) {
            if (args.length > 0 && !Arrays.asList(args).contains(e.getKey())) continue;
            StreamsBuilder b = new StreamsBuilder();
            e.getValue().accept(b);
            System.out.println("=== " + e.getKey());
            System.out.print(b.build().describe().toString());
        }
    }
}
