-- ARRAY_AGG over HOP windows (each window made of two 5 s slices): the values of the slices
-- come in Flink's order of the slices, then each slice's values in arrival order. (DISTINCT is
-- left out: Flink's two-phase window aggregate lists it in its local HashMap's order.)
SET 'pipeline.auto-watermark-interval' = '0';

CREATE TABLE t (
  ts TIMESTAMP(3),
  k STRING,
  v INT,
  WATERMARK FOR ts AS ts - INTERVAL '1' SECOND
) WITH (
  'connector' = 'filesystem',
  'path' = '${DATA}/t.json',
  'format' = 'json'
);

SELECT window_start, window_end, k, COUNT(*) AS n, CAST(ARRAY_AGG(v) AS STRING) AS a,
       CAST(ARRAY_AGG(v IGNORE NULLS) AS STRING) AS i
FROM TABLE(HOP(TABLE t, DESCRIPTOR(ts), INTERVAL '5' SECOND, INTERVAL '10' SECOND))
GROUP BY window_start, window_end, k;
