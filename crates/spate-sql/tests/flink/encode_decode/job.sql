-- ENCODE and DECODE with the charsets every Java has, by their names and aliases (any case):
-- a character a charset cannot hold is encoded as '?' (one per character, an emoji too);
-- bytes that are not text in the charset decode to U+FFFD; UTF-16 writes a big-endian byte-order
-- mark and reads by the mark; an odd last byte of UTF-16 is U+FFFD.
CREATE TABLE t (
  id INT,
  s STRING
) WITH (
  'connector' = 'filesystem',
  'path' = '${DATA}/rows.json',
  'format' = 'json'
);

CREATE TABLE encoded (
  id INT,
  utf8 BYTES,
  ascii BYTES,
  latin1 BYTES,
  utf16be BYTES,
  utf16le BYTES,
  utf16 BYTES,
  lower_alias BYTES
) WITH (
  'connector' = 'filesystem',
  'path' = '${OUT}/encoded',
  'format' = 'json'
);

CREATE TABLE decoded (
  id INT,
  utf8 STRING,
  ascii STRING,
  latin1 STRING,
  utf16be STRING,
  utf16le STRING,
  utf16 STRING,
  utf16_of_le STRING,
  round_trip STRING
) WITH (
  'connector' = 'filesystem',
  'path' = '${OUT}/decoded',
  'format' = 'json'
);

INSERT INTO encoded
SELECT id, ENCODE(s, 'UTF-8'), ENCODE(s, 'US-ASCII'), ENCODE(s, 'ISO-8859-1'),
  ENCODE(s, 'UTF-16BE'), ENCODE(s, 'UTF-16LE'), ENCODE(s, 'UTF-16'), ENCODE(s, 'latin1')
FROM t;

INSERT INTO decoded
SELECT id, DECODE(ENCODE(s, 'UTF-8'), 'utf-8'), DECODE(ENCODE(s, 'UTF-8'), 'US-ASCII'),
  DECODE(ENCODE(s, 'UTF-8'), 'ISO-8859-1'), DECODE(ENCODE(s, 'UTF-8'), 'UTF-16BE'),
  DECODE(ENCODE(s, 'UTF-8'), 'UTF-16LE'), DECODE(ENCODE(s, 'UTF-8'), 'UTF-16'),
  DECODE(ENCODE(s, 'UTF-16LE'), 'UTF-16'), DECODE(ENCODE(s, 'UTF-16'), 'UTF-16')
FROM t;
