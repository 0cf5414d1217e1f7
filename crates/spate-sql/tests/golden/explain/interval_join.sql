-- An interval join of two event-time tables, each side keyed by the join key, parallelism 3.
SET 'parallelism.default' = '3';
CREATE TABLE orders (
    id       BIGINT,
    amount   DECIMAL(10, 2),
    order_ts TIMESTAMP(3),
    WATERMARK FOR order_ts AS order_ts - INTERVAL '1' SECOND
) WITH ('connector' = 'datagen');
CREATE TABLE shipments (
    order_id BIGINT,
    ship_ts  TIMESTAMP(3),
    WATERMARK FOR ship_ts AS ship_ts - INTERVAL '1' SECOND
) WITH ('connector' = 'datagen');
EXPLAIN SELECT o.id, o.amount, s.ship_ts
FROM orders o JOIN shipments s
  ON o.id = s.order_id
 AND s.ship_ts BETWEEN o.order_ts AND o.order_ts + INTERVAL '4' HOUR;
