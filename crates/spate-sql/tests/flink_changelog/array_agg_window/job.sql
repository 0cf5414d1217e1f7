-- ARRAY_AGG in a TUMBLE window TVF aggregate over an insert-only source with a watermark: a
-- window's array holds its rows in arrival order (the 00:00:06 row arrived after the 00:00:08
-- one), duplicates and NULLs kept; IGNORE NULLS over only NULLs is NULL. ARRAY_AGG(DISTINCT v)
-- is NOT in arrival order: Flink plans the window aggregate in two phases (LocalWindowAggregate
-- + GlobalWindowAggregate, without mini-batch), the local phase keeps the distinct values in a
-- java.util.HashMap and the global merge accumulates them in that map's iteration order: NULL
-- first (hash 0), then INTs by bucket (hash = value, 16 buckets: 17 -> 1 before 5 -> 5), so
-- arrival [5, NULL, 17] comes out [NULL, 17, 5]. The last row (00:00:05) arrives after the
-- watermark passed its window's end and is dropped. Watermarks follow every record.
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
       CAST(ARRAY_AGG(DISTINCT v) AS STRING) AS d, CAST(ARRAY_AGG(v IGNORE NULLS) AS STRING) AS i
FROM TABLE(TUMBLE(TABLE t, DESCRIPTOR(ts), INTERVAL '10' SECOND))
GROUP BY window_start, window_end, k;
