-- EXPLAIN CHANGELOG_MODE of LIMIT with OFFSET and no ORDER BY: Flink's Limit, a rank without
-- sort key over one task, insert-only over an insert-only input, so an append-only sink takes
-- it.
CREATE TABLE t (id INT, cat STRING, price INT)
  WITH ('connector' = 'datagen', 'number-of-rows' = '10');
CREATE TABLE out_t (id INT, cat STRING)
  WITH ('connector' = 'filesystem', 'path' = '/tmp/spate-explain-limit', 'format' = 'csv');
EXPLAIN CHANGELOG_MODE
INSERT INTO out_t SELECT id, cat FROM t LIMIT 3 OFFSET 2;
