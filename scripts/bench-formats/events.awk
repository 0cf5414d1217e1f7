# The format and file benchmarks' events (scripts/bench-avro-vs-json.sh, scripts/bench-parquet.sh):
# n JSON records of 7 columns (~128 bytes), the same for a given n on every run (seeded).
# Usage: awk -v n=RECORDS -f scripts/bench-formats/events.awk
BEGIN {
    srand(43);
    split("DE FR US JP BR IN NG GB", countries, " ");
    split("mobile desktop tablet tv", devices, " ");
    for (i = 0; i < n; i++) {
        u = int(rand() * 100000);
        ms = i % 1000; s = int(i / 1000) % 60; m = int(i / 60000) % 60; h = int(i / 3600000) % 24;
        printf "{\"user_id\":%d,\"amount\":%d,\"item\":\"item-%d\",\"country\":\"%s\",\"device\":\"%s\",\"price\":%.2f,\"ts\":\"2026-11-28 %02d:%02d:%02d.%03d\"}\n",
            u, int(rand() * 1000), int(rand() * 5000), countries[1 + int(rand() * 8)], devices[1 + int(rand() * 4)],
            rand() * 500, h, m, s, ms;
    }
}
