-- The sink table has a primary key: every change is an upsert or a delete by key. bob's row
-- is there before the job (the query deletes it), zed's is never written (it stays).
CREATE TABLE user_sums (user_name TEXT PRIMARY KEY, n BIGINT NOT NULL, total INT, top INT);
INSERT INTO user_sums VALUES ('bob', 0, 0, 0), ('zed', 9, 9, 9);
