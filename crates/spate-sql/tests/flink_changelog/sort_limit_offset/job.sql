-- ORDER BY .. LIMIT .. OFFSET: Flink's SortLimit with ranks 2 to 3 (the offset hides rank 1's
-- changes; a row pushed from rank 1 to 2 enters, one pushed past 3 leaves).
CREATE TABLE t (
  id INT,
  v INT
) WITH (
  'connector' = 'filesystem',
  'path' = '${DATA}/t.json',
  'format' = 'json'
);

SELECT id, v FROM t ORDER BY v DESC LIMIT 2 OFFSET 1;
