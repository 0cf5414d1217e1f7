-- The sink table has no primary key: the job appends. The row already there stays.
CREATE TABLE orders_out (id INT, customer TEXT, amount NUMERIC(10, 2), doubled NUMERIC(11, 2),
  ts TIMESTAMP(3), notetext TEXT, paid BOOLEAN);
INSERT INTO orders_out VALUES (0, 'EARLIER', 1.00, 2.00, '2000-01-01 00:00:00', 'kept', NULL);
