-- Nexmark q19 (the Nexmark project's query text, Apache License 2.0, nexmark-flink queries/q19.sql at
-- 6b3646c) into a blackhole, over the tables of ddl.sql: the 10 highest bids of each auction —
-- a Top-N (issue 42).
CREATE TABLE nexmark_q19 (
    auction  BIGINT,
    bidder  BIGINT,
    price  BIGINT,
    channel  VARCHAR,
    url  VARCHAR,
    `dateTime`  TIMESTAMP(3),
    extra  VARCHAR,
    rank_number  BIGINT
) WITH (
  'connector' = 'blackhole'
);

INSERT INTO nexmark_q19
SELECT * FROM
(SELECT *, ROW_NUMBER() OVER (PARTITION BY auction ORDER BY price DESC) AS rank_number FROM bid)
WHERE rank_number <= 10;
