-- LEFT JOIN of an inner join: (a JOIN b ON a.k = b.k) LEFT JOIN c ON b.j = c.j. The inner join's
-- rows arrive padded (+I[a, b, NULL]) and a later c row replaces the padding (-D, +I) of every
-- joined row with its j. (b's file opens with 50000 skipped lines and c's with 150000, so the
-- tables reach the joins in the order a, b, c; see the README.)
CREATE TABLE a (
  aid INT,
  k INT
) WITH (
  'connector' = 'filesystem',
  'path' = '${DATA}/a.json',
  'format' = 'json'
);

CREATE TABLE b (
  bid INT,
  k INT,
  j STRING
) WITH (
  'connector' = 'filesystem',
  'path' = '${DATA}/b.json',
  'format' = 'json',
  'json.ignore-parse-errors' = 'true'
);

CREATE TABLE c (
  cid INT,
  j STRING,
  z STRING
) WITH (
  'connector' = 'filesystem',
  'path' = '${DATA}/c.json',
  'format' = 'json',
  'json.ignore-parse-errors' = 'true'
);

SELECT a.aid, b.bid, b.j, c.cid, c.z
FROM a JOIN b ON a.k = b.k LEFT JOIN c ON b.j = c.j;
