-- The MAP[k1, v1, k2, v2, ..] value constructor (and ARRAY[..] next to it): literal and
-- column keys and values, NULL values, a repeated key, keys whose Java hash order differs from
-- the written order, as JSON and as text, and element access. (Flink's JSON format refuses
-- maps with non-string or NULL keys, so those are only written as text.)
SET 'execution.checkpointing.interval' = '1s';

CREATE TABLE rows_in (
  id INT,
  k STRING,
  v INT,
  d DOUBLE
) WITH (
  'connector' = 'filesystem',
  'path' = '${DATA}/rows.json',
  'format' = 'json'
);

CREATE TABLE maps_out (
  id INT,
  lit MAP<STRING, INT>,
  cols MAP<STRING, INT>,
  nums_text STRING,
  mixed MAP<STRING, DOUBLE>,
  lit_text STRING,
  cols_text STRING,
  repeated_text STRING,
  repeated_order_text STRING,
  ordered_text STRING,
  looked_up INT,
  missing INT,
  card INT,
  arr ARRAY<INT>,
  arr_text STRING
) WITH (
  'connector' = 'filesystem',
  'path' = '${OUT}/maps_out',
  'format' = 'json'
);

INSERT INTO maps_out
SELECT
  id,
  MAP['k1', 1, 'k2', 2],
  MAP[COALESCE(k, 'none'), v, 'fixed', id],
  CAST(MAP[id, k, id + 1, 'next'] AS STRING),
  MAP['d', d, 'half', 0.5],
  CAST(MAP['k1', 1, 'k2', 2] AS STRING),
  CAST(MAP[k, v, 'fixed', id] AS STRING),
  CAST(MAP['a', 1, 'a', id] AS STRING),
  CAST(MAP['a', 1, 'b', 2, 'a', 3] AS STRING),
  CAST(MAP['b', 1, 'a', 2, 'c', 3, 'k10', 4, 'k2', 5] AS STRING),
  MAP['a', v, 'b', id]['a'],
  MAP['a', v]['zz'],
  CARDINALITY(MAP['a', 1, 'b', 2, 'a', 3]),
  ARRAY[id, v, 7],
  CAST(ARRAY[v, id] AS STRING)
FROM rows_in;
