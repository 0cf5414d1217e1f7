-- EXPLAIN CHANGELOG_MODE of a query aggregating without GROUP BY: one global group, an
-- updating aggregate with no grouping keys (Flink 2.3: GroupAggregate(select=[COUNT(DISTINCT
-- item) AS d, AVG(amount) AS EXPR$1], changelogMode=[I,UA]) for a query, whose rows may come
-- as upserts); its one row is unique on no column at all (upsertKeys=[[]]).
CREATE TABLE events (user_id BIGINT, amount BIGINT, item STRING)
  WITH ('connector' = 'datagen', 'number-of-rows' = '10');
EXPLAIN CHANGELOG_MODE
SELECT COUNT(DISTINCT item) AS d, AVG(amount) FROM events;
