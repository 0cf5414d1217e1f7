-- LAG over an event-time OVER window (the default RANGE frame; Flink's LagAggFunction in
-- RowTimeRangeUnboundedPrecedingFunction): the price 1 and 2 rows back in time order, the
-- default when there is none; rows of one time are peers and both read back from the last of
-- them (ids 10 and 15). Rows not after the watermark are late and dropped.
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

SELECT id, cat, price, ts, LAG(price, 2, -1) OVER (PARTITION BY cat ORDER BY ts) AS l2, LAG(price) OVER (PARTITION BY cat ORDER BY ts) AS l1 FROM sales;
