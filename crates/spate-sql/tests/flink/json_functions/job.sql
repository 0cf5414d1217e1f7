-- JSON_OBJECT (keys sorted, NULL ON NULL by default, ABSENT ON NULL, a repeated key, a key from
-- a column, nested constructors as JSON, a JSON text from a column as a string), JSON_ARRAY
-- (ABSENT ON NULL by default, NULL ON NULL) and JSON_STRING over every writable type: integers,
-- DOUBLE and FLOAT (BigDecimal's layout: 1.0E+20), DECIMAL, strings with quotes, control
-- characters and non-ASCII text, BOOLEAN, TIMESTAMP, ARRAY and NULLs; JSON_EXISTS and JSON_QUERY
-- (lax and strict paths, ON ERROR, wrappers; Jackson's sorted keys and BigDecimal numbers).
SET 'execution.checkpointing.interval' = '1s';

CREATE TABLE rows_in (
  id INT,
  name STRING,
  i INT,
  d DOUBLE,
  m DECIMAL(10, 2),
  s STRING,
  b BOOLEAN,
  ts TIMESTAMP(3),
  tags ARRAY<STRING>,
  f FLOAT,
  doc STRING
) WITH (
  'connector' = 'filesystem',
  'path' = '${DATA}/rows.json',
  'format' = 'json'
);

CREATE TABLE objects (
  id INT,
  obj STRING,
  obj_absent STRING,
  obj_nested STRING,
  obj_keyed STRING
) WITH (
  'connector' = 'filesystem',
  'path' = '${OUT}/objects',
  'format' = 'json'
);

CREATE TABLE arrays (
  id INT,
  arr STRING,
  arr_nulls STRING,
  arr_nested STRING
) WITH (
  'connector' = 'filesystem',
  'path' = '${OUT}/arrays',
  'format' = 'json'
);

CREATE TABLE strings (
  id INT,
  js_i STRING,
  js_d STRING,
  js_m STRING,
  js_s STRING,
  js_b STRING,
  js_ts STRING,
  js_tags STRING,
  js_f STRING
) WITH (
  'connector' = 'filesystem',
  'path' = '${OUT}/strings',
  'format' = 'json'
);

CREATE TABLE queries (
  id INT,
  has_a BOOLEAN,
  has_a_strict BOOLEAN,
  has_k BOOLEAN,
  whole_doc STRING,
  a_value STRING,
  a_conditional STRING,
  ab_wrapped STRING,
  s_on_error STRING,
  second_item STRING
) WITH (
  'connector' = 'filesystem',
  'path' = '${OUT}/queries',
  'format' = 'json'
);

INSERT INTO queries
SELECT
  id,
  JSON_EXISTS(doc, '$.a'),
  JSON_EXISTS(doc, 'strict $.a' UNKNOWN ON ERROR),
  JSON_EXISTS(doc, '$[1].k'),
  JSON_QUERY(doc, '$'),
  JSON_QUERY(doc, '$.a'),
  JSON_QUERY(doc, '$.a' WITH CONDITIONAL WRAPPER),
  JSON_QUERY(doc, '$.a.b' WITH WRAPPER),
  JSON_QUERY(doc, '$.s' EMPTY ARRAY ON ERROR),
  JSON_QUERY(doc, '$[1]')
FROM rows_in;

INSERT INTO objects
SELECT
  id,
  JSON_OBJECT('s' VALUE s, 'i' VALUE i, 'd' VALUE d, 'm' VALUE m, 'b' VALUE b, 'ts' VALUE ts, 'tags' VALUE tags, 'f' VALUE f),
  JSON_OBJECT(KEY 'z' VALUE i, KEY 'a' VALUE s, 'z' VALUE d ABSENT ON NULL),
  JSON_OBJECT('inner' VALUE JSON_OBJECT('n' VALUE name), 'list' VALUE JSON_ARRAY(i, s), 'text' VALUE JSON_STRING(s)),
  JSON_OBJECT(KEY COALESCE(name, 'none') VALUE id)
FROM rows_in;

INSERT INTO arrays
SELECT
  id,
  JSON_ARRAY(i, d, m, s, b, ts, tags, f),
  JSON_ARRAY(name, i NULL ON NULL),
  JSON_ARRAY(JSON_ARRAY(i), JSON_OBJECT('b' VALUE b), s)
FROM rows_in;

INSERT INTO strings
SELECT
  id,
  JSON_STRING(i),
  JSON_STRING(d),
  JSON_STRING(m),
  JSON_STRING(s),
  JSON_STRING(b),
  JSON_STRING(ts),
  JSON_STRING(tags),
  JSON_STRING(f)
FROM rows_in;
