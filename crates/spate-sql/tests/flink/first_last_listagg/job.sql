-- FIRST_VALUE, LAST_VALUE and LISTAGG (default and custom separator) per 10 s tumbling window
-- and key, over values with NULLs; arrival order decides first/last and the list order.
SET 'execution.checkpointing.interval' = '1s';
SET 'pipeline.auto-watermark-interval' = '0';

CREATE TABLE events (
  ts TIMESTAMP(3),
  k STRING,
  v INT,
  s STRING,
  WATERMARK FOR ts AS ts - INTERVAL '2' SECOND
) WITH (
  'connector' = 'filesystem',
  'path' = '${DATA}/events.json',
  'format' = 'json'
);

CREATE TABLE agg_out (
  window_start TIMESTAMP(3),
  window_end TIMESTAMP(3),
  k STRING,
  first_s STRING,
  last_s STRING,
  first_v INT,
  last_v INT,
  list_s STRING,
  list_s_sep STRING
) WITH (
  'connector' = 'filesystem',
  'path' = '${OUT}/agg_out',
  'format' = 'json'
);

INSERT INTO agg_out
SELECT
  window_start,
  window_end,
  k,
  FIRST_VALUE(s),
  LAST_VALUE(s),
  FIRST_VALUE(v),
  LAST_VALUE(v),
  LISTAGG(s),
  LISTAGG(s, ' | ')
FROM TABLE(TUMBLE(TABLE events, DESCRIPTOR(ts), INTERVAL '10' SECOND))
GROUP BY window_start, window_end, k;
