-- Flink 2.3's array and map functions (issue 42): ARRAY_APPEND/PREPEND (a NULL value is
-- appended), ARRAY_CONCAT, ARRAY_DISTINCT/UNION/INTERSECT/EXCEPT (distinct elements in first
-- places, one NULL kept), ARRAY_JOIN (NULLs skipped or replaced), ARRAY_MAX/MIN (NULLs
-- ignored), ARRAY_POSITION (0 when absent, NULL for a NULL value), ARRAY_REMOVE (a NULL value
-- removes the NULLs), ARRAY_REVERSE, ARRAY_SLICE (negative offsets from the end, 0 and
-- out-of-range offsets clamped), ARRAY_SORT (NULLs first ascending, last descending, unless
-- told), ELEMENT, MAP_KEYS/VALUES/ENTRIES (entry order), MAP_FROM_ARRAYS (a repeated key kept
-- twice), MAP_UNION (the later map's entries first). A NULL array, map or offset gives NULL.
CREATE TABLE t (
  id INT,
  a ARRAY<INT>,
  b ARRAY<INT>,
  s ARRAY<STRING>,
  m MAP<STRING, INT>,
  e ARRAY<INT>
) WITH (
  'connector' = 'filesystem',
  'path' = '${DATA}/rows.json',
  'format' = 'json'
);

CREATE TABLE arrays_out (
  id INT,
  app ARRAY<INT>,
  app_null ARRAY<INT>,
  pre ARRAY<INT>,
  cat ARRAY<INT>,
  cat_null ARRAY<INT>,
  dis ARRAY<INT>,
  uni ARRAY<INT>,
  inter ARRAY<INT>,
  exc ARRAY<INT>,
  jn STRING,
  jn_repl STRING,
  mx INT,
  mn INT,
  smax STRING,
  pos INT,
  pos_null INT,
  spos INT,
  rem ARRAY<INT>,
  rem_null ARRAY<INT>,
  rev ARRAY<STRING>
) WITH (
  'connector' = 'filesystem',
  'path' = '${OUT}/arrays_out',
  'format' = 'json'
);

CREATE TABLE slices_out (
  id INT,
  s23 ARRAY<INT>,
  s_neg2 ARRAY<INT>,
  s0_10 ARRAY<INT>,
  s42 ARRAY<INT>,
  s_neg10_neg3 ARRAY<INT>,
  s_neg1_0 ARRAY<INT>,
  s10 ARRAY<INT>,
  s6 ARRAY<INT>,
  s_null ARRAY<INT>,
  srt ARRAY<INT>,
  srt_desc ARRAY<INT>,
  srt_nulls_last ARRAY<INT>,
  srt_desc_nulls_first ARRAY<INT>,
  srt_null ARRAY<INT>,
  srt_s ARRAY<STRING>,
  el INT
) WITH (
  'connector' = 'filesystem',
  'path' = '${OUT}/slices_out',
  'format' = 'json'
);

CREATE TABLE maps_out (
  id INT,
  ks ARRAY<STRING>,
  vs ARRAY<INT>,
  es ARRAY<ROW<key STRING, `value` INT>>,
  es_text STRING,
  un MAP<STRING, INT>,
  un_text STRING,
  un_null MAP<STRING, INT>,
  fa_text STRING,
  fa_dup_text STRING,
  ctor_keys ARRAY<STRING>
) WITH (
  'connector' = 'filesystem',
  'path' = '${OUT}/maps_out',
  'format' = 'json'
);

INSERT INTO arrays_out
SELECT id, ARRAY_APPEND(a, 9), ARRAY_APPEND(a, CAST(NULL AS INT)), ARRAY_PREPEND(a, 9),
  ARRAY_CONCAT(a, b), ARRAY_CONCAT(a, CAST(NULL AS ARRAY<INT>)), ARRAY_DISTINCT(a),
  ARRAY_UNION(a, b), ARRAY_INTERSECT(a, b), ARRAY_EXCEPT(a, b), ARRAY_JOIN(s, '-'),
  ARRAY_JOIN(s, '-', 'N'), ARRAY_MAX(a), ARRAY_MIN(a), ARRAY_MAX(s), ARRAY_POSITION(a, 1),
  ARRAY_POSITION(a, CAST(NULL AS INT)), ARRAY_POSITION(s, 'x'), ARRAY_REMOVE(a, 1),
  ARRAY_REMOVE(a, CAST(NULL AS INT)), ARRAY_REVERSE(s)
FROM t;

INSERT INTO slices_out
SELECT id, ARRAY_SLICE(a, 2, 3), ARRAY_SLICE(a, -2), ARRAY_SLICE(a, 0, 10), ARRAY_SLICE(a, 4, 2),
  ARRAY_SLICE(a, -10, -3), ARRAY_SLICE(a, -1, 0), ARRAY_SLICE(a, 1, 0), ARRAY_SLICE(a, 6),
  ARRAY_SLICE(a, 2, CAST(NULL AS INT)), ARRAY_SORT(a), ARRAY_SORT(a, FALSE),
  ARRAY_SORT(a, TRUE, FALSE), ARRAY_SORT(a, FALSE, TRUE), ARRAY_SORT(a, CAST(NULL AS BOOLEAN)),
  ARRAY_SORT(s), CASE WHEN CARDINALITY(e) <= 1 THEN ELEMENT(e) END
FROM t;

INSERT INTO maps_out
SELECT id, MAP_KEYS(m), MAP_VALUES(m), MAP_ENTRIES(m), CAST(MAP_ENTRIES(m) AS STRING),
  MAP_UNION(m, MAP['k2', 20, 'k9', 9]), CAST(MAP_UNION(m, MAP['k2', 20, 'k9', 9]) AS STRING),
  MAP_UNION(m, CAST(NULL AS MAP<STRING, INT>)),
  CAST(MAP_FROM_ARRAYS(ARRAY['p', 'q'], ARRAY[id, 2]) AS STRING),
  CAST(MAP_FROM_ARRAYS(ARRAY['p', 'p'], ARRAY[1, id]) AS STRING),
  MAP_KEYS(MAP['b', 1, 'a', 2, 'c', id])
FROM t;
