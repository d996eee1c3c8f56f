// Prints, one per line as "name hex", the bytes Kafka's own JsonConverter writes for a set of values;
// tests/unit/connect/test_json_converter.py holds them as golden bytes and
// tests/integration/test_connect_json_golden.py re-checks them against Kafka's jars.
// With the argument "echo": reads lines "<schemas.enable> <decimal.format> <hex>" from stdin, and prints for each
// the hex of what Kafka's JsonConverter writes for what it read (toConnectData then fromConnectData), or
// "error <message>".
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;

import org.apache.kafka.connect.data.Date;
import org.apache.kafka.connect.data.Decimal;
import org.apache.kafka.connect.data.Schema;
import org.apache.kafka.connect.data.SchemaBuilder;
import org.apache.kafka.connect.data.Struct;
import org.apache.kafka.connect.data.Time;
import org.apache.kafka.connect.data.Timestamp;
import org.apache.kafka.connect.json.JsonConverter;

public class JsonGolden {
    static JsonConverter conv(boolean schemas, String decimalFormat, boolean replaceNull) {
        JsonConverter c = new JsonConverter();
        Map<String, Object> cfg = new HashMap<>();
        cfg.put("schemas.enable", Boolean.toString(schemas));
        cfg.put("decimal.format", decimalFormat);
        cfg.put("replace.null.with.default", Boolean.toString(replaceNull));
        c.configure(cfg, false);
        return c;
    }

    static void out(String name, byte[] b) {
        if (b == null) {
            System.out.println(name + " null");
            return;
        }
        StringBuilder sb = new StringBuilder();
        for (byte x : b) sb.append(String.format("%02x", x));
        System.out.println(name + " " + sb);
    }

    static <K, V> Map<K, V> linked(Object... kv) {
        Map<K, V> m = new LinkedHashMap<>();
        for (int i = 0; i < kv.length; i += 2) {
            @SuppressWarnings("unchecked") K k = (K) kv[i];
            @SuppressWarnings("unchecked") V v = (V) kv[i + 1];
            m.put(k, v);
        }
        return m;
    }

    static String hex(byte[] b) {
        if (b == null) return "null";
        StringBuilder sb = new StringBuilder();
        for (byte x : b) sb.append(String.format("%02x", x));
        return sb.toString();
    }

    static byte[] unhex(String s) {
        byte[] b = new byte[s.length() / 2];
        for (int i = 0; i < b.length; i++) b[i] = (byte) Integer.parseInt(s.substring(2 * i, 2 * i + 2), 16);
        return b;
    }

    static void echo() throws Exception {
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        String line;
        while ((line = in.readLine()) != null) {
            String[] parts = line.split(" ");
            JsonConverter c = conv(Boolean.parseBoolean(parts[0]), parts[1], true);
            try {
                org.apache.kafka.connect.data.SchemaAndValue sv = c.toConnectData("t", unhex(parts[2]));
                System.out.println(hex(c.fromConnectData("t", sv.schema(), sv.value())));
            } catch (Exception e) {
                System.out.println("error " + e.toString().replace('\n', ' '));
            }
        }
    }

