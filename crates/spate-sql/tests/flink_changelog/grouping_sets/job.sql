-- GROUPING SETS: each row counts once in each set's group (the keys a set leaves out are
-- NULL), and GROUPING()/GROUPING_ID() tell the sets' groups apart. Flink plans it as Expand
-- (a row per set, in the sets' order) under one GroupAggregate, so each input row updates
-- its group of every set in turn.
CREATE TABLE events (
  user_id INT,
  amount INT,
  item STRING
) WITH (
  'connector' = 'filesystem',
  'path' = '${DATA}/events.csv',
  'format' = 'csv'
);

SELECT user_id, item, COUNT(*) AS n, SUM(amount) AS s,
       GROUPING(user_id) AS gu, GROUPING(item) AS gi, GROUPING_ID(user_id, item) AS gid
FROM events
GROUP BY GROUPING SETS ((user_id, item), (user_id), ());
