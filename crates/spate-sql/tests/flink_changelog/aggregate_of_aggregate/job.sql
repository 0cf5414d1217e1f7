-- A GROUP BY over a GROUP BY: the inner aggregate's -U/+U pairs move each user from one count
-- to the next, so the outer groups are retracted, updated and deleted (-D when a count has no
-- user left). MAX and MIN over the updating input fall back to the next value on retraction.
CREATE TABLE events (
  user_id INT,
  amount INT,
  item STRING
) WITH (
  'connector' = 'filesystem',
  'path' = '${DATA}/events.csv',
  'format' = 'csv'
);

SELECT c, COUNT(*) AS users, MAX(s) AS top, MIN(s) AS low, SUM(s) AS total
FROM (SELECT user_id, COUNT(*) AS c, SUM(amount) AS s FROM events GROUP BY user_id)
GROUP BY c;
