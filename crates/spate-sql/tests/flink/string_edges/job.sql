SET 'execution.checkpointing.interval' = '1s';

CREATE TABLE rows_in (
  id INT,
  s STRING,
  a STRING,
  b STRING,
  n INT,
  p STRING
) WITH (
  'connector' = 'filesystem',
  'path' = '${DATA}/rows.json',
  'format' = 'json'
);

CREATE TABLE str1 (
  id INT,
  cws1 STRING,
  cws2 STRING,
  cws3 STRING,
  lpad_n STRING,
  rpad_n STRING,
  lpad_p STRING,
  rpad_p STRING,
  lpad_0 STRING,
  initcap_s STRING,
  pos_a INT,
  locate_a INT,
  locate_a2 INT,
  pipe STRING,
  concat3 STRING
) WITH (
  'connector' = 'filesystem',
  'path' = '${OUT}/str1',
  'format' = 'json'
);

CREATE TABLE str2 (
  id INT,
  sub_neg STRING,
  sub_zero STRING,
  sub_n STRING,
  sub_nn STRING,
  rep_empty STRING,
  rep_ab STRING,
  split_neg STRING,
  split_2 STRING,
  trim_both STRING,
  trim_lead STRING,
  trim_trail STRING,
  left_n STRING,
  right_n STRING,
  clen INT,
  repeat_s STRING,
  reverse_s STRING,
  upper_s STRING,
  lower_s STRING
) WITH (
  'connector' = 'filesystem',
  'path' = '${OUT}/str2',
  'format' = 'json'
);

CREATE TABLE str3 (
  id INT,
  rr_group STRING,
  rr_col STRING,
  rr_empty STRING,
  rex_0 STRING,
  rex_2 STRING,
  ascii_s INT,
  chr_n STRING,
  instr_s INT,
  ltrim_x STRING,
  rtrim_x STRING,
  overlay_s STRING,
  rex_like BOOLEAN,
  similar_s BOOLEAN,
  translate_s STRING
) WITH (
  'connector' = 'filesystem',
  'path' = '${OUT}/str3',
  'format' = 'json'
);

INSERT INTO str1
SELECT
  id,
  CONCAT_WS('-', s, a, b),
  CONCAT_WS(p, a, b),
  CONCAT_WS('', a, CAST(NULL AS STRING), b),
  LPAD(a, n, '*'),
  RPAD(a, n, '*'),
  LPAD(b, 4, p),
  RPAD(b, 4, p),
  LPAD(s, 0, 'x'),
  INITCAP(s),
  POSITION(a IN s),
  LOCATE(a, s),
  LOCATE(a, s, 3),
  s || a,
  CONCAT(s, a, b)
FROM rows_in;

INSERT INTO str2
SELECT
  id,
  SUBSTRING(s, -3),
  SUBSTRING(s, 0, 3),
  SUBSTRING(s, n),
  SUBSTRING(s, 2, n),
  REPLACE(s, '', '+'),
  REPLACE(s, a, b),
  SPLIT_INDEX(a, ',', -1),
  SPLIT_INDEX(a, ',', 2),
  TRIM(BOTH 'x' FROM s),
  TRIM(LEADING 'x' FROM s),
  TRIM(TRAILING 'x' FROM s),
  LEFT(s, n),
  RIGHT(s, n),
  CHAR_LENGTH(s),
  REPEAT(a, n),
  REVERSE(s),
  UPPER(s),
  LOWER(s)
FROM rows_in;

INSERT INTO str3
SELECT
  id,
  REGEXP_REPLACE(s, '(\d+)', '<$1>'),
  REGEXP_REPLACE(s, a, b),
  REGEXP_REPLACE(s, 'o', ''),
  REGEXP_EXTRACT(s, '([a-z]+)(\d+)', 0),
  REGEXP_EXTRACT(s, '([a-z]+)(\d+)', 2),
  ASCII(s),
  CHR(id + 64),
  POSITION(b IN s),
  LTRIM(s, 'x'),
  RTRIM(s, 'x'),
  CAST(NULL AS STRING),
  REGEXP(s, '^[a-z ]+$'),
  s LIKE '%o%',
  REPLACE(s, 'lo', 'LO')
FROM rows_in;
