-- Processing-time OVER aggregates from the partition's start (the default RANGE frame;
-- ProcTimeUnboundedPrecedingFunction): each row emitted as it arrives, over all rows before it.
CREATE TABLE sales (
  id INT,
  cat STRING,
  price INT,
  ts TIMESTAMP(3),
  pt AS PROCTIME()
) WITH (
  'connector' = 'filesystem',
  'path' = '${DATA}/sales.csv',
  'format' = 'csv'
);

SELECT id, cat, price, COUNT(*) OVER (PARTITION BY cat ORDER BY pt) AS n, MAX(price) OVER (PARTITION BY cat ORDER BY pt) AS hi FROM sales;
