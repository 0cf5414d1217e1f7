//! The REST API's access token, as Jupyter's: random, kept in `<data-dir>/http-token` (mode
//! 0600, so only the server's OS user reads it) and stable across restarts, so bookmarked
//! dashboard URLs and `spate jobs --data-dir DIR` keep working. Compared in constant time.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use crate::error::{Result, ServerError};

/// The token file's name in the data directory.
pub const TOKEN_FILE: &str = "http-token";

/// Random bytes in a token (shown as twice as many hex digits).
const TOKEN_BYTES: usize = 24;

/// Where the token of the server with data directory `data_dir` is kept.
pub fn token_path(data_dir: &Path) -> PathBuf {
    data_dir.join(TOKEN_FILE)
}

/// The stored token, or a new one written to the data directory when there is none (or the
/// stored one is not a token: an empty or edited file would otherwise lock everyone out).
pub fn load_or_create(data_dir: &Path) -> Result<String> {
    let path = token_path(data_dir);
    if let Some(token) = read(&path)? {
        return Ok(token);
    }
    let token = generate(&path)?;
    let tmp = path.with_extension("tmp");
    let _ = std::fs::remove_file(&tmp);
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(&tmp).map_err(|e| ServerError::io(&tmp, e))?;
    file.write_all(token.as_bytes())
        .and_then(|()| file.sync_all())
        .map_err(|e| ServerError::io(&tmp, e))?;
    std::fs::rename(&tmp, &path).map_err(|e| ServerError::io(&path, e))?;
    Ok(token)
}

/// The token in `path`, if the file exists and holds one.
pub fn read(path: &Path) -> Result<Option<String>> {
    match std::fs::read_to_string(path) {
        Ok(text) => {
            let token = text.trim();
            Ok(is_token(token).then(|| token.to_string()))
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(ServerError::io(path, e)),
    }
}

/// The environment variable clients read a token from.
pub const TOKEN_ENV: &str = "SPATE_TOKEN";

/// A client's token: the one given, else `$SPATE_TOKEN`, else the server's token file in
/// `data_dir` (none when that has no token file: the server may run without authentication).
pub fn find(given: Option<&str>, data_dir: Option<&Path>) -> Result<Option<String>> {
    if let Some(t) = given {
        return Ok(Some(t.trim().to_string()));
    }
    if let Ok(t) = std::env::var(TOKEN_ENV)
        && !t.trim().is_empty()
    {
        return Ok(Some(t.trim().to_string()));
    }
    match data_dir {
        Some(dir) => read(&token_path(dir)),
        None => Ok(None),
    }
}

fn is_token(s: &str) -> bool {
    s.len() >= 32 && s.bytes().all(|b| b.is_ascii_hexdigit())
}

/// A fresh token from the OS's random source.
pub(crate) fn generate(for_path: &Path) -> Result<String> {
    let mut bytes = [0u8; TOKEN_BYTES];
    std::fs::File::open("/dev/urandom")
        .and_then(|mut f| f.read_exact(&mut bytes))
        .map_err(|e| {
            ServerError::Start(format!(
                "cannot read random bytes for a secret ({}): {e}",
                for_path.display()
            ))
        })?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

/// Whether `given` is `expected`, in time that depends only on their lengths (a timing
/// side channel must not reveal how many leading characters of a guess were right).
pub fn matches(given: &[u8], expected: &[u8]) -> bool {
    if given.len() != expected.len() {
        return false;
    }
    given.iter().zip(expected).fold(0u8, |acc, (a, b)| acc | (a ^ b)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_is_created_once_kept_private_and_read_back() {
        let dir = tempfile::tempdir().unwrap();
        let first = load_or_create(dir.path()).unwrap();
        assert_eq!(first.len(), 2 * TOKEN_BYTES);
        assert_eq!(load_or_create(dir.path()).unwrap(), first);
        assert_eq!(read(&token_path(dir.path())).unwrap(), Some(first.clone()));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(token_path(dir.path()))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o077, 0, "the token file is readable by others: {mode:o}");
        }
        let other = tempfile::tempdir().unwrap();
        assert_ne!(load_or_create(other.path()).unwrap(), first);
    }

    #[test]
    fn a_damaged_token_file_is_replaced() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(token_path(dir.path()), "").unwrap();
        let token = load_or_create(dir.path()).unwrap();
        assert!(is_token(&token));
    }

    #[test]
    fn comparison_needs_every_byte() {
        assert!(matches(b"abcd", b"abcd"));
        assert!(!matches(b"abce", b"abcd"));
        assert!(!matches(b"abc", b"abcd"));
        assert!(!matches(b"", b"abcd"));
    }
}
