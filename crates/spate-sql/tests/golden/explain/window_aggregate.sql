-- A TUMBLE window aggregate over an event-time datagen table into a blackhole, parallelism 2.
SET 'parallelism.default' = '2';
CREATE TABLE clicks (
    user_id INT,
    url     STRING,
    ts      TIMESTAMP(3),
    WATERMARK FOR ts AS ts - INTERVAL '2' SECOND
) WITH ('connector' = 'datagen', 'fields.user_id.min' = '1', 'fields.user_id.max' = '100');
CREATE TABLE counts (
    window_start TIMESTAMP(3),
    window_end   TIMESTAMP(3),
    user_id      INT,
    clicks       BIGINT
) WITH ('connector' = 'blackhole');
EXPLAIN INSERT INTO counts
SELECT window_start, window_end, user_id, COUNT(*)
FROM TABLE(TUMBLE(TABLE clicks, DESCRIPTOR(ts), INTERVAL '10' SECOND))
WHERE url <> ''
GROUP BY window_start, window_end, user_id;
