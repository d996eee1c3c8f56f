// Prints, one per line as "name hex", the bytes Kafka Connect's own classes write for the group protocol
// and the config/status topic records; tests/integration/test_connect_java_golden.py compares Strom's with them.
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.apache.kafka.connect.data.Schema;
import org.apache.kafka.connect.data.SchemaBuilder;
import org.apache.kafka.connect.data.Struct;
import org.apache.kafka.connect.json.JsonConverter;
import org.apache.kafka.connect.runtime.distributed.ConnectProtocol;
import org.apache.kafka.connect.runtime.distributed.ExtendedAssignment;
import org.apache.kafka.connect.runtime.distributed.ExtendedWorkerState;
import org.apache.kafka.connect.runtime.distributed.IncrementalCooperativeConnectProtocol;
import org.apache.kafka.connect.storage.KafkaConfigBackingStore;
import org.apache.kafka.connect.util.ConnectorTaskId;

public class ConnectGolden {
    static void out(String name, ByteBuffer buf) {
        byte[] b = new byte[buf.remaining()];
        buf.duplicate().get(b);
        out(name, b);
    }

    static void out(String name, byte[] b) {
        StringBuilder sb = new StringBuilder();
        for (byte x : b) sb.append(String.format("%02x", x));
        System.out.println(name + " " + sb);
    }

    public static void main(String[] args) {
        List<ConnectorTaskId> tasks = Arrays.asList(new ConnectorTaskId("c1", 0), new ConnectorTaskId("c1", 1));
        out("v0_metadata", ConnectProtocol.serializeMetadata(new ConnectProtocol.WorkerState("http://w1:8083/", 7L)));
        out("v0_assignment", ConnectProtocol.serializeAssignment(new ConnectProtocol.Assignment(
            (short) 0, "leader-1", "http://l:8083/", 12L, Collections.singletonList("c1"), tasks)));
        ExtendedAssignment a = new ExtendedAssignment((short) 1, (short) 0, "leader-1", "http://l:8083/", 12L,
            Collections.singletonList("c1"), tasks, Collections.singletonList("c2"),
            Collections.singletonList(new ConnectorTaskId("c2", 3)), 5000);
        out("v1_assignment", IncrementalCooperativeConnectProtocol.serializeAssignment(a, false));
        out("v2_assignment", IncrementalCooperativeConnectProtocol.serializeAssignment(a, true));
        ExtendedAssignment empty = new ExtendedAssignment((short) 1, (short) 1, "leader-1", "http://l:8083/", -1L,
            Collections.emptyList(), Collections.emptyList(), Collections.emptyList(), Collections.emptyList(), 0);
        out("v1_error_assignment", IncrementalCooperativeConnectProtocol.serializeAssignment(empty, false));
        out("v1_metadata", IncrementalCooperativeConnectProtocol.serializeMetadata(new ExtendedWorkerState("http://w1:8083/", 7L, a), false));
        out("v2_metadata", IncrementalCooperativeConnectProtocol.serializeMetadata(new ExtendedWorkerState("http://w1:8083/", 7L, a), true));
        out("v2_metadata_empty", IncrementalCooperativeConnectProtocol.serializeMetadata(new ExtendedWorkerState("http://w1:8083/", -1L, null), true));

        JsonConverter json = new JsonConverter();
        json.configure(Collections.singletonMap("schemas.enable", "false"), false);
        Map<String, String> props = new LinkedHashMap<>();
        props.put("connector.class", "FileStreamSource");
        props.put("tasks.max", "1");
        props.put("file", "/tmp/in é.txt");
        Struct connector = new Struct(KafkaConfigBackingStore.CONNECTOR_CONFIGURATION_V0).put("properties", props);
        out("connector_config", json.fromConnectData("t", KafkaConfigBackingStore.CONNECTOR_CONFIGURATION_V0, connector));
        Struct commit = new Struct(KafkaConfigBackingStore.CONNECTOR_TASKS_COMMIT_V0).put("tasks", 2);
        out("commit", json.fromConnectData("t", KafkaConfigBackingStore.CONNECTOR_TASKS_COMMIT_V0, commit));
        Struct target = new Struct(KafkaConfigBackingStore.TARGET_STATE_V1).put("state", "PAUSED").put("state.v2", "STOPPED");
        out("target_state", json.fromConnectData("t", KafkaConfigBackingStore.TARGET_STATE_V1, target));
        Struct restart = new Struct(KafkaConfigBackingStore.RESTART_REQUEST_V0).put("include-tasks", true).put("only-failed", false);
        out("restart", json.fromConnectData("t", KafkaConfigBackingStore.RESTART_REQUEST_V0, restart));
        Struct session = new Struct(KafkaConfigBackingStore.SESSION_KEY_V0).put("key", "AAEC").put("algorithm", "HmacSHA256").put("creation-timestamp", 1700000000000L);
        out("session_key", json.fromConnectData("t", KafkaConfigBackingStore.SESSION_KEY_V0, session));
        Schema status = SchemaBuilder.struct()
            .field("state", Schema.STRING_SCHEMA)
            .field("trace", SchemaBuilder.string().optional().build())
            .field("worker_id", Schema.STRING_SCHEMA)
            .field("generation", Schema.INT32_SCHEMA)
            .build();
        out("status_running", json.fromConnectData("t", status, new Struct(status).put("state", "RUNNING").put("worker_id", "w1:8083").put("generation", 3)));
        out("status_failed", json.fromConnectData("t", status, new Struct(status).put("state", "FAILED").put("trace", "java.lang.Exception: x\n\tat y").put("worker_id", "w1:8083").put("generation", 4)));
    }
}
