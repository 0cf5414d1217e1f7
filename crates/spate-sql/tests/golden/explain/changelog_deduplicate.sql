-- EXPLAIN CHANGELOG_MODE of a deduplication keeping each user's first event by processing time:
-- insert-only, as Flink 2.3 infers a keep-first deduplication of an insert-only input
-- (Rank(strategy=[AppendFastStrategy], rankRange=[rankStart=1, rankEnd=1], ..., changelogMode=[I]),
-- run as ProcTimeDeduplicateKeepFirstRowFunction), keyed by user_id.
CREATE TABLE events (user_id BIGINT, amount BIGINT, item STRING, pt AS PROCTIME())
  WITH ('connector' = 'datagen', 'number-of-rows' = '10');
CREATE TABLE firsts (user_id BIGINT, item STRING) WITH ('connector' = 'blackhole');
EXPLAIN CHANGELOG_MODE
INSERT INTO firsts
SELECT user_id, item FROM (
  SELECT *, ROW_NUMBER() OVER (PARTITION BY user_id ORDER BY pt) AS rn FROM events
) WHERE rn = 1;
