-- EXPLAIN CHANGELOG_MODE of aggregates over an updating aggregate: each call retracts, and
-- Flink 2.3's EXPLAIN names it so (GroupAggregate(groupBy=[c], select=[c, COUNT_RETRACT(*) AS
-- EXPR$1, SUM_RETRACT(t) AS EXPR$2, MAX_RETRACT(t) AS EXPR$3, MIN_RETRACT(t) AS EXPR$4,
-- AVG_RETRACT(t) AS EXPR$5, COUNT_RETRACT(DISTINCT t) AS EXPR$6], changelogMode=[I,UB,UA,D])
-- over GroupAggregate(groupBy=[user_id], select=[user_id, COUNT(*) AS c, SUM(amount) AS t],
-- changelogMode=[I,UB,UA])).
CREATE TABLE events (user_id BIGINT, amount BIGINT, item STRING)
  WITH ('connector' = 'datagen', 'number-of-rows' = '10');
CREATE TABLE pr (c BIGINT, n BIGINT, s BIGINT, mx BIGINT, mn BIGINT, a BIGINT, d BIGINT)
  WITH ('connector' = 'print');
EXPLAIN CHANGELOG_MODE
INSERT INTO pr
SELECT c, COUNT(*), SUM(t), MAX(t), MIN(t), AVG(t), COUNT(DISTINCT t)
FROM (SELECT user_id, COUNT(*) AS c, SUM(amount) AS t FROM events GROUP BY user_id)
GROUP BY c;
