CREATE TABLE t (id INT, name STRING, weight DOUBLE, x TIMESTAMP_LTZ(3) METADATA FROM 'value.source.ts_ms' VIRTUAL) WITH ('connector' = 'kafka', 'topic' = 'dbz_products', 'properties.bootstrap.servers' = '127.0.0.1:47533', 'properties.group.id' = 'helper-cdc', 'scan.startup.mode' = 'earliest-offset', 'scan.bounded.mode' = 'latest-offset', 'format' = 'debezium-json');
SELECT id FROM t;
