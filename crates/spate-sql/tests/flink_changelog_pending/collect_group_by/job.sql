-- COLLECT (a MULTISET) over an insert-only source, cast to STRING: `{value=count, ...}`. COLLECT
-- skips NULL arguments; a group with no non-NULL value has the empty multiset `{}` (not NULL).
-- The entries come in the iteration order of a java.util.HashMap (put, default capacity 16) of
-- the internal values, not arrival order: INT hashes to itself, so 20, 3, 17 print as 17, 3, 20
-- (buckets 1, 3, 4); STRING (BinaryStringData) by MurmurHashUtil.hashBytes of its UTF-8: kiwi and
-- apple share bucket 8 (kept in put order), fig 13, banana 14.
CREATE TABLE t (
  k INT,
  v INT,
  s STRING
) WITH (
  'connector' = 'filesystem',
  'path' = '${DATA}/t.json',
  'format' = 'json'
);

SELECT k, CAST(COLLECT(v) AS STRING) AS cv, CAST(COLLECT(s) AS STRING) AS cs,
       CAST(COLLECT(DISTINCT v) AS STRING) AS dv
FROM t
GROUP BY k;
