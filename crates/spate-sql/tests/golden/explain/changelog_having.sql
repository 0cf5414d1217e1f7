-- EXPLAIN CHANGELOG_MODE of a query with HAVING over an unbounded GROUP BY: a filter over
-- updates must retract rows that stop matching, so it and the aggregate below it emit
-- [I,UB,UA] even where the consumer would take upserts, as in Flink 2.3's EXPLAIN
-- (Calc(select=[user_id, c], where=[>(c, 1)], changelogMode=[I,UB,UA]) over
-- GroupAggregate(groupBy=[user_id], select=[user_id, COUNT(*) AS c], changelogMode=[I,UB,UA])).
-- The WHERE below the aggregate reads insertions only: [I].
CREATE TABLE events (user_id BIGINT, amount BIGINT, item STRING)
  WITH ('connector' = 'datagen', 'number-of-rows' = '10');
EXPLAIN CHANGELOG_MODE
SELECT user_id, COUNT(*) AS c FROM events WHERE amount > 0 GROUP BY user_id HAVING COUNT(*) > 1;
