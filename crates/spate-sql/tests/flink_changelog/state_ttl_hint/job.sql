-- A STATE_TTL hint gives this aggregate a state TTL (over table.exec.state.ttl, unset here), and
-- with a TTL Flink emits updates equal to the row before: key 1's second row (v = 0) leaves
-- SUM at 5 and still emits -U/+U, as key 2's second row does. The hint names the aggregate's
-- input by its alias.
CREATE TABLE t (k INT, v INT) WITH (
  'connector' = 'filesystem',
  'path' = '${DATA}/t.csv',
  'format' = 'csv'
);

SELECT /*+ STATE_TTL('o' = '1h') */ k, SUM(v) AS s FROM t AS o GROUP BY k;