    public static void main(String[] args) throws Exception {
        if (args.length > 0 && args[0].equals("echo")) {
            echo();
            return;
        }
        Schema inner = SchemaBuilder.struct().name("com.example.Inner").optional().field("x", Schema.INT32_SCHEMA).build();
        Schema all = SchemaBuilder.struct().name("com.example.All").version(2).doc("every type").parameter("p1", "v1")
            .field("i8", Schema.INT8_SCHEMA).field("i16", Schema.INT16_SCHEMA).field("i32", Schema.INT32_SCHEMA)
            .field("i64", Schema.INT64_SCHEMA).field("f32", Schema.FLOAT32_SCHEMA).field("f64", Schema.FLOAT64_SCHEMA)
            .field("bool", Schema.BOOLEAN_SCHEMA).field("str", Schema.STRING_SCHEMA).field("bytes", Schema.BYTES_SCHEMA)
            .field("opt", Schema.OPTIONAL_STRING_SCHEMA)
            .field("dflt", SchemaBuilder.int32().optional().defaultValue(42).build())
            .field("dec", Decimal.schema(2)).field("date", Date.SCHEMA).field("time", Time.SCHEMA).field("ts", Timestamp.SCHEMA)
            .field("arr", SchemaBuilder.array(Schema.STRING_SCHEMA).build())
            .field("smap", SchemaBuilder.map(Schema.STRING_SCHEMA, Schema.INT64_SCHEMA).build())
            .field("imap", SchemaBuilder.map(Schema.INT32_SCHEMA, Schema.OPTIONAL_STRING_SCHEMA).build())
            .field("inner", inner)
            .build();
        Struct v = new Struct(all).put("i8", (byte) -8).put("i16", (short) 1600).put("i32", -32000000).put("i64", 6400000000000L)
            .put("f32", 0.1f).put("f64", 1.0E20).put("bool", true).put("str", "a\"b\\c\n\t\u0001\u001f\u007f\u00e9\u20ac\ud83d\ude00/<>")
            .put("bytes", new byte[] {0, 1, 2, (byte) 255})
            .put("dec", new BigDecimal("-12.34")).put("date", new java.util.Date(19000L * 86400000L))
            .put("time", new java.util.Date(45296789L)).put("ts", new java.util.Date(1700000000123L))
            .put("arr", Arrays.asList("x", "y")).put("smap", linked("k1", 1L, "k2", 2L))
            .put("imap", linked(7, "seven", 8, null)).put("inner", new Struct(inner).put("x", 5));
        out("all_schemas", conv(true, "BASE64", true).fromConnectData("t", all, v));
        out("all_plain", conv(false, "BASE64", true).fromConnectData("t", all, v));
        out("all_numeric", conv(true, "NUMERIC", true).fromConnectData("t", all, v));
        out("all_no_replace", conv(true, "BASE64", false).fromConnectData("t", all, v));

        Schema doubles = SchemaBuilder.array(Schema.FLOAT64_SCHEMA).build();
        out("doubles", conv(true, "BASE64", true).fromConnectData("t", doubles, Arrays.asList(
            0.0, -0.0, 1.0, 0.001, 9.99E-4, 1234567.0, 1.0E7, 123456.789, 1.0E-5, 4.9E-324, 1.7976931348623157E308, 0.1 + 0.2, -3.5E-7)));
        Schema floats = SchemaBuilder.array(Schema.FLOAT32_SCHEMA).build();
        out("floats", conv(true, "BASE64", true).fromConnectData("t", floats, Arrays.asList(
            0.1f, 1.0E-10f, 3.4028235E38f, 16777216f, 1.4E-45f, -2.5f, 1234567.0f, 3.14159f)));
        out("schemaless", conv(true, "BASE64", true).fromConnectData("t", null,
            linked("a", 1, "b", Arrays.asList(true, null, "s"), "c", 2.5, "d", 12345678901L)));
        out("schemaless_plain", conv(false, "BASE64", true).fromConnectData("t", null, linked("a", 1)));
        out("schemaless_int_keys", conv(true, "BASE64", true).fromConnectData("t", null, linked(1, "x", 2, "y")));
        out("tombstone", conv(true, "BASE64", true).fromConnectData("t", null, null));
        out("optional_null", conv(true, "BASE64", true).fromConnectData("t", Schema.OPTIONAL_STRING_SCHEMA, null));
        out("default_top", conv(true, "BASE64", true).fromConnectData("t", SchemaBuilder.string().optional().defaultValue("d").build(), null));
        out("decimal_negative_scale", conv(true, "NUMERIC", true).fromConnectData("t", Decimal.schema(-2), new BigDecimal(new BigInteger("12"), -2)));
        out("decimal_small", conv(true, "NUMERIC", true).fromConnectData("t", Decimal.schema(10), new BigDecimal(new BigInteger("123"), 10)));
        out("decimal_small_base64", conv(true, "BASE64", true).fromConnectData("t", Decimal.schema(10), new BigDecimal(new BigInteger("-123456789012345678901234567890"), 10)));
        Schema withDefaults = SchemaBuilder.struct().name("D")
            .field("s", SchemaBuilder.string().defaultValue("x").build())
            .field("l", SchemaBuilder.array(Schema.INT16_SCHEMA).defaultValue(Arrays.asList((short) 1, (short) 2)).build())
            .field("b", SchemaBuilder.bytes().optional().defaultValue(new byte[] {9}).build())
            .field("ts", Timestamp.builder().defaultValue(new java.util.Date(0)).build())
            .build();
        out("schema_defaults", conv(true, "BASE64", true).fromConnectData("t", withDefaults, new Struct(withDefaults)));
        out("plain_string", conv(false, "BASE64", true).fromConnectData("t", Schema.STRING_SCHEMA, "hello"));
        out("plain_bool", conv(false, "BASE64", true).fromConnectData("t", Schema.BOOLEAN_SCHEMA, false));
    }
}
