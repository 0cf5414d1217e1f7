-- A STATE_TTL hint of 0 turns the TTL off for this aggregate although table.exec.state.ttl
-- sets one: equal updates are suppressed again (key 1's second row emits nothing).
SET 'table.exec.state.ttl' = '1 h';

CREATE TABLE t (k INT, v INT) WITH (
  'connector' = 'filesystem',
  'path' = '${DATA}/t.csv',
  'format' = 'csv'
);

SELECT /*+ STATE_TTL('t' = '0') */ k, SUM(v) AS s FROM t GROUP BY k;
