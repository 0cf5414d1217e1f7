-- The SQL benchmark of issue 10: a datagen sequence, a 1 s TUMBLE window COUNT(*) over 1000 keys,
-- into a blackhole; ${ROWS} rows at parallelism 1 (scripts/bench-sql-vs-flink.sh fills it in).
-- Event time is the sequence number in ms, so the rows span ${ROWS} ms of event time.
SET 'parallelism.default' = '1';

CREATE TABLE events (
  id BIGINT,
  k AS id % 1000,
  ts AS TO_TIMESTAMP_LTZ(id, 3),
  WATERMARK FOR ts AS ts
) WITH (
  'connector' = 'datagen',
  'rows-per-second' = '1000000000',
  'number-of-rows' = '${ROWS}',
  'fields.id.kind' = 'sequence',
  'fields.id.start' = '1',
  'fields.id.end' = '${ROWS}'
);

CREATE TABLE counts (
  k BIGINT,
  window_start TIMESTAMP_LTZ(3),
  cnt BIGINT
) WITH (
  'connector' = 'blackhole'
);

INSERT INTO counts
SELECT k, window_start, COUNT(*)
FROM TABLE(TUMBLE(TABLE events, DESCRIPTOR(ts), INTERVAL '1' SECOND))
GROUP BY window_start, window_end, k;
