CREATE TABLE t (id INT, name STRING, weight DOUBLE, x STRING METADATA FROM 'value.xid' VIRTUAL) WITH ('connector' = 'kafka', 'topic' = 'maxwell_products', 'properties.bootstrap.servers' = '127.0.0.1:47533', 'properties.group.id' = 'helper-cdc', 'scan.startup.mode' = 'earliest-offset', 'scan.bounded.mode' = 'latest-offset', 'format' = 'maxwell-json');
SELECT id FROM t;
