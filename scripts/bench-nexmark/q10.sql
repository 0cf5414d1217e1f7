-- Nexmark q10 (the Nexmark project's query text, Apache License 2.0, as in
-- crates/spate-sql/tests/flink/nexmark_q10/job.sql): every bid logged into a filesystem sink
-- partitioned by day and minute, over the tables of ddl.sql. ${OUT} is an empty directory filled
-- in by `spate bench nexmark` / scripts/bench-nexmark-vs-flink.sh. The filesystem sink commits
-- its files on checkpoints (in both systems), so checkpoints are on, every 10 s.
SET 'execution.checkpointing.interval' = '10s';

CREATE TABLE nexmark_q10 (
  auction  BIGINT,
  bidder  BIGINT,
  price  BIGINT,
  `dateTime`  TIMESTAMP(3),
  extra  VARCHAR,
  dt STRING,
  hm STRING
) PARTITIONED BY (dt, hm) WITH (
  'connector' = 'filesystem',
  'path' = '${OUT}/nexmark_q10',
  'format' = 'csv',
  'sink.partition-commit.trigger' = 'partition-time',
  'sink.partition-commit.delay' = '1 min',
  'sink.partition-commit.policy.kind' = 'success-file',
  'partition.time-extractor.timestamp-pattern' = '$dt $hm:00',
  'sink.rolling-policy.rollover-interval' = '1min',
  'sink.rolling-policy.check-interval' = '1min'
);

INSERT INTO nexmark_q10
SELECT auction, bidder, price, `dateTime`, extra, DATE_FORMAT(`dateTime`, 'yyyy-MM-dd'), DATE_FORMAT(`dateTime`, 'HH:mm')
FROM bid;
