-- Nexmark q1 (the Nexmark project's query text, Apache License 2.0, as in
-- crates/spate-sql/tests/flink/nexmark/job.sql) into a blackhole, over the tables of ddl.sql.
CREATE TABLE nexmark_q1 (
  auction  BIGINT,
  bidder  BIGINT,
  price  DECIMAL(23, 3),
  `dateTime`  TIMESTAMP(3),
  extra  VARCHAR
) WITH ('connector' = 'blackhole');

INSERT INTO nexmark_q1
SELECT
    auction,
    bidder,
    0.908 * price as price, -- convert dollar to euro
    `dateTime`,
    extra
FROM bid;
