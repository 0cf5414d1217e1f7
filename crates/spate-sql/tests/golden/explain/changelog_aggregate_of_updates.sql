-- EXPLAIN CHANGELOG_MODE of an aggregate over an updating aggregate into print: the outer one
-- retracts from its groups, so it needs the inner one's before-images ([I,UB,UA]) and emits
-- deletions when a group empties ([I,UB,UA,D]), as Flink 2.3's EXPLAIN shows
-- (GroupAggregate(groupBy=[c], select=[c], changelogMode=[I,UB,UA,D]) over
-- Calc(select=[c], changelogMode=[I,UB,UA]) over GroupAggregate(groupBy=[user_id],
-- select=[user_id, COUNT(*) AS c], changelogMode=[I,UB,UA])).
CREATE TABLE events (user_id BIGINT, amount BIGINT, item STRING)
  WITH ('connector' = 'datagen', 'number-of-rows' = '10');
CREATE TABLE pr (c BIGINT) WITH ('connector' = 'print');
EXPLAIN CHANGELOG_MODE
INSERT INTO pr SELECT DISTINCT c FROM (SELECT user_id, COUNT(*) AS c FROM events GROUP BY user_id);
