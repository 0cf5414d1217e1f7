-- Interval joins: shipments within 5 s either side of an order with the same key (bounds
-- inclusive), INNER and LEFT OUTER (unmatched orders padded with NULLs once the watermark passes
-- them). Each input is in order within the 2 s watermark delay, so nothing is late however the
-- two sources interleave. The shipment time is cast to a plain TIMESTAMP(3): Flink rejects a
-- sink insert with two rowtime attributes ("The query contains more than one rowtime attribute
-- column").
SET 'execution.checkpointing.interval' = '1s';
SET 'pipeline.auto-watermark-interval' = '0';

CREATE TABLE orders (
  ts TIMESTAMP(3),
  id INT,
  k STRING,
  WATERMARK FOR ts AS ts - INTERVAL '2' SECOND
) WITH (
  'connector' = 'filesystem',
  'path' = '${DATA}/orders.json',
  'format' = 'json'
);

CREATE TABLE shipments (
  ts TIMESTAMP(3),
  sid INT,
  k STRING,
  WATERMARK FOR ts AS ts - INTERVAL '2' SECOND
) WITH (
  'connector' = 'filesystem',
  'path' = '${DATA}/shipments.json',
  'format' = 'json'
);

CREATE TABLE inner_interval (
  id INT,
  sid INT,
  k STRING,
  order_ts TIMESTAMP(3),
  ship_ts TIMESTAMP(3)
) WITH (
  'connector' = 'filesystem',
  'path' = '${OUT}/inner_interval',
  'format' = 'json'
);

CREATE TABLE left_interval (
  id INT,
  sid INT,
  order_ts TIMESTAMP(3),
  ship_ts TIMESTAMP(3)
) WITH (
  'connector' = 'filesystem',
  'path' = '${OUT}/left_interval',
  'format' = 'json'
);

INSERT INTO inner_interval
SELECT a.id, b.sid, a.k, a.ts AS order_ts, CAST(b.ts AS TIMESTAMP(3)) AS ship_ts
FROM orders a
JOIN shipments b
ON a.k = b.k AND b.ts BETWEEN a.ts - INTERVAL '5' SECOND AND a.ts + INTERVAL '5' SECOND;

INSERT INTO left_interval
SELECT a.id, b.sid, a.ts AS order_ts, CAST(b.ts AS TIMESTAMP(3)) AS ship_ts
FROM orders a
LEFT JOIN shipments b
ON a.k = b.k AND b.ts BETWEEN a.ts - INTERVAL '5' SECOND AND a.ts + INTERVAL '5' SECOND;
