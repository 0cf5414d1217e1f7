-- With table.exec.state.ttl, Flink's GroupAggregate emits an update even when the results did
-- not change (so downstream state is written and does not expire early): user 1's MAX stays 5
-- through the second and third rows, and each still emits -U/+U. Without a TTL those two rows
-- would emit nothing.
SET 'table.exec.state.ttl' = '1 h';

CREATE TABLE events (
  user_id INT,
  amount INT,
  item STRING
) WITH (
  'connector' = 'filesystem',
  'path' = '${DATA}/events.csv',
  'format' = 'csv'
);

SELECT user_id, MAX(amount) AS top, MIN(item) AS first_item
FROM events
GROUP BY user_id;
