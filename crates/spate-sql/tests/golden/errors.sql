-- Bad input: each statement is a clear error with a caret, never a guess or a panic.
FROM t SELECT a INTO t;
SELECT a INTO t FROM x;
SELECT a FROM t WHERE WHERE;
CREATE TABLE t1 (a INT, WATERMARK FOR b AS b) WITH ('connector' = 'blackhole');
CREATE TABLE t2 (a INT, ts BIGINT, WATERMARK FOR ts AS ts) WITH ('connector' = 'blackhole');
CREATE TABLE t3 (ts TIMESTAMP(6), WATERMARK FOR ts AS ts) WITH ('connector' = 'blackhole');
CREATE TABLE t4 (a INT) WITH ('connector' = 'kafka', 'topic' = 'x', 'format' = 'json',
  'scan.startup-mode' = 'earliest-offset');
CREATE TABLE t5 (a INT) WITH ('topic' = 'x');
CREATE TABLE t6 (a INT) WITH ('connector' = 'jdbc', 'url' = 'jdbc:postgresql://x');
CREATE TABLE t7 (a INT) WITH ('connector' = 'kafak');
CREATE TABLE t8 (a INT) WITH ('connector' = 'kafka', 'format' = 'json');
CREATE TABLE t9 (a INT) WITH ('connector' = 'kafka', 'topic' = 'x', 'format' = 'json',
  'scan.startup.mode' = 'timestamp');
CREATE TABLE t10 (a INT) WITH ('connector' = 'kafka', 'topic' = 'x', 'format' = 'json',
  'sink.delivery-guarantee' = 'exactly_once');
CREATE TABLE t11 (a INT) WITH ('connector' = 'kafka', 'topic' = 'x', 'format' = 'json',
  'json.ignore-parse-error' = 'true');
CREATE TABLE t12 (a INT, a STRING) WITH ('connector' = 'print');
CREATE TABLE t13 (a INT, PRIMARY KEY (b) NOT ENFORCED) WITH ('connector' = 'print');
CREATE TABLE t14 (a INT, m STRING METADATA FROM 'topc') WITH ('connector' = 'kafka',
  'topic' = 'x', 'format' = 'json');
CREATE TABLE t15 (a INT) WITH ('connector' = 'datagen', 'fields.b.kind' = 'random');
CREATE TABLE t16 (a INT) WITH ('connector' = 'filesystem', 'format' = 'json');
-- Not an error: Flink 2.3 accepts a key given twice, and the last value counts.
CREATE TABLE t17 (a INT) WITH ('connector' = 'kafka', 'connector' = 'print');
CREATE TABLE t18 (a INT, b INT) WITH ('connector' = 'kafka', 'topic' = 'x', 'format' = 'raw');
CREATE TABLE t19 (a FOO);
CREATE TABLE t20 (a DECIMAL(40, 2));
CREATE TABLE t21 (a INT, PRIMARY KEY (a) ENFORCED);
CREATE TABLE t22 (a TIMESTAMP(3) WITH TIME ZONE);
SELECT * FROM TABLE(TUMBLE(TABLE t, ts, INTERVAL '1' SECOND));
SELECT * FROM TABLE(TUMBLE(TABLE t, DESCRIPTOR(ts)));
SELECT * FROM TABLE(HOP(TABLE t PARTITION BY a, DESCRIPTOR(ts), INTERVAL '1' SECOND, INTERVAL '2' SECOND));
SELECT * FROM TABLE(FOO(TABLE t, DESCRIPTOR(ts), INTERVAL '1' SECOND));
SELECT TUMBLE(TABLE t, DESCRIPTOR(ts), INTERVAL '1' SECOND) FROM t;
SELECT "a" FROM t;
SELECT a, ROW_NUMBER() OVER (PARTITION BY a ORDER BY b) FROM t;
SELECT * FROM a JOIN b;
SELECT * FROM t WHERE a = 1 b;
SELECT * FROM t MATCH_RECOGNIZE (PARTITION BY a ORDER BY b MEASURES c AS d PATTERN (A) DEFINE A AS a > 1);
INSERT OVERWRITE t SELECT 1;
SET parallelism = 1;
CREATE VIEW nothing_here;
SELECT * FROM t /*+ OPTIONS('scan.startup.mode' = 'earliest-offset') */;
USE CATALOG c;
ALTER TABLE t SET ('k' = 'v');
SHOW FUNCTIONS;
