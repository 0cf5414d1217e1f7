-- LISTAGG over HOP and CUMULATE windows, rows out of order within the 10 s watermark: Flink
-- aggregates these windows by slices and lists a window's rows slice by slice, a hopping
-- window from its last slice back (the 00:00–00:10 window of a 10 s HOP every 5 s lists the
-- rows of 00:05–00:10 first), a cumulating one from its first slice on; within a slice, in
-- arrival order. A custom separator in the second HOP sink. A legacy `GROUP BY HOP(..)` lists
-- its slices from the first on.
SET 'execution.checkpointing.interval' = '1s';
SET 'pipeline.auto-watermark-interval' = '0';

CREATE TABLE events (
  id INT,
  ts TIMESTAMP(3),
  WATERMARK FOR ts AS ts - INTERVAL '10' SECOND
) WITH (
  'connector' = 'filesystem',
  'path' = '${DATA}/events.json',
  'format' = 'json'
);

CREATE TABLE hop_out (
  window_start TIMESTAMP(3),
  window_end TIMESTAMP(3),
  ids STRING
) WITH (
  'connector' = 'filesystem',
  'path' = '${OUT}/hop_out',
  'format' = 'json'
);

CREATE TABLE hop_sep (
  window_start TIMESTAMP(3),
  window_end TIMESTAMP(3),
  ids STRING,
  n BIGINT
) WITH (
  'connector' = 'filesystem',
  'path' = '${OUT}/hop_sep',
  'format' = 'json'
);

CREATE TABLE cum_out (
  window_start TIMESTAMP(3),
  window_end TIMESTAMP(3),
  ids STRING
) WITH (
  'connector' = 'filesystem',
  'path' = '${OUT}/cum_out',
  'format' = 'json'
);

CREATE TABLE legacy_hop (
  s TIMESTAMP(3),
  e TIMESTAMP(3),
  ids STRING
) WITH (
  'connector' = 'filesystem',
  'path' = '${OUT}/legacy_hop',
  'format' = 'json'
);

INSERT INTO hop_out
SELECT window_start, window_end, LISTAGG(CAST(id AS STRING))
FROM TABLE(HOP(TABLE events, DESCRIPTOR(ts), INTERVAL '5' SECOND, INTERVAL '10' SECOND))
GROUP BY window_start, window_end;

INSERT INTO hop_sep
SELECT window_start, window_end, LISTAGG(CAST(id AS STRING), ' | '), COUNT(*)
FROM TABLE(HOP(TABLE events, DESCRIPTOR(ts), INTERVAL '4' SECOND, INTERVAL '12' SECOND))
GROUP BY window_start, window_end;

INSERT INTO cum_out
SELECT window_start, window_end, LISTAGG(CAST(id AS STRING))
FROM TABLE(CUMULATE(TABLE events, DESCRIPTOR(ts), INTERVAL '5' SECOND, INTERVAL '15' SECOND))
GROUP BY window_start, window_end;

INSERT INTO legacy_hop
SELECT
  HOP_START(ts, INTERVAL '5' SECOND, INTERVAL '10' SECOND),
  HOP_END(ts, INTERVAL '5' SECOND, INTERVAL '10' SECOND),
  LISTAGG(CAST(id AS STRING))
FROM events
GROUP BY HOP(ts, INTERVAL '5' SECOND, INTERVAL '10' SECOND);
