-- (start, end or interval) OVERLAPS (start, end or interval), as Calcite's convertOverlaps
-- writes it: an interval adds to its start; each period's ends are put in order with
-- CASE WHEN start <= end (so a NULL end leaves the start as the end: row 8 is FALSE, not NULL);
-- periods that touch overlap. TIME, TIMESTAMP and DATE periods.
CREATE TABLE t (
  id INT,
  a0 TIME(0),
  a1 TIME(0),
  b0 TIME(0),
  b1 TIME(0)
) WITH (
  'connector' = 'filesystem',
  'path' = '${DATA}/rows.json',
  'format' = 'json'
);

CREATE TABLE overlaps_out (
  id INT,
  points BOOLEAN,
  left_interval BOOLEAN,
  right_interval BOOLEAN,
  literal BOOLEAN,
  ts BOOLEAN,
  dates BOOLEAN
) WITH (
  'connector' = 'filesystem',
  'path' = '${OUT}/overlaps_out',
  'format' = 'json'
);

INSERT INTO overlaps_out
SELECT id, (a0, a1) OVERLAPS (b0, b1), (a0, INTERVAL '1' HOUR) OVERLAPS (b0, b1),
  (a0, a1) OVERLAPS (b0, INTERVAL '30' MINUTE),
  (TIME '2:55:00', INTERVAL '1' HOUR) OVERLAPS (TIME '3:30:00', INTERVAL '2' HOUR),
  (CAST(a0 AS TIMESTAMP(0)), CAST(a1 AS TIMESTAMP(0))) OVERLAPS (CAST(b0 AS TIMESTAMP(0)), INTERVAL '1' MINUTE),
  (DATE '2024-01-01', INTERVAL '2' DAY * id) OVERLAPS (DATE '2024-01-05', DATE '2024-01-03')
FROM t;
