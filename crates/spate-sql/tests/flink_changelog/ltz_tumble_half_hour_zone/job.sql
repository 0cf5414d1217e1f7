-- ltz_tumble_over_cdc in Asia/Kolkata (UTC+05:30, no daylight saving): hourly windows run from
-- hh:30 to hh:30 UTC. Flink 2.3 loses the window 05:00-06:00 (item a; the legacy group window,
-- ltz_legacy_tumble_half_hour_zone, emits it as 2 rows, 12, 7: order 3's row at 00:40Z moves the
-- watermark past its end, 00:30Z, so order 2's update is late). The window TVF's operator
-- buffers rows and flushes them to state only when the watermark passes the next trigger point,
-- which for a zone without daylight saving it computes on UTC-aligned hours (00:59:59.999Z), not
-- on the zone's (00:29:59.999Z); at that flush (watermark 01:39Z) the previous watermark (00:39Z)
-- is already past the window's end, so the window is taken as fired and no timer is registered:
-- its rows are never emitted. (TimeWindowUtil.getNextTriggerWatermarkWithOffset,
-- AggCombiner.combine.) Zones with daylight saving align the trigger points on the zone; other
-- zones lose nothing only when their UTC offset is a whole number of windows (Asia/Shanghai with
-- hourly windows, ltz_tumble_over_cdc, but not with daily ones, ltz_tumble_day_zone).
SET 'pipeline.auto-watermark-interval' = '0';
SET 'table.local-time-zone' = 'Asia/Kolkata';

CREATE TABLE orders (
  id INT,
  item STRING,
  amount INT,
  ts TIMESTAMP_LTZ(3),
  WATERMARK FOR ts AS ts - INTERVAL '1' MINUTE
) WITH (
  'connector' = 'filesystem',
  'path' = '${DATA}/orders.json',
  'format' = 'debezium-json'
);

SELECT window_start, window_end, item, COUNT(*) AS n, SUM(amount) AS total, MAX(amount) AS top
FROM TABLE(TUMBLE(TABLE orders, DESCRIPTOR(ts), INTERVAL '1' HOUR))
GROUP BY window_start, window_end, item;
