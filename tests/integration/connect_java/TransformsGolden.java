// Runs Kafka's own single message transforms (connect-transforms 3.9) over the cases in a JSON file and prints
// one JSON line per case with the transformed record as JsonConverter bytes (base64), or the error message;
// tests/integration/test_connect_transforms_java.py runs Strom's transforms over the same cases and compares.
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Paths;
import java.util.Base64;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.apache.kafka.common.record.TimestampType;
import org.apache.kafka.connect.connector.ConnectRecord;
import org.apache.kafka.connect.data.SchemaAndValue;
import org.apache.kafka.connect.header.Header;
import org.apache.kafka.connect.json.JsonConverter;
import org.apache.kafka.connect.sink.SinkRecord;
import org.apache.kafka.connect.source.SourceRecord;
import org.apache.kafka.connect.transforms.Transformation;

public class TransformsGolden {
    static JsonConverter converter(boolean schemas, boolean isKey) {
        JsonConverter c = new JsonConverter();
        Map<String, Object> props = new HashMap<>();
        props.put("schemas.enable", Boolean.toString(schemas));
        c.configure(props, isKey);
        return c;
    }

    static byte[] bytes(JsonNode node) {
        return node == null || node.isNull() ? null : Base64.getDecoder().decode(node.asText());
    }

    static String b64(byte[] b) {
        return b == null ? null : Base64.getEncoder().encodeToString(b);
    }

    @SuppressWarnings({"unchecked", "rawtypes"})
    public static void main(String[] args) throws Exception {
        ObjectMapper mapper = new ObjectMapper();
        JsonNode cases = mapper.readTree(new String(Files.readAllBytes(Paths.get(args[0])), StandardCharsets.UTF_8));
        for (JsonNode c : cases) {
            ObjectNode out = mapper.createObjectNode();
            out.put("name", c.get("name").asText());
            boolean schemas = c.get("schemas").asBoolean();
            JsonConverter keys = converter(schemas, true);
            JsonConverter values = converter(schemas, false);
            String topic = c.get("topic").asText();
            try {
                SchemaAndValue key = keys.toConnectData(topic, bytes(c.get("key")));
                SchemaAndValue value = values.toConnectData(topic, bytes(c.get("value")));
                Long timestamp = c.get("timestamp").isNull() ? null : c.get("timestamp").asLong();
                ConnectRecord record;
                if (c.get("sink").asBoolean()) {
                    record = new SinkRecord(topic, 0, key.schema(), key.value(), value.schema(), value.value(), 42L,
                            timestamp, TimestampType.CREATE_TIME);
                } else {
                    record = new SourceRecord(null, null, topic, 0, key.schema(), key.value(), value.schema(),
                            value.value(), timestamp);
                }
                if (c.has("headers")) {
                    for (JsonNode h : c.get("headers")) {
                        if (h.get(1).isArray()) {
                            java.util.List<String> items = new java.util.ArrayList<>();
                            for (JsonNode item : h.get(1)) {
                                items.add(item.asText());
                            }
                            record.headers().addList(h.get(0).asText(), items,
                                    org.apache.kafka.connect.data.SchemaBuilder.array(
                                            org.apache.kafka.connect.data.Schema.STRING_SCHEMA).build());
                        } else {
                            record.headers().addString(h.get(0).asText(), h.get(1).asText());
                        }
                    }
                }
                Transformation t = (Transformation) Class.forName(c.get("type").asText()).getDeclaredConstructor().newInstance();
                Map<String, Object> config = new LinkedHashMap<>();
                Iterator<Map.Entry<String, JsonNode>> it = c.get("config").fields();
                while (it.hasNext()) {
                    Map.Entry<String, JsonNode> e = it.next();
                    config.put(e.getKey(), e.getValue().asText());
                }
                t.configure(config);
                ConnectRecord result = t.apply(record);
                if (result == null) {
                    out.put("dropped", true);
                } else {
                    out.put("topic", result.topic());
                    out.put("key", b64(keys.fromConnectData(result.topic(), result.keySchema(), result.key())));
                    out.put("value", b64(values.fromConnectData(result.topic(), result.valueSchema(), result.value())));
                    StringBuilder headers = new StringBuilder();
                    for (Header h : result.headers()) {
                        headers.append(h.key()).append('=').append(h.schema() == null ? "null" : h.schema().type().toString())
                                .append(':').append(h.value()).append(';');
                    }
                    out.put("headers", headers.toString());
                }
            } catch (Exception e) {
                out = mapper.createObjectNode();
                out.put("name", c.get("name").asText());
                out.put("error", String.valueOf(e.getMessage()));
            }
            System.out.println(mapper.writeValueAsString(out));
        }
    }
}
