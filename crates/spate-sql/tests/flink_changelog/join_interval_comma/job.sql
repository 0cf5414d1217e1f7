-- An interval join written in the comma form: both tables have a WATERMARK on ts, and a.ts BETWEEN
-- b.ts - INTERVAL '1' HOUR AND b.ts bounds a's time by b's, so Flink plans an IntervalJoin (insert-
-- only), not a regular join: a row of a matches the b rows of its id up to an hour later, bounds
-- included (a1-b1 at 0 h, a3-b3 at 1 h; a4-b4 is 1 h 1 s apart). b3 (01:00) arrives after b2 has
-- moved the watermark to 01:30 (Flink's WatermarkAssigner emits at once when the watermark jumps by
-- more than the 200 ms interval), which expired a1 (00:00, whose partners end at 01:00): so a1-b3,
-- in range, is not emitted. (b's file opens with 50000 skipped unparseable lines, so its rows reach
-- the join after a's; see the README.)
CREATE TABLE a (
  id INT,
  x STRING,
  ts TIMESTAMP(3),
  WATERMARK FOR ts AS ts
) WITH (
  'connector' = 'filesystem',
  'path' = '${DATA}/a.json',
  'format' = 'json'
);

CREATE TABLE b (
  id INT,
  y STRING,
  ts TIMESTAMP(3),
  WATERMARK FOR ts AS ts
) WITH (
  'connector' = 'filesystem',
  'path' = '${DATA}/b.json',
  'format' = 'json',
  'json.ignore-parse-errors' = 'true'
);

SELECT a.id, a.x, b.y, a.ts, b.ts AS bts
FROM a, b
WHERE a.id = b.id AND a.ts BETWEEN b.ts - INTERVAL '1' HOUR AND b.ts;
