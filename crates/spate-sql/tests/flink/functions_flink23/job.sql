-- Functions of Flink 2.3's built-in list added on 2026-11-27 (issue 42): SIMILAR TO (with and
-- without ESCAPE, POSIX classes, `.` and `^` passed through as Calcite passes them), CONVERT_TZ
-- (lenient SimpleDateFormat parsing, java.util.TimeZone ids: unknown ids are GMT, EST is a
-- fixed offset, an overlap is standard time), STARTSWITH/ENDSWITH, REGEXP_COUNT/INSTR/SUBSTR/
-- EXTRACT_ALL, URL_ENCODE/URL_DECODE, IS_ALPHA/IS_DIGIT/IS_DECIMAL, ELT, JSON_QUOTE/JSON_UNQUOTE,
-- the SHA-2 family, SINH/COSH/TANH/COT, BIN and UUID's shape.
SET 'execution.checkpointing.interval' = '1s';

CREATE TABLE rows_in (
  id INT,
  s STRING,
  p STRING,
  ts STRING,
  z1 STRING,
  z2 STRING,
  n INT,
  d DOUBLE,
  u STRING,
  j STRING
) WITH (
  'connector' = 'filesystem',
  'path' = '${DATA}/rows.json',
  'format' = 'json'
);

CREATE TABLE similar_out (
  id INT,
  sim BOOLEAN,
  not_sim BOOLEAN,
  sim_escaped BOOLEAN,
  sim_literal_backslash BOOLEAN,
  sim_class BOOLEAN
) WITH (
  'connector' = 'filesystem',
  'path' = '${OUT}/similar_out',
  'format' = 'json'
);

CREATE TABLE convert_tz_out (
  id INT,
  converted STRING,
  to_utc STRING,
  from_utc STRING
) WITH (
  'connector' = 'filesystem',
  'path' = '${OUT}/convert_tz_out',
  'format' = 'json'
);

CREATE TABLE strings_out (
  id INT,
  starts BOOLEAN,
  ends BOOLEAN,
  re_count INT,
  re_instr INT,
  re_substr STRING,
  re_all ARRAY<STRING>,
  re_all_group ARRAY<STRING>,
  url_enc STRING,
  url_dec STRING,
  is_alpha BOOLEAN,
  is_digit BOOLEAN,
  is_decimal BOOLEAN,
  elt_s STRING,
  json_q STRING,
  json_uq STRING,
  bin_n STRING
) WITH (
  'connector' = 'filesystem',
  'path' = '${OUT}/strings_out',
  'format' = 'json'
);

CREATE TABLE numbers_out (
  id INT,
  sha224_s STRING,
  sha384_s STRING,
  sha512_s STRING,
  sha2_224 STRING,
  sinh_d DOUBLE,
  cosh_d DOUBLE,
  tanh_d DOUBLE,
  cot_d DOUBLE,
  uuid_len INT,
  uuid_version STRING
) WITH (
  'connector' = 'filesystem',
  'path' = '${OUT}/numbers_out',
  'format' = 'json'
);

INSERT INTO similar_out
SELECT
  id,
  s SIMILAR TO p,
  s NOT SIMILAR TO p,
  s SIMILAR TO p ESCAPE '!',
  s SIMILAR TO 'a\b',
  s SIMILAR TO '[[:alpha:]][[:alnum:]]*'
FROM rows_in;

INSERT INTO convert_tz_out
SELECT id, CONVERT_TZ(ts, z1, z2), CONVERT_TZ(ts, z2, 'UTC'), CONVERT_TZ(ts, 'UTC', z1)
FROM rows_in;

INSERT INTO strings_out
SELECT
  id,
  STARTSWITH(s, SUBSTRING(p, 1, 1)),
  ENDSWITH(s, 'c'),
  REGEXP_COUNT(s, '[a-c]'),
  REGEXP_INSTR(s, 'b|c'),
  REGEXP_SUBSTR(s, '[b-z]+'),
  REGEXP_EXTRACT_ALL(s, '([a-z])([a-z0-9]?)'),
  REGEXP_EXTRACT_ALL(s, '([a-z])([0-9])?', 2),
  URL_ENCODE(u),
  URL_DECODE(u),
  IS_ALPHA(s),
  IS_DIGIT(s),
  IS_DECIMAL(CAST(d AS STRING)),
  ELT(n, 'one', 'two', s),
  JSON_QUOTE(s),
  JSON_UNQUOTE(j),
  BIN(n)
FROM rows_in;

INSERT INTO numbers_out
SELECT
  id,
  SHA224(s),
  SHA384(s),
  SHA512(s),
  SHA2(s, 224),
  SINH(d),
  COSH(d),
  TANH(d),
  COT(d),
  CHAR_LENGTH(UUID()),
  SUBSTRING(UUID(), 15, 1)
FROM rows_in;
