SET 'table.exec.sink.not-null-enforcer' = 'DROP';
SET 'table.exec.state.ttl' = '1 h';
SELECT a FROM t;