-- Three-way inner join a JOIN b ON a.k = b.k JOIN c ON b.j = c.j, all insert-only: two join
-- operators, the first's output (insert-only) keyed anew on b.j for the second. Only +I. (b's file
-- opens with 50000 skipped lines and c's with 150000, so the tables reach the joins in the order a,
-- b, c; see the README.)
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

SELECT a.aid, b.bid, c.cid, a.k, b.j, c.z
FROM a JOIN b ON a.k = b.k JOIN c ON b.j = c.j;
