-- A window aggregate over an updating input (a Debezium changelog with event time): each change
-- goes into the windows of its row's time, an update retracting its old row from the old row's
-- window and adding the new one, a delete retracting; a window's row comes out once, when the
-- watermark passes its end, from what is left in it; a change for a window already fired is
-- late and dropped (the retraction of order 1's old row, the delete of order 5). Window
-- aggregates emit insertions only. Watermarks follow every record, so which changes are late
-- does not depend on timing.
SET 'pipeline.auto-watermark-interval' = '0';

CREATE TABLE orders (
  id INT,
  item STRING,
  amount INT,
  ts TIMESTAMP(3),
  WATERMARK FOR ts AS ts - INTERVAL '1' SECOND
) WITH (
  'connector' = 'filesystem',
  'path' = '${DATA}/orders.json',
  'format' = 'debezium-json'
);

SELECT window_start, window_end, item, COUNT(*) AS n, SUM(amount) AS total, MAX(amount) AS top
FROM TABLE(TUMBLE(TABLE orders, DESCRIPTOR(ts), INTERVAL '10' SECOND))
GROUP BY window_start, window_end, item;
