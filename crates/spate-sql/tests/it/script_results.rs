//! What a script's last statement gives, for the tests that run whole scripts through a
//! [`Session`]: its text (`EXPLAIN`, `SHOW`), its changelog, or its error.

use spate_sql::value::{RowKind, Value};
use spate_sql::{Session, SessionOptions, StatementResult};

/// The text of the script's last statement that gave text, or the script's error.
pub fn last_text(script: &str) -> Result<String, String> {
    let mut session = Session::new(SessionOptions::default());
    let mut text = String::new();
    session
        .execute_script(script, |_, r| {
            if let StatementResult::Text(t) = r {
                text = t;
            }
        })
        .map(|()| text)
        .map_err(|e| e.render(script))
}

/// The changelog of the script's last query (each row with its kind), or the script's error.
pub fn changelog(script: &str) -> Result<Vec<(RowKind, Vec<Value>)>, String> {
    let mut session = Session::new(SessionOptions::default());
    let mut out = Vec::new();
    session
        .execute_script(script, |_, result| {
            if let StatementResult::Rows { rows, kinds, .. } = result {
                out = kinds.iter().copied().zip(rows.iter().cloned()).collect();
            }
        })
        .map_err(|e| e.render(script))?;
    Ok(out)
}
