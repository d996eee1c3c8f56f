// Kafka Streams' own SubscriptionInfo / AssignmentInfo codecs against Strom's (strom.streams.runtime.assignment_info).
// Usage: java -cp <kafka-streams libs>/* AssignmentGolden.java write            -> "name hex" per case
//        java -cp <kafka-streams libs>/* AssignmentGolden.java read <file>      -> "name description" per "kind name hex" line
// The cases of `write` are the ones tests/unit/streams/test_assignment_info.py encodes with Strom; maps are
// LinkedHashMaps so both sides iterate them in the same order.

import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Paths;
import java.util.*;
import java.util.stream.Collectors;

import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.streams.processor.TaskId;
import org.apache.kafka.streams.processor.assignment.ProcessId;
import org.apache.kafka.streams.processor.internals.assignment.AssignmentInfo;
import org.apache.kafka.streams.processor.internals.assignment.SubscriptionInfo;
import org.apache.kafka.streams.state.HostInfo;

public class AssignmentGolden {
    static final ProcessId PID = new ProcessId(UUID.fromString("a1b2c3d4-e5f6-4711-8899-aabbccddeeff"));

    static String hex(ByteBuffer b) {
        b.rewind();
        StringBuilder sb = new StringBuilder();
        while (b.hasRemaining()) sb.append(String.format("%02x", b.get()));
        return sb.toString();
    }

    static byte[] unhex(String s) {
        byte[] out = new byte[s.length() / 2];
        for (int i = 0; i < out.length; i++) out[i] = (byte) Integer.parseInt(s.substring(2 * i, 2 * i + 2), 16);
        return out;
    }

    static Map<TaskId, Long> sums() {
        Map<TaskId, Long> m = new LinkedHashMap<>();
        m.put(new TaskId(0, 0), -2L);
        m.put(new TaskId(0, 1), 1234L);
        m.put(new TaskId(1, 2), 99L);
        m.put(new TaskId(17, 5), 0L);
        return m;
    }

    static Set<TopicPartition> tps(Object... topicPartition) {
        Set<TopicPartition> s = new LinkedHashSet<>();
        for (int i = 0; i < topicPartition.length; i += 2) s.add(new TopicPartition((String) topicPartition[i], (Integer) topicPartition[i + 1]));
        return s;
    }

    static AssignmentInfo assignment(int version, int error, long next) {
        List<TaskId> active = Arrays.asList(new TaskId(0, 0), new TaskId(0, 0), new TaskId(1, 3));
        Map<TaskId, Set<TopicPartition>> standby = new LinkedHashMap<>();
        standby.put(new TaskId(0, 1), tps("words", 1, "app-KSTREAM-AGGREGATE-STATE-STORE-0000000003-repartition", 1));
        standby.put(new TaskId(2, 0), tps("clicks", 0));
        Map<HostInfo, Set<TopicPartition>> byHost = new LinkedHashMap<>();
        byHost.put(new HostInfo("host-a", 8080), tps("words", 0, "app-KSTREAM-AGGREGATE-STATE-STORE-0000000003-repartition", 0, "clicks", 3));
        byHost.put(new HostInfo("host-b", 9090), tps("words", 1, "clicks", 0, "pageviews", 7, "users", 2));
        Map<HostInfo, Set<TopicPartition>> standbyByHost = new LinkedHashMap<>();
        standbyByHost.put(new HostInfo("host-b", 9090), tps("words", 0, "zeta", 11));
        AssignmentInfo info = new AssignmentInfo(version, 11, active, standby, byHost, standbyByHost, error);
        if (next != Long.MAX_VALUE) info.setNextRebalanceTime(next);
        return info;
    }

    public static void main(String[] args) throws Exception {
        if (args[0].equals("write")) {
            for (int v : new int[] {7, 8, 9, 10, 11}) {
                System.out.println("sub_v" + v + " " + hex(new SubscriptionInfo(v, 11, PID, "localhost:8080", sums(), (byte) 7, 0, Map.of("az", "eu-1")).encode()));
            }
            for (int v : new int[] {1, 2, 3, 6}) {
                System.out.println("sub_v" + v + " " + hex(new SubscriptionInfo(v, v < 3 ? -1 : 11, PID, "localhost:8080", sums(), (byte) 7, 0, Map.of()).encode()));
            }
            System.out.println("sub_shutdown " + hex(new SubscriptionInfo(11, 11, PID, null, Map.of(), (byte) -1, 4, Map.of()).encode()));
            for (int v = 1; v <= 11; v++) {
                System.out.println("asg_v" + v + " " + hex(assignment(v, 0, Long.MAX_VALUE).encode()));
            }
            System.out.println("asg_probe " + hex(assignment(11, 0, 1733580000123L).encode()));
            System.out.println("asg_error " + hex(new AssignmentInfo(11, List.of(), Map.of(), Map.of(), Map.of(), 4).encode()));
            return;
        }
        for (String line : Files.readAllLines(Paths.get(args[1]))) {
            String[] parts = line.trim().split(" ");
            if (parts.length < 3) continue;
            ByteBuffer data = ByteBuffer.wrap(unhex(parts[2]));
            if (parts[0].equals("sub")) {
                SubscriptionInfo s = SubscriptionInfo.decode(data);
                System.out.println(parts[1] + " v=" + s.version() + " latest=" + s.latestSupportedVersion() + " pid=" + s.processId().id()
                    + " endpoint=" + s.userEndPoint() + " sums=" + new TreeMap<>(s.taskOffsetSums()) + " error=" + s.errorCode()
                    + " tags=" + new TreeMap<>(s.clientTags()));
            } else {
                AssignmentInfo a = AssignmentInfo.decode(data);
                System.out.println(parts[1] + " v=" + a.version() + " common=" + a.commonlySupportedVersion() + " active=" + a.activeTasks()
                    + " standby=" + sortedTasks(a.standbyTasks()) + " hosts=" + sortedHosts(a.partitionsByHost())
                    + " standbyHosts=" + sortedHosts(a.standbyPartitionByHost()) + " error=" + a.errCode() + " next=" + a.nextRebalanceMs());
            }
        }
    }

    static String sortedTps(Set<TopicPartition> s) {
        return s.stream().map(TopicPartition::toString).sorted().collect(Collectors.joining(",", "[", "]"));
    }

    static String sortedTasks(Map<TaskId, Set<TopicPartition>> m) {
        return new TreeMap<>(m).entrySet().stream().map(e -> e.getKey() + "=" + sortedTps(e.getValue())).collect(Collectors.joining(",", "{", "}"));
    }

    static String sortedHosts(Map<HostInfo, Set<TopicPartition>> m) {
        if (m == null) return "{}";
        return m.entrySet().stream().map(e -> e.getKey().host() + ":" + e.getKey().port() + "=" + sortedTps(e.getValue())).sorted()
            .collect(Collectors.joining(",", "{", "}"));
    }
}
