SET 'execution.checkpointing.interval' = '1s';

CREATE TABLE t_in (
  id INT,
  tm TIME(3)
) WITH (
  'connector' = 'filesystem',
  'path' = '${DATA}/t.json',
  'format' = 'json'
);

CREATE TABLE t_out (
  id INT,
  tm TIME(3),
  tm_str STRING,
  tm0_str STRING,
  tm_lit STRING
) WITH (
  'connector' = 'filesystem',
  'path' = '${OUT}/t_out',
  'format' = 'json'
);

INSERT INTO t_out
SELECT id, tm, CAST(tm AS STRING), CAST(CAST(tm AS TIME(0)) AS STRING), CAST(TIME '10:00:00.120' AS STRING)
FROM t_in;
