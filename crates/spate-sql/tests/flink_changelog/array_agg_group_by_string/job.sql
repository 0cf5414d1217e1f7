-- ARRAY_AGG over an insert-only source, a STRING argument: values in arrival order, duplicates
-- kept, NULLs kept unless IGNORE NULLS (RESPECT NULLS is the default). DISTINCT keeps each value's
-- first arrival once, NULL included. A group whose every value is NULL has ARRAY_AGG(v IGNORE
-- NULLS) NULL (an empty list is NULL), while ARRAY_AGG(v) is [NULL]. A row that changes no
-- aggregate value emits nothing (group b's NULL changes the plain arrays, so it emits).
-- Arrays are cast to STRING: PyFlink cannot print an array holding NULL; the cast prints
-- `[kiwi, NULL, kiwi]`, elements bare, unquoted: [''] prints `[]`, ['', 'x, y'] `[, x, y]`.
CREATE TABLE t (
  k STRING,
  v STRING
) WITH (
  'connector' = 'filesystem',
  'path' = '${DATA}/t.json',
  'format' = 'json'
);

SELECT k, CAST(ARRAY_AGG(v) AS STRING) AS a, CAST(ARRAY_AGG(DISTINCT v) AS STRING) AS d,
       CAST(ARRAY_AGG(v IGNORE NULLS) AS STRING) AS i, CAST(ARRAY_AGG(v RESPECT NULLS) AS STRING) AS r
FROM t
GROUP BY k;
