-- A TUMBLE window aggregate over the elements of each row's array: the unnest runs in the
-- source's chain, the rowtime survives it, and the filter on the element stays above it.
SET 'parallelism.default' = '2';
CREATE TABLE orders (
    id    BIGINT,
    items ARRAY<STRING>,
    ts    TIMESTAMP(3),
    WATERMARK FOR ts AS ts - INTERVAL '2' SECOND
) WITH ('connector' = 'kafka', 'topic' = 'orders', 'format' = 'json',
        'properties.bootstrap.servers' = 'localhost:9092');
CREATE TABLE item_counts (
    window_start TIMESTAMP(3),
    window_end   TIMESTAMP(3),
    item         STRING,
    n            BIGINT
) WITH ('connector' = 'blackhole');
EXPLAIN INSERT INTO item_counts
SELECT window_start, window_end, item, COUNT(*)
FROM TABLE(TUMBLE(TABLE orders, DESCRIPTOR(ts), INTERVAL '10' SECOND))
CROSS JOIN UNNEST(items) WITH ORDINALITY AS i(item, pos)
WHERE pos <= 3
GROUP BY window_start, window_end, item;
