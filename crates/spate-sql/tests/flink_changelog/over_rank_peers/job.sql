-- RANK and DENSE_RANK without a rank filter: OVER aggregates on their RANGE frame (Flink's
-- RowTimeRangeUnboundedPrecedingFunction with RankAggFunction/DenseRankAggFunction), beside
-- COUNT(*) and inside an expression. Rows of one time are peers. Row 10 is late (not after the
-- watermark) and dropped.
--
-- A deliberate difference (README): Flink 2.3 gives peers the row count through the last of them
-- (RANK = DENSE_RANK = COUNT(*) here: 4, 4, 4 for the three rows of a at 00:00:02), as if its
-- RankAggFunction never found two equal order keys; Spate gives them their rank (RANK 2, DENSE_RANK
-- 2). flink.txt holds what Flink printed, expected.txt the ranks.
SET 'pipeline.auto-watermark-interval' = '0';

CREATE TABLE ev (
  id INT,
  cat STRING,
  ts TIMESTAMP(3),
  WATERMARK FOR ts AS ts - INTERVAL '2' SECOND
) WITH (
  'connector' = 'filesystem',
  'path' = '${DATA}/ev.csv',
  'format' = 'csv'
);

SELECT id, cat, ts, RANK() OVER w AS r, DENSE_RANK() OVER w AS dr, COUNT(*) OVER w AS c, RANK() OVER w * 10 + 1 AS r10 FROM ev WINDOW w AS (PARTITION BY cat ORDER BY ts);
