-- EXPLAIN CHANGELOG_MODE of SELECT DISTINCT: a GroupAggregate grouping by every selected column,
-- with no aggregates, as Flink 2.3's EXPLAIN shows it (GroupAggregate(groupBy=[user_id, item],
-- select=[user_id, item], changelogMode=[I,UA]) over the insert-only filtered scan).
CREATE TABLE events (user_id BIGINT, amount BIGINT, item STRING)
  WITH ('connector' = 'datagen', 'number-of-rows' = '10');
EXPLAIN CHANGELOG_MODE
SELECT DISTINCT user_id, item FROM events WHERE amount > 5;
