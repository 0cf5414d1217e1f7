-- Nexmark q4's shape: an inner join of auctions and bids with a residual on plain timestamps (b.dt
-- BETWEEN a.dt AND a.expires: no time attributes, so a regular join), then the highest bid per
-- auction (GROUP BY over the join's insert-only rows: +I, -U/+U), then the average of those per
-- category (a GROUP BY over an updating input: each -U/+U of the inner aggregate is a retraction
-- then an accumulation, so the outer emits two updates per inner update). (bid's file opens with
-- 50000 skipped unparseable lines, so its rows reach the join after auction's; see the README.)
CREATE TABLE auction (
  id INT,
  category INT,
  dt TIMESTAMP(3),
  expires TIMESTAMP(3)
) WITH (
  'connector' = 'filesystem',
  'path' = '${DATA}/auction.json',
  'format' = 'json'
);

CREATE TABLE bid (
  auction INT,
  price INT,
  dt TIMESTAMP(3)
) WITH (
  'connector' = 'filesystem',
  'path' = '${DATA}/bid.json',
  'format' = 'json',
  'json.ignore-parse-errors' = 'true'
);

SELECT Q.category, AVG(Q.final) AS avg_final, COUNT(*) AS n
FROM (
  SELECT MAX(b.price) AS final, a.category
  FROM auction a, bid b
  WHERE a.id = b.auction AND b.dt BETWEEN a.dt AND a.expires
  GROUP BY a.id, a.category
) Q
GROUP BY Q.category;
