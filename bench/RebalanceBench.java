// Rebalance time of a consumer group growing from 1 to N members, measured with Apache Kafka's Java consumer.
// Run by bench/group_rebalance.py (Java source-file mode, kafka-clients on the class path):
//   java -cp 'libs/*' bench/RebalanceBench.java <bootstrap> <topic> <partitions> <members> <mode>
// mode: eager (classic, RangeAssignor), roundrobin (classic, RoundRobinAssignor), cooperative (classic,
// CooperativeStickyAssignor), consumer (KIP-848). tests/integration/test_groups_java_assignors.py runs it too.
// For each new member: the time from its subscribe() until every partition is owned exactly once and the
// group is balanced (each member holds floor or ceil of partitions/members), as seen by the members' own
// assignment() after poll(). Prints one line per step: "step <n> <millis>".

import java.time.Duration;
import java.util.*;
import java.util.concurrent.*;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.kafka.clients.consumer.*;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

public class RebalanceBench {
    static final Map<Integer, Set<TopicPartition>> OWNED = new ConcurrentHashMap<>();
    static final AtomicBoolean STOP = new AtomicBoolean();

    public static void main(String[] args) throws Exception {
        String bootstrap = args[0], topic = args[1], mode = args[4];
        int partitions = Integer.parseInt(args[2]), members = Integer.parseInt(args[3]);
        String group = "rebalance-" + mode + "-" + UUID.randomUUID().toString().substring(0, 8);
        List<Thread> threads = new ArrayList<>();
        for (int n = 1; n <= members; n++) {
            final int id = n;
            long start = System.nanoTime();
            Thread t = new Thread(() -> run(id, bootstrap, topic, group, mode));
            t.start();
            threads.add(t);
            while (!balanced(n, partitions)) {
                if (System.nanoTime() - start > 120_000_000_000L) throw new RuntimeException("no balance for " + n + ": " + OWNED);
                Thread.sleep(2);
            }
            System.out.println("step " + n + " " + (System.nanoTime() - start) / 1_000_000);
            Thread.sleep(1000);  // let the group settle before the next member arrives
        }
        STOP.set(true);
        for (Thread t : threads) t.join();
    }

    static boolean balanced(int members, int partitions) {
        if (OWNED.size() != members) return false;
        Set<TopicPartition> all = new HashSet<>();
        int total = 0;
        for (Set<TopicPartition> s : OWNED.values()) {
            if (s.size() < partitions / members || s.size() > (partitions + members - 1) / members) return false;
            all.addAll(s);
            total += s.size();
        }
        return total == partitions && all.size() == partitions;
    }

    static void run(int id, String bootstrap, String topic, String group, String mode) {
        Properties p = new Properties();
        p.put("bootstrap.servers", bootstrap);
        p.put("group.id", group);
        p.put("key.deserializer", ByteArrayDeserializer.class.getName());
        p.put("value.deserializer", ByteArrayDeserializer.class.getName());
        p.put("enable.auto.commit", "false");
        if (mode.equals("consumer")) {
            p.put("group.protocol", "consumer");
        } else {
            p.put("session.timeout.ms", "10000");
            p.put("heartbeat.interval.ms", "500");
            p.put("partition.assignment.strategy", switch (mode) {
                case "eager" -> "org.apache.kafka.clients.consumer.RangeAssignor";
                case "roundrobin" -> "org.apache.kafka.clients.consumer.RoundRobinAssignor";
                case "cooperative" -> "org.apache.kafka.clients.consumer.CooperativeStickyAssignor";
                default -> throw new IllegalArgumentException("unknown mode " + mode);
            });
        }
        try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(p)) {
            c.subscribe(List.of(topic));
            OWNED.put(id, Set.of());
            while (!STOP.get()) {
                c.poll(Duration.ofMillis(20));
                OWNED.put(id, new HashSet<>(c.assignment()));
            }
        }
    }
}
