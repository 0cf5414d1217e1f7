-- INET_ATON (MySQL's short forms `a`, `a.b`, `a.b.c`; decimal parts, leading zeros too; NULL
-- for spaces, signs, parts over 255, five parts, empty text), INET_NTOA (NULL outside
-- [0, 2^32)), UNHEX (pairs from the end; an odd leading digit is checked and lost, as in Flink;
-- NULL for a non-hex character), CURRENT_DATABASE() and TYPEOF (Flink's type summary).
CREATE TABLE t (
  id INT,
  s STRING,
  n BIGINT,
  h STRING
) WITH (
  'connector' = 'filesystem',
  'path' = '${DATA}/rows.json',
  'format' = 'json'
);

CREATE TABLE out_rows (
  id INT,
  aton BIGINT,
  ntoa STRING,
  unhexed BYTES,
  unhex_text STRING,
  db STRING,
  t_n STRING,
  t_s STRING,
  t_id STRING,
  t_arr STRING,
  t_dec STRING,
  t_null STRING,
  t_forced STRING,
  t_map STRING
) WITH (
  'connector' = 'filesystem',
  'path' = '${OUT}/out_rows',
  'format' = 'json'
);

INSERT INTO out_rows
SELECT id, INET_ATON(s), INET_NTOA(n), UNHEX(h), CAST(UNHEX(h) AS STRING), CURRENT_DATABASE(),
  TYPEOF(n), TYPEOF(s), TYPEOF(id), TYPEOF(ARRAY[id]), TYPEOF(1.5), TYPEOF(CAST(NULL AS INT)),
  TYPEOF(n, TRUE), TYPEOF(MAP['a', n])
FROM t;
