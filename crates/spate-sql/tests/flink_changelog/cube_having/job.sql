-- CUBE (item, user_id) is the grouping sets of every subset of its keys, which Flink orders
-- (largest first) whatever order they are written in; HAVING filters the groups of every set,
-- so a group shows up as +U when it first passes.
CREATE TABLE events (
  user_id INT,
  amount INT,
  item STRING
) WITH (
  'connector' = 'filesystem',
  'path' = '${DATA}/events.csv',
  'format' = 'csv'
);

SELECT item, user_id, MAX(amount) AS top, GROUPING_ID(item, user_id) AS gid
FROM events
GROUP BY CUBE (item, user_id)
HAVING COUNT(*) > 1;
