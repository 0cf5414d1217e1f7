-- A table read twice (here through a view, by both sides of a join, as Nexmark q7 does) is
-- scanned once, and the view's filter and projection computed once: the scan feeds both sides,
-- as Flink's source and sub-plan reuse (on by default) do.
CREATE TABLE events (kind INT, auction BIGINT, price BIGINT, ts TIMESTAMP(3),
    WATERMARK FOR ts AS ts - INTERVAL '1' SECOND)
  WITH ('connector' = 'datagen', 'number-of-rows' = '10');
CREATE VIEW bid AS SELECT auction, price, ts FROM events WHERE kind = 2;
CREATE TABLE out_t (auction BIGINT, price BIGINT, maxprice BIGINT) WITH ('connector' = 'print');
EXPLAIN INSERT INTO out_t
SELECT b.auction, b.price, m.maxprice
FROM bid b
JOIN (
  SELECT MAX(price) AS maxprice, window_end AS we
  FROM TABLE(TUMBLE(TABLE bid, DESCRIPTOR(ts), INTERVAL '10' SECOND))
  GROUP BY window_start, window_end
) m
ON b.price = m.maxprice;
