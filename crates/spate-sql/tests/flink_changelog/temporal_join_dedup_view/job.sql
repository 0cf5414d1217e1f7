-- Event-time temporal join against a deduplicated view (Flink's documented "versioned view"):
-- an append-only log of rates becomes versioned by keeping each currency's last row by its
-- rowtime (ROW_NUMBER() .. ORDER BY ts DESC = 1, a Deduplicate whose unique key is the currency
-- and which keeps the rowtime). Each order (LEFT JOIN) meets the rate valid at its time; orders
-- before any rate, or of a currency without one, are padded. (orders.json opens with 50000
-- unparseable lines, so the orders reach the join after every rate; see the README.)
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
  'json.ignore-parse-errors' = 'true'
);

CREATE TABLE rates_log (
  cur STRING,
  rate DOUBLE,
  ts TIMESTAMP(3),
  WATERMARK FOR ts AS ts
) WITH (
  'connector' = 'filesystem',
  'path' = '${DATA}/rates.json',
  'format' = 'json'
);

CREATE VIEW rates AS
SELECT cur, rate, ts
FROM (SELECT *, ROW_NUMBER() OVER (PARTITION BY cur ORDER BY ts DESC) AS rownum FROM rates_log)
WHERE rownum = 1;

SELECT o.id, o.cur, o.amount, o.ts, r.rate, r.ts AS rate_ts
FROM orders AS o
LEFT JOIN rates FOR SYSTEM_TIME AS OF o.ts AS r
ON o.cur = r.cur;
