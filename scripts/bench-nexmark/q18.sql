-- Nexmark q18 (the Nexmark project's query text, Apache License 2.0, nexmark-flink queries/q18.sql at
-- 6b3646c) into a blackhole, over the tables of ddl.sql: each bidder's last bid per auction —
-- a Top-N ordered by the time attribute DESC, i.e. Flink's deduplication keeping the last row, on a
-- rowtime (issue 42).
CREATE TABLE nexmark_q18 (
    auction  BIGINT,
    bidder  BIGINT,
    price  BIGINT,
    channel  VARCHAR,
    url  VARCHAR,
    `dateTime`  TIMESTAMP(3),
    extra  VARCHAR
) WITH (
  'connector' = 'blackhole'
);

INSERT INTO nexmark_q18
SELECT auction, bidder, price, channel, url, `dateTime`, extra
 FROM (SELECT *, ROW_NUMBER() OVER (PARTITION BY bidder, auction ORDER BY `dateTime` DESC) AS rank_number
       FROM bid)
 WHERE rank_number <= 1;
