-- String functions added after the first corpus: INSTR (positions from the end, the nth
-- occurrence, an empty needle), LOCATE with a start, OVERLAY (FROM outside the string, FOR 0 or
-- negative, UTF-16 positions past an emoji), TO_BASE64/FROM_BASE64 (unpadded and sloppy final
-- bits), HEX of strings and integers (negative: two's complement), and PARSE_URL over odd URLs.
SET 'execution.checkpointing.interval' = '1s';

CREATE TABLE rows_in (
  id INT,
  s STRING,
  sub STRING,
  n INT,
  m INT,
  url STRING,
  b64 STRING,
  part STRING,
  `key` STRING
) WITH (
  'connector' = 'filesystem',
  'path' = '${DATA}/rows.json',
  'format' = 'json'
);

CREATE TABLE string_positions (
  id INT,
  instr2 INT,
  instr3 INT,
  instr4 INT,
  instr_l INT,
  instr_empty INT,
  locate3 INT,
  overlay3 STRING,
  overlay4 STRING,
  overlay_empty STRING,
  overlay_for0 STRING
) WITH (
  'connector' = 'filesystem',
  'path' = '${OUT}/string_positions',
  'format' = 'json'
);

CREATE TABLE encodings (
  id INT,
  to_b64 STRING,
  from_b64 STRING,
  round_trip STRING,
  hex_s STRING,
  hex_n STRING,
  hex_tiny STRING,
  hex_big STRING
) WITH (
  'connector' = 'filesystem',
  'path' = '${OUT}/encodings',
  'format' = 'json'
);

CREATE TABLE url_parts (
  id INT,
  host_part STRING,
  path_part STRING,
  query_part STRING,
  ref_part STRING,
  protocol_part STRING,
  file_part STRING,
  authority_part STRING,
  userinfo_part STRING,
  query_key STRING,
  by_part STRING,
  by_part_key STRING
) WITH (
  'connector' = 'filesystem',
  'path' = '${OUT}/url_parts',
  'format' = 'json'
);

INSERT INTO string_positions
SELECT
  id,
  INSTR(s, sub),
  INSTR(s, sub, n),
  INSTR(s, sub, n, m),
  INSTR(s, 'l', -1, 2),
  INSTR(s, '', n),
  LOCATE(sub, s, n),
  OVERLAY(s PLACING sub FROM n),
  OVERLAY(s PLACING 'XY' FROM m FOR n),
  OVERLAY(s PLACING '' FROM 2),
  OVERLAY(s PLACING sub FROM m FOR 0)
FROM rows_in;

INSERT INTO encodings
SELECT
  id,
  TO_BASE64(s),
  FROM_BASE64(b64),
  FROM_BASE64(TO_BASE64(s)),
  HEX(s),
  HEX(n),
  HEX(CAST(n AS TINYINT)),
  HEX(CAST(n AS BIGINT) * 1000000007)
FROM rows_in;

INSERT INTO url_parts
SELECT
  id,
  PARSE_URL(url, 'HOST'),
  PARSE_URL(url, 'PATH'),
  PARSE_URL(url, 'QUERY'),
  PARSE_URL(url, 'REF'),
  PARSE_URL(url, 'PROTOCOL'),
  PARSE_URL(url, 'FILE'),
  PARSE_URL(url, 'AUTHORITY'),
  PARSE_URL(url, 'USERINFO'),
  PARSE_URL(url, 'QUERY', `key`),
  PARSE_URL(url, part),
  PARSE_URL(url, part, `key`)
FROM rows_in;
