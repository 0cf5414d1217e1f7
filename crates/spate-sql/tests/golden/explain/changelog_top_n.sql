-- EXPLAIN CHANGELOG_MODE of Top-Ns into a sink that takes upserts: the 3 most frequent items per
-- user over a GROUP BY (COUNT only grows and the upsert key (user_id, item) holds the partition
-- key: UpdateFastStrategy, the aggregate's new images alone, as Flink 2.3 plans it:
-- Rank(strategy=[UpdateFastStrategy[0,1]], ..., changelogMode=[I,UA,D]) over
-- GroupAggregate(.., changelogMode=[I,UA])), then keyed by user_id on one engine operator.
CREATE TABLE events (user_id BIGINT, amount BIGINT, item STRING)
  WITH ('connector' = 'datagen', 'number-of-rows' = '10');
CREATE TABLE top_items (user_id BIGINT, item STRING, n BIGINT, rn BIGINT)
  WITH ('connector' = 'blackhole');
EXPLAIN CHANGELOG_MODE
INSERT INTO top_items
SELECT * FROM (
  SELECT user_id, item, n, ROW_NUMBER() OVER (PARTITION BY user_id ORDER BY n DESC) AS rn
  FROM (SELECT user_id, item, COUNT(*) AS n FROM events GROUP BY user_id, item)
) WHERE rn <= 3;
