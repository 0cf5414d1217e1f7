// Nexmark q14's user-defined function for the Flink side of scripts/bench-nexmark-vs-flink.sh:
// how often the first byte of `c` occurs in the bytes of `s` (0 for a NULL `s`), as the Nexmark
// project's CountChar counts. Spate's is registered by `spate bench nexmark`.
package spate.bench;

import org.apache.flink.table.annotation.DataTypeHint;
import org.apache.flink.table.data.StringData;
import org.apache.flink.table.functions.ScalarFunction;

public class CountChar extends ScalarFunction {
    public long eval(@DataTypeHint("STRING") StringData s, @DataTypeHint("STRING") StringData c) {
        if (s == null) {
            return 0;
        }
        byte wanted = c.toBytes()[0];
        long n = 0;
        for (byte b : s.toBytes()) {
            if (b == wanted) {
                n++;
            }
        }
        return n;
    }
}
