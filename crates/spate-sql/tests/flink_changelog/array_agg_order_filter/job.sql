-- ARRAY_AGG(v ORDER BY ...) is accepted and the ORDER BY ignored: the plan drops it (AST
-- `ARRAY_AGG($1) WITHIN GROUP ([1 DESC])`, physical plan `ARRAY_AGG(v)`), so values stay in
-- arrival order. FILTER (WHERE ...) is accepted: a row failing it is not accumulated (NULL
-- fails `v > 4`), and a group none of whose rows pass has NULL (group 2 until v = 6).
CREATE TABLE t (
  k INT,
  v INT
) WITH (
  'connector' = 'filesystem',
  'path' = '${DATA}/t.json',
  'format' = 'json'
);

SELECT k, CAST(ARRAY_AGG(v ORDER BY v DESC) AS STRING) AS o,
       CAST(ARRAY_AGG(v) FILTER (WHERE v > 4) AS STRING) AS f,
       CAST(ARRAY_AGG(DISTINCT v) FILTER (WHERE v > 4) AS STRING) AS df
FROM t
GROUP BY k;
