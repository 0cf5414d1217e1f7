-- Temporal joins: FOR SYSTEM_TIME AS OF between the versioned table's name and its alias.
SELECT o.id, r.rate FROM orders AS o JOIN rates FOR SYSTEM_TIME AS OF o.ts AS r ON o.cur = r.cur;
SELECT o.id, rates.rate FROM orders o LEFT JOIN db.rates FOR SYSTEM_TIME AS OF o.`ts` ON o.cur = rates.cur AND o.amount > 1;
SELECT * FROM orders o JOIN rates FOR SYSTEM_TIME AS OF (o.ts) r (c, v, t) ON o.cur = r.c;
-- sqlparser's other versioning forms are not Flink SQL.
SELECT * FROM rates AT(TIMESTAMP => '2024-01-01 00:00:00');
SELECT * FROM rates TIMESTAMP AS OF '2024-01-01 00:00:00';
