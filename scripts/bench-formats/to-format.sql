-- Copies the JSON events of ${INPUT} into ${OUTPUT} as ${FORMAT} (a registry format; the
-- registry at ${REGISTRY}), so every format's runs read the same events.
SET 'parallelism.default' = '2';
CREATE TABLE j (user_id BIGINT, amount BIGINT, item STRING, country STRING, device STRING, price DOUBLE,
  ts TIMESTAMP(3)) WITH ('connector' = 'kafka', 'topic' = '${INPUT}', 'properties.bootstrap.servers' = '${BOOTSTRAP}',
  'scan.startup.mode' = 'earliest-offset', 'scan.bounded.mode' = 'latest-offset', 'format' = 'json');
CREATE TABLE a (user_id BIGINT, amount BIGINT, item STRING, country STRING, device STRING, price DOUBLE,
  ts TIMESTAMP(3)) WITH ('connector' = 'kafka', 'topic' = '${OUTPUT}', 'properties.bootstrap.servers' = '${BOOTSTRAP}',
  'format' = '${FORMAT}', '${FORMAT}.url' = '${REGISTRY}');
INSERT INTO a SELECT * FROM j;
