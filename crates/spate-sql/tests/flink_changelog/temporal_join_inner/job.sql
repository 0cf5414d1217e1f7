-- Event-time temporal join (Flink's TemporalRowTimeJoinOperator), INNER: each order joined with the
-- version of its currency's rate valid at the order's time, emitted as the watermarks of both sides
-- pass. Pins: several versions per key (EUR), a version arriving after a later one (GBP's update
-- carries an earlier time than the row it replaces), deletions (a Debezium delete's row is the
-- deleted version, so it sits at that version's time and undoes it: USD from 00:00:06 on, CHF
-- altogether), orders earlier than every version (id 1) or of a key with none (JPY), an order at
-- exactly a version's time (id 11), a NULL key (id 12). Insert-only output. (orders.json opens with
-- 50000 unparseable lines, so the orders reach the join after every version, in time order; see the
-- README.)
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

SELECT o.id, o.cur, o.amount, o.ts, r.rate, r.ts AS rate_ts
FROM orders AS o
JOIN rates FOR SYSTEM_TIME AS OF o.ts AS r
ON o.cur = r.cur;
