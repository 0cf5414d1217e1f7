-- The same windowed count computed twice, as Nexmark q5 does (each hot auction's bid count
-- beside the window's maximum of those counts): the window aggregate runs once, and each use
-- projects its own columns from it, as Flink's sub-plan reuse (on by default) does.
CREATE TABLE bid (auction BIGINT, price BIGINT, ts TIMESTAMP(3),
    WATERMARK FOR ts AS ts - INTERVAL '1' SECOND)
  WITH ('connector' = 'datagen', 'number-of-rows' = '10');
CREATE TABLE out_t (auction BIGINT, num BIGINT) WITH ('connector' = 'print');
EXPLAIN INSERT INTO out_t
SELECT a.auction, a.num
FROM (
  SELECT auction, COUNT(*) AS num, window_start AS starttime, window_end AS endtime
  FROM TABLE(HOP(TABLE bid, DESCRIPTOR(ts), INTERVAL '2' SECOND, INTERVAL '10' SECOND))
  GROUP BY auction, window_start, window_end
) a
JOIN (
  SELECT MAX(c.num) AS maxn, c.starttime, c.endtime
  FROM (
    SELECT COUNT(*) AS num, window_start AS starttime, window_end AS endtime
    FROM TABLE(HOP(TABLE bid, DESCRIPTOR(ts), INTERVAL '2' SECOND, INTERVAL '10' SECOND))
    GROUP BY auction, window_start, window_end
  ) c
  GROUP BY c.starttime, c.endtime
) m
ON a.starttime = m.starttime AND a.endtime = m.endtime AND a.num >= m.maxn;
