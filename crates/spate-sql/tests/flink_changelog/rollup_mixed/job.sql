-- Grouping sets written as a cross product: GROUPING SETS ((), (item)) times ROLLUP (user_id)
-- is the sets (user_id), (), (item, user_id), (item), which Flink runs in its own order
-- (the keys' sets largest first). GROUPING_ID over the keys in another order than GROUP BY's.
CREATE TABLE events (
  user_id INT,
  amount INT,
  item STRING
) WITH (
  'connector' = 'filesystem',
  'path' = '${DATA}/events.csv',
  'format' = 'csv'
);

SELECT item, user_id, SUM(amount) AS s, COUNT(DISTINCT amount) AS d,
       GROUPING_ID(user_id, item) AS gid, GROUPING(user_id) AS gu
FROM events
GROUP BY GROUPING SETS ((), (item)), ROLLUP (user_id);
