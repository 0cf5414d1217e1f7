-- Event-time temporal join, LEFT, with orders later than the watermark (on-event watermarks on the
-- orders, which reach the join after every version: their file opens with 50000 unparseable
-- lines). A late order is not dropped: it waits for the next watermark and is joined with what
-- the state still holds. When the watermark passed a key's timer, the versions before the latest
-- one at or before the watermark were dropped: id 2 (EUR, 00:00:02, after the watermark reached
-- 00:00:06) finds no version and is padded; id 4 (00:00:05) still finds the 00:00:05 version; id 5
-- (GBP, 00:00:03) lost GBP's 00:00:02 version to GBP's own timer, which fired at the first
-- watermark though GBP had no order yet.
CREATE TABLE orders (
  id INT,
  cur STRING,
  amount INT,
  ts TIMESTAMP(3),
  WATERMARK FOR ts AS ts
) WITH (
  'connector' = 'filesystem',
  'path' = '${DATA}/orders.json',
  'format' = 'json',
  'json.ignore-parse-errors' = 'true',
  'scan.watermark.emit.strategy' = 'on-event'
);

CREATE TABLE rates (
  cur STRING,
  rate DOUBLE,
  ts TIMESTAMP(3),
  PRIMARY KEY (cur) NOT ENFORCED,
  WATERMARK FOR ts AS ts
) WITH (
  'connector' = 'filesystem',
  'path' = '${DATA}/rates.json',
  'format' = 'debezium-json'
);

SELECT o.id, o.cur, o.amount, o.ts, r.rate
FROM orders AS o
LEFT JOIN rates FOR SYSTEM_TIME AS OF o.ts AS r
ON o.cur = r.cur;
