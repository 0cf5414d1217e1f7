-- A legacy session group window over a changelog; same input and same rows as session_tvf_phantom.
SET 'pipeline.auto-watermark-interval' = '0';

CREATE TABLE orders (
  id INT,
  item STRING,
  amount INT,
  ts TIMESTAMP(3),
  WATERMARK FOR ts AS ts - INTERVAL '30' SECOND
) WITH (
  'connector' = 'filesystem',
  'path' = '${DATA}/orders.json',
  'format' = 'debezium-json'
);

SELECT SESSION_START(ts, INTERVAL '5' SECOND) AS ws,
       SESSION_END(ts, INTERVAL '5' SECOND) AS we,
       item, COUNT(*) AS n, SUM(amount) AS total, MAX(amount) AS top
FROM orders
GROUP BY SESSION(ts, INTERVAL '5' SECOND), item;
