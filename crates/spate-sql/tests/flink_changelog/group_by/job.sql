-- GROUP BY without a window over an insert-only source: +I for a group's first row, then a
-- -U/+U pair per row that changes the group's results. The second row of user 2 (amount 3,
-- 'plum') changes COUNT and SUM; HAVING filters the updates (a filter over an updating input).
CREATE TABLE events (
  user_id INT,
  amount INT,
  item STRING
) WITH (
  'connector' = 'filesystem',
  'path' = '${DATA}/events.csv',
  'format' = 'csv'
);

SELECT user_id, COUNT(*) AS c, SUM(amount) AS s, MAX(item) AS m, MIN(amount) AS lo,
       AVG(amount) AS av, COUNT(DISTINCT amount) AS da
FROM events
GROUP BY user_id
HAVING SUM(amount) > 4;
