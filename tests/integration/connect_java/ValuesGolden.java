// What Kafka's SimpleHeaderConverter (Values) writes for a set of values and the schema it infers for a set of
// texts; tests/integration/test_connect_values_golden.py compares Strom's with them (the cases are those of
// tests/unit/connect/test_values.py, in the same order).
import java.math.BigDecimal;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;

import org.apache.kafka.connect.data.Decimal;
import org.apache.kafka.connect.data.Schema;
import org.apache.kafka.connect.data.SchemaAndValue;
import org.apache.kafka.connect.data.SchemaBuilder;
import org.apache.kafka.connect.data.Struct;
import org.apache.kafka.connect.data.Time;
import org.apache.kafka.connect.data.Timestamp;
import org.apache.kafka.connect.storage.SimpleHeaderConverter;

public class ValuesGolden {
    static String describe(Schema s) {
        if (s == null) return "null";
        String text = s.type().toString() + (s.name() != null ? "/" + s.name().substring(s.name().lastIndexOf('.') + 1) : "");
        if (s.type() == Schema.Type.ARRAY) text += "<" + describe(s.valueSchema()) + ">";
        if (s.type() == Schema.Type.MAP) text += "<" + describe(s.keySchema()) + "," + describe(s.valueSchema()) + ">";
        return text;
    }

    static String hex(byte[] b) {
        StringBuilder sb = new StringBuilder();
        for (byte x : b) sb.append(String.format("%02x", x));
        return sb.toString();
    }

    public static void main(String[] args) {
        SimpleHeaderConverter c = new SimpleHeaderConverter();
        c.configure(new HashMap<>());
        Schema struct = SchemaBuilder.struct().field("a", Schema.INT32_SCHEMA).field("b", Schema.STRING_SCHEMA).build();
        Object[][] written = {
            {SchemaBuilder.array(Schema.INT32_SCHEMA).build(), Arrays.asList(1, 2)},
            {SchemaBuilder.map(Schema.STRING_SCHEMA, Schema.INT32_SCHEMA).build(), Collections.singletonMap("a", 1)},
            {struct, new Struct(struct).put("a", 1).put("b", "x y")},
            {Schema.BYTES_SCHEMA, new byte[] {1, 2, 3}},
            {Schema.FLOAT32_SCHEMA, 0.1f},
            {Schema.FLOAT64_SCHEMA, 1e20},
            {Decimal.schema(2), new BigDecimal("12.34")},
            {Decimal.schema(-3), new BigDecimal(BigInteger.ONE, -3)},
            {Decimal.schema(10), new BigDecimal(BigInteger.ONE, 10)},
            {org.apache.kafka.connect.data.Date.SCHEMA, new java.util.Date(86400000L)},
            {Time.SCHEMA, new java.util.Date(45296789L)},
            {Timestamp.SCHEMA, new java.util.Date(1700000000123L)},
            {Schema.STRING_SCHEMA, "he said \"hi\""},
            {SchemaBuilder.array(Schema.STRING_SCHEMA).build(), Arrays.asList("a b", "c")},
            {SchemaBuilder.array(Schema.OPTIONAL_STRING_SCHEMA).build(), Arrays.asList("q\"b\\s\nn", null)},
            {SchemaBuilder.array(Schema.BYTES_SCHEMA).build(), Arrays.asList((Object) new byte[] {1})},
            {null, "plain"},
            {null, 5},
            {Schema.FLOAT64_SCHEMA, 0.1},
        };
        for (Object[] w : written) System.out.println("written " + hex(c.fromConnectHeader("t", "h", (Schema) w[0], w[1])));
        for (String text : args) {
            SchemaAndValue sv = c.toConnectHeader("t", "h", text.getBytes(StandardCharsets.UTF_8));
            System.out.println("read " + (sv == null ? "null" : describe(sv.schema())));
        }
    }
}
