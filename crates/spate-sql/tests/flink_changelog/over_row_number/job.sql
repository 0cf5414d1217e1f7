-- ROW_NUMBER() without a rank filter over an event-time window: Flink runs it as an OVER
-- aggregate, numbering each category's rows in time order once the watermark passes them (rows
-- of one time one by one, ids 10 and 15); rows not after the watermark are late and dropped.
SET 'pipeline.auto-watermark-interval' = '0';

CREATE TABLE sales (
  id INT,
  cat STRING,
  price INT,
  ts TIMESTAMP(3),
  WATERMARK FOR ts AS ts - INTERVAL '5' SECOND
) WITH (
  'connector' = 'filesystem',
  'path' = '${DATA}/sales.csv',
  'format' = 'csv'
);

SELECT id, cat, price, ts, ROW_NUMBER() OVER (PARTITION BY cat ORDER BY ts) AS rn FROM sales;
