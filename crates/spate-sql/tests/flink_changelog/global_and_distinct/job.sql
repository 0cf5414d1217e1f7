-- A global aggregate over an updating input (no GROUP BY: one group), and SELECT DISTINCT
-- over a projection of an aggregate: the distinct rows come and go as the sums change.
CREATE TABLE events (
  user_id INT,
  amount INT,
  item STRING
) WITH (
  'connector' = 'filesystem',
  'path' = '${DATA}/events.csv',
  'format' = 'csv'
);

CREATE VIEW sums AS SELECT user_id, SUM(amount) AS s FROM events GROUP BY user_id;

SELECT COUNT(*) AS n, SUM(s) AS total, MAX(s) AS top, COUNT(DISTINCT s) AS distinct_sums,
       LISTAGG(CAST(user_id AS STRING)) AS ids
FROM (SELECT DISTINCT user_id, s FROM sums WHERE s > 2);
