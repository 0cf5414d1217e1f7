-- EXPLAIN of a processing-time temporal join against a jdbc table: Flink's LookupJoin, one
-- engine operator chained after the probe side (no exchange, no state); the lookup key is the
-- dim's k, the rest of ON (d.score > 10) filters the rows found; the dim's scan is no source.
CREATE TABLE orders (id INT, k INT, proc_time AS PROCTIME())
  WITH ('connector' = 'datagen', 'number-of-rows' = '10');
CREATE TABLE dim (k INT, name STRING, score INT)
  WITH ('connector' = 'jdbc', 'url' = 'jdbc:postgresql://127.0.0.1:5432/postgres', 'table-name' = 'dim',
        'lookup.cache' = 'PARTIAL', 'lookup.partial-cache.max-rows' = '100');
CREATE TABLE out_t (id INT, name STRING)
  WITH ('connector' = 'blackhole');
EXPLAIN CHANGELOG_MODE
INSERT INTO out_t
SELECT o.id, d.name FROM orders AS o LEFT JOIN dim FOR SYSTEM_TIME AS OF o.proc_time AS d
  ON o.k = d.k AND d.score > 10;
