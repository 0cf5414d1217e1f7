-- A window TVF on a TIMESTAMP_LTZ(3) rowtime over a changelog: a row's window is found from its
-- wall-clock time in the session time zone (Asia/Shanghai, UTC+08:00), and window_start and
-- window_end are that zone's wall-clock TIMESTAMP(3) values (window_time, a TIMESTAMP_LTZ(3), is
-- left out: PyFlink cannot return TIMESTAMP_LTZ values). Same changes as window_over_cdc, with
-- hours for tens of seconds.
SET 'pipeline.auto-watermark-interval' = '0';
SET 'table.local-time-zone' = 'Asia/Shanghai';

CREATE TABLE orders (
  id INT,
  item STRING,
  amount INT,
  ts TIMESTAMP_LTZ(3),
  WATERMARK FOR ts AS ts - INTERVAL '1' MINUTE
) WITH (
  'connector' = 'filesystem',
  'path' = '${DATA}/orders.json',
  'format' = 'debezium-json'
);

SELECT window_start, window_end, item, COUNT(*) AS n, SUM(amount) AS total, MAX(amount) AS top
FROM TABLE(TUMBLE(TABLE orders, DESCRIPTOR(ts), INTERVAL '1' HOUR))
GROUP BY window_start, window_end, item;
