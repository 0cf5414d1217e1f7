-- Top-2 categories by total price over a GROUP BY (an updating input; SUM is not monotonic, so
-- Flink picks RetractableTopNFunction): each aggregate update is -U/+U into the Top-N.
CREATE TABLE sales (
  id INT,
  cat STRING,
  price INT,
  ts TIMESTAMP(3)
) WITH (
  'connector' = 'filesystem',
  'path' = '${DATA}/sales.csv',
  'format' = 'csv'
);

SELECT * FROM (
  SELECT cat, total, ROW_NUMBER() OVER (ORDER BY total DESC) AS rn
  FROM (SELECT cat, SUM(price) AS total FROM sales GROUP BY cat)
) WHERE rn <= 2;
