//! The interactive `spate sql` shell on a real pseudo-terminal: `sql_shell_pty.py` (Python's
//! standard library `pty`, which gives the shell a controlling terminal so Ctrl-C is a real
//! SIGINT while a query runs) types into it as a user does and checks what the terminal shows;
//! see that script for the checks. The piped (non-terminal) path is tested in `sql_cli.rs`.
#![allow(clippy::unwrap_used)]

use std::path::Path;
use std::process::Command;

#[test]
fn the_shell_edits_recalls_cancels_and_shows_a_live_table_on_a_terminal() {
    let dir = tempfile::tempdir().unwrap();
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/sql_shell_pty.py");
    let out = Command::new("python3")
        .arg(&script)
        .arg(env!("CARGO_BIN_EXE_spate"))
        .arg(dir.path())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && stdout.trim_end().ends_with("ok"),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
