SET 'table.local-time-zone' = 'UTC';
CREATE TABLE t (id INT, name STRING, weight DOUBLE, a STRING METADATA FROM 'value.source.table' VIRTUAL, b STRING METADATA FROM 'value.source.table' VIRTUAL, `value.source.database` STRING METADATA VIRTUAL) WITH ('connector' = 'kafka', 'topic' = 'dbz_products', 'properties.bootstrap.servers' = '127.0.0.1:47533', 'properties.group.id' = 'helper-cdc', 'scan.startup.mode' = 'earliest-offset', 'scan.bounded.mode' = 'latest-offset', 'format' = 'debezium-json');
SELECT * FROM t;
