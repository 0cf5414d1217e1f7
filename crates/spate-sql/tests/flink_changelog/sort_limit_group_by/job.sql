-- "Top 2 keys by count": ORDER BY .. LIMIT over a GROUP BY, whose counts only grow (Flink's
-- update-fast Top-N over the aggregate's new images).
CREATE TABLE t (
  k STRING,
  v INT
) WITH (
  'connector' = 'filesystem',
  'path' = '${DATA}/t.json',
  'format' = 'json'
);

SELECT k, c FROM (SELECT k, COUNT(*) AS c FROM t GROUP BY k) ORDER BY c DESC LIMIT 2;
