-- ORDER BY .. LIMIT in a streaming query: Flink's SortLimit, a Top-N over one global partition
-- without the rank column. Rows entering the top 3 are +I, rows pushed out -D; ties keep the row
-- that came first (id 2 before id 5); a NULL sorts last under DESC.
CREATE TABLE t (
  id INT,
  v INT
) WITH (
  'connector' = 'filesystem',
  'path' = '${DATA}/t.json',
  'format' = 'json'
);

SELECT id, v FROM t ORDER BY v DESC LIMIT 3;
