-- A table read by two views with different filters (as Nexmark q8 reads person and auction out
-- of one Kafka table) is scanned once; a row neither view keeps is dropped before the scan's rows
-- are handed to both (process [2], ahead of the fan-out), and each view still applies its own
-- filter. The third branch reads every row and takes the scan as it is.
CREATE TABLE events (kind INT, id BIGINT, name STRING) WITH ('connector' = 'datagen', 'number-of-rows' = '10');
CREATE VIEW person AS SELECT id, name FROM events WHERE kind = 0;
CREATE VIEW auction AS SELECT id FROM events WHERE kind = 1 AND id > 5;
CREATE TABLE out_t (id BIGINT, what STRING) WITH ('connector' = 'print');
EXPLAIN INSERT INTO out_t
SELECT id, name FROM person
UNION ALL
SELECT id, 'auction' FROM auction
UNION ALL
SELECT id, 'any' FROM events;
