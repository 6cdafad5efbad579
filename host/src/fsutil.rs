//! File-system helpers for changes that must be all-or-nothing, and for files that hold
//! secrets: those are created readable by their owner only from the first byte (never
//! written first and restricted afterwards), and one found readable by others is named
//! in a warning with the fix.

use anyhow::{Context, Result};
use std::path::Path;

/// Writes `bytes` to `path` through a temporary file in the same directory and a rename,
/// so readers see the old content or the new, never a half-written file.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    replace(&write_beside(path, bytes, false)?, path)
}

/// [`write_atomic`] for a file holding a secret: created private ([`crate::platform::private`]).
pub fn write_atomic_private(path: &Path, bytes: &[u8]) -> Result<()> {
    replace(&write_beside(path, bytes, true)?, path)
}

/// Tries of a rename refused as "access denied" on Windows, and the pause between them.
const RENAME_TRIES: u32 = 20;
const RENAME_PAUSE: std::time::Duration = std::time::Duration::from_millis(25);

/// Moves the finished temporary file `tmp` over `path`. Windows refuses to replace a file
/// another process has open at that moment (`ehr-host status` reading the status file
/// the agent rewrites) with "access denied", so there the rename is tried again for up to
/// half a second. A temporary file that cannot be moved is removed, not left behind.
fn replace(tmp: &Path, path: &Path) -> Result<()> {
    let mut tries = 1;
    loop {
        match std::fs::rename(tmp, path) {
            Ok(()) => return Ok(()),
            Err(e)
                if cfg!(windows)
                    && e.kind() == std::io::ErrorKind::PermissionDenied
                    && tries < RENAME_TRIES =>
            {
                tries += 1;
                std::thread::sleep(RENAME_PAUSE);
            }
            Err(e) => {
                let _ = std::fs::remove_file(tmp);
                return Err(e).with_context(|| {
                    format!(
                        "cannot move {} into place at {}",
                        tmp.display(),
                        path.display()
                    )
                });
            }
        }
    }
}

/// Writes `bytes` to a new temporary file beside `path` (creating the directory; owner-
/// only permissions from creation when `private`), synced to disk; returns the temporary
/// file's path.
fn write_beside(path: &Path, bytes: &[u8], private: bool) -> Result<std::path::PathBuf> {
    use std::io::Write as _;
    let dir = path.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let tmp = temp_beside(path);
    let mut file = if private {
        crate::platform::private::create_new(&tmp)
    } else {
        std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&tmp)
    }
    .with_context(|| format!("cannot create {}", tmp.display()))?;
    file.write_all(bytes)
        .with_context(|| format!("cannot write {}", tmp.display()))?;
    let _ = file.sync_all();
    Ok(tmp)
}

/// A warning naming `path` and the fix when others than its owner (and, on Windows,
/// SYSTEM and Administrators) can open it; `None` when it is private or cannot be read.
pub fn exposure_warning(path: &Path, holds: &str) -> Option<String> {
    let exposure = crate::platform::private::exposure(path).ok()??;
    Some(format!(
        "{} holds {holds} and can be read by other users of this computer ({}); restrict it with `{}`",
        path.display(),
        exposure.others,
        exposure.fix
    ))
}

/// A temporary name beside `path`, unique across processes and threads.
fn temp_beside(path: &Path) -> std::path::PathBuf {
    static COUNTER: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let n = COUNTER.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    path.parent().unwrap_or(Path::new(".")).join(format!(
        ".{}.tmp-{}-{n}",
        path.file_name().and_then(|n| n.to_str()).unwrap_or("file"),
        std::process::id()
    ))
}

/// Reads the secret in `path`, creating it first with `make()` (owner-only permissions)
/// when it does not exist. Several processes may do this at the same moment (the agent
/// starting while `jobs submit` runs): the file is published with a link that fails if
/// one already exists, never by overwriting, so all of them end up with the same secret.
pub fn read_or_create_secret(
    path: &Path,
    make: impl FnOnce() -> Result<Vec<u8>>,
) -> Result<String> {
    if !path.exists() {
        let tmp = write_beside(path, &make()?, true)?;
        let linked = std::fs::hard_link(&tmp, path);
        let _ = std::fs::remove_file(&tmp);
        match linked {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
            Err(e) => return Err(e).with_context(|| format!("cannot create {}", path.display())),
        }
    } else if let Some(warning) = exposure_warning(path, "a secret") {
        tracing::warn!("{warning}");
    }
    std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    // Many creators racing for one secret all read the same one, and it is the only
    // file left in the directory (no temporary files behind).
    #[test]
    fn racing_creators_share_one_secret() {
        let dir = std::env::temp_dir().join(format!("ehr-fsutil-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let path = dir.join("secret");
        let seen: Vec<String> = std::thread::scope(|s| {
            let handles: Vec<_> = (0..16)
                .map(|i| {
                    let path = path.clone();
                    s.spawn(move || {
                        read_or_create_secret(&path, || Ok(format!("secret-{i}\n").into_bytes()))
                            .unwrap()
                    })
                })
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).collect()
        });
        assert!(seen.iter().all(|s| s == &seen[0]), "{seen:?}");
        assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 1);
        let _ = std::fs::remove_dir_all(&dir);
    }

    // Private files are owner-only from creation; one open to everyone gets a warning
    // naming the file and the fix (`chmod 600` on Unix), a private one none.
    #[test]
    fn private_files() {
        use crate::platform::private;
        let dir = std::env::temp_dir().join(format!("ehr-fsutil-private-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let path = dir.join("secret.key");
        write_atomic_private(&path, b"s").unwrap();
        assert_eq!(private::exposure(&path).unwrap(), None);
        assert!(exposure_warning(&path, "a key").is_none());
        let secret = dir.join("made");
        read_or_create_secret(&secret, || Ok(b"x".to_vec())).unwrap();
        assert_eq!(private::exposure(&secret).unwrap(), None);
        private::open_to_everyone(&path).unwrap();
        let w = exposure_warning(&path, "a key").unwrap();
        assert!(w.contains("secret.key") && w.contains("other users"), "{w}");
        #[cfg(unix)]
        assert!(w.contains("chmod 600") && w.contains("644"), "{w}");
        #[cfg(windows)]
        assert!(w.contains("icacls"), "{w}");
        let _ = std::fs::remove_dir_all(&dir);
    }
}
