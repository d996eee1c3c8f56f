// Prints the settings (name, type, default, importance) of Kafka transforms and predicates, one per line, as
// GET /connector-plugins/{plugin}/config shows them; tests/integration/test_connect_transforms_java.py compares.
import java.util.Map;
import org.apache.kafka.common.config.ConfigDef;

public class TransformConfigDefs {
    public static void main(String[] args) throws Exception {
        for (String name : args) {
            Object t = Class.forName(name).getDeclaredConstructor().newInstance();
            ConfigDef def = (ConfigDef) t.getClass().getMethod("config").invoke(t);
            for (Map.Entry<String, ConfigDef.ConfigKey> e : def.configKeys().entrySet()) {
                ConfigDef.ConfigKey k = e.getValue();
                String dflt = k.hasDefault() ? ConfigDef.convertToString(k.defaultValue, k.type) : "<required>";
                System.out.println(name + "\t" + k.name + "\t" + k.type + "\t" + dflt + "\t" + k.importance);
            }
        }
    }
}
