-- Collection functions: SPLIT (empty pieces kept, an empty delimiter, an empty string),
-- STR_TO_MAP (regular-expression delimiters, a key without a value, a repeated key, an empty
-- piece; the map written in java.util.HashMap's order, as Flink writes it) and ARRAY_CONTAINS
-- (a NULL needle finds a NULL element, a NULL array gives NULL).
SET 'execution.checkpointing.interval' = '1s';

CREATE TABLE rows_in (
  id INT,
  s STRING,
  d STRING,
  kv STRING,
  ld STRING,
  kd STRING,
  arr ARRAY<INT>,
  tags ARRAY<STRING>,
  v INT,
  t STRING
) WITH (
  'connector' = 'filesystem',
  'path' = '${DATA}/rows.json',
  'format' = 'json'
);

CREATE TABLE splits (
  id INT,
  pieces ARRAY<STRING>,
  by_comma ARRAY<STRING>,
  n_pieces INT,
  first_piece STRING,
  has_b BOOLEAN
) WITH (
  'connector' = 'filesystem',
  'path' = '${OUT}/splits',
  'format' = 'json'
);

CREATE TABLE maps (
  id INT,
  default_map MAP<STRING, STRING>,
  custom_map MAP<STRING, STRING>,
  value_a STRING,
  n_custom INT,
  has_no_value BOOLEAN
) WITH (
  'connector' = 'filesystem',
  'path' = '${OUT}/maps',
  'format' = 'json'
);

CREATE TABLE array_hits (
  id INT,
  arr_v BOOLEAN,
  arr_null BOOLEAN,
  arr_2 BOOLEAN,
  tags_t BOOLEAN,
  tags_null BOOLEAN,
  literal_array BOOLEAN
) WITH (
  'connector' = 'filesystem',
  'path' = '${OUT}/array_hits',
  'format' = 'json'
);

INSERT INTO splits
SELECT
  id,
  SPLIT(s, d),
  SPLIT(s, ','),
  CARDINALITY(SPLIT(s, d)),
  SPLIT(s, d)[1],
  ARRAY_CONTAINS(SPLIT(s, d), 'b')
FROM rows_in;

INSERT INTO maps
SELECT
  id,
  STR_TO_MAP(kv),
  STR_TO_MAP(kv, ld, kd),
  STR_TO_MAP(kv, ld, kd)['a'],
  CARDINALITY(STR_TO_MAP(kv, ld, kd)),
  STR_TO_MAP(kv, ld, kd)['s'] IS NULL
FROM rows_in;

INSERT INTO array_hits
SELECT
  id,
  ARRAY_CONTAINS(arr, v),
  ARRAY_CONTAINS(arr, CAST(NULL AS INT)),
  ARRAY_CONTAINS(arr, 2),
  ARRAY_CONTAINS(tags, t),
  ARRAY_CONTAINS(tags, NULL),
  ARRAY_CONTAINS(ARRAY['x', 'y', t], 'y')
FROM rows_in;
