-- LIMIT without ORDER BY over a GROUP BY: an updating input, so Flink's Limit retracts
-- (RetractableTopNFunction without a sort key): the first 2 groups, each update of them passed
-- on, later groups never shown.
CREATE TABLE t (
  k STRING,
  v INT
) WITH (
  'connector' = 'filesystem',
  'path' = '${DATA}/t.json',
  'format' = 'json'
);

SELECT k, c FROM (SELECT k, COUNT(*) AS c FROM t GROUP BY k) LIMIT 2;
