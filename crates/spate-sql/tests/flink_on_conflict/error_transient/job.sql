SET 'pipeline.auto-watermark-interval' = '0';
CREATE TABLE cdc (
  id INT, k STRING, v INT, ts TIMESTAMP(3),
  PRIMARY KEY (id) NOT ENFORCED,
  WATERMARK FOR ts AS ts
) WITH ('connector' = 'filesystem', 'path' = '${DATA}', 'format' = 'debezium-json');
CREATE TABLE snk (k STRING, id INT, v INT, PRIMARY KEY (k) NOT ENFORCED) WITH ('connector' = 'print');
INSERT INTO snk SELECT k, id, v FROM cdc ON CONFLICT DO ERROR;
