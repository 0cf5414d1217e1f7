SET 'execution.checkpointing.interval' = '1s';
SET 'table.local-time-zone' = 'UTC';

CREATE TABLE t_in (
  id INT,
  t TIMESTAMP(3)
) WITH (
  'connector' = 'filesystem',
  'path' = '${DATA}/t.json',
  'format' = 'json'
);

CREATE TABLE fmt_out (
  id INT,
  p0 STRING,
  p1 STRING,
  p2 STRING,
  p3 STRING,
  p4 STRING,
  p5 STRING,
  p6 STRING,
  p7 STRING,
  p8 STRING,
  p9 STRING,
  p10 STRING,
  p11 STRING,
  p12 STRING,
  p13 STRING,
  p14 STRING,
  p15 STRING,
  p16 STRING,
  p17 STRING,
  p18 STRING,
  p19 STRING
) WITH (
  'connector' = 'filesystem',
  'path' = '${OUT}/fmt_out',
  'format' = 'json'
);

INSERT INTO fmt_out
SELECT
  id,
  DATE_FORMAT(t, 'D w u'),
  DATE_FORMAT(t, 'YYYY-ww'),
  DATE_FORMAT(t, 'e c'),
  DATE_FORMAT(t, 'EEEEE MMMMM'),
  DATE_FORMAT(t, 'k K'),
  DATE_FORMAT(t, 'h H a'),
  DATE_FORMAT(t, 'SSS SS S'),
  DATE_FORMAT(t, 'yy y yyyyy'),
  DATE_FORMAT(t, 'M MM MMM'),
  DATE_FORMAT(t, 'd dd'),
  DATE_FORMAT(t, 'Q QQQ'),
  DATE_FORMAT(t, '''''yyyy'''''),
  DATE_FORMAT(t, 'G'),
  DATE_FORMAT(t, 'n'),
  DATE_FORMAT(t, 'A'),
  DATE_FORMAT(t, 'yyyy-MM-dd''T''HH:mm:ss''Z'''),
  DATE_FORMAT(t, 'MMMM'),
  DATE_FORMAT(t, 'uuuu'),
  DATE_FORMAT(t, 'HH:mm:ss.SSSSSS'),
  DATE_FORMAT(t, 'W F')
FROM t_in;
