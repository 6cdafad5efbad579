//! A lock on one adapter's store entry, across processes: `ehr-host install`, `rollback`,
//! `remove` and the running agent each hold it while they change the entry, so two of
//! them never interleave (two installs at once used to delete each other's new version).
//!
//! The lock is an advisory file lock (`flock` on Unix) on `adapters/.locks/<id>.lock`,
//! released by the operating system when the holder exits, even on `kill -9`. The holder
//! writes what it is doing into the file so that a process that waits too long can name
//! the operation it waited for.

use super::refusal::StoreBusy;
use anyhow::{Context, Result};
use std::fs::{File, OpenOptions, TryLockError};
use std::io::{Read, Seek, Write};
use std::path::Path;
use std::time::{Duration, Instant};

/// How long an operation waits for another one on the same adapter before giving up.
/// Store changes hold the lock for milliseconds (compiling happens before it is taken),
/// so a wait this long means the other process is stuck.
pub const LOCK_WAIT: Duration = Duration::from_secs(10);

/// How often a waiting operation tries again.
const RETRY: Duration = Duration::from_millis(5);

/// The folder of lock files inside the store (a dot folder: never taken for an adapter).
pub const LOCK_DIR: &str = ".locks";

/// A held lock; released when dropped.
#[derive(Debug)]
pub struct EntryLock {
    file: File,
}

/// Locks the entry `id` of the store in `dir` for `operation` (words naming it and this
/// process), waiting up to `wait` for another holder.
pub fn acquire(dir: &Path, id: &str, operation: &str, wait: Duration) -> Result<EntryLock> {
    let locks = dir.join(LOCK_DIR);
    std::fs::create_dir_all(&locks)
        .with_context(|| format!("cannot create {}", locks.display()))?;
    let path = locks.join(format!("{id}.lock"));
    let mut file = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(&path)
        .with_context(|| format!("cannot open the lock file {}", path.display()))?;
    let started = Instant::now();
    loop {
        match file.try_lock() {
            Ok(()) => break,
            Err(TryLockError::WouldBlock) if started.elapsed() < wait => std::thread::sleep(RETRY),
            Err(TryLockError::WouldBlock) => {
                return Err(StoreBusy::Locked {
                    id: id.to_string(),
                    holder: holder(&mut file),
                    waited_secs: started.elapsed().as_secs(),
                }
                .into())
            }
            Err(TryLockError::Error(e)) => {
                return Err(e).with_context(|| format!("cannot lock {}", path.display()))
            }
        }
    }
    let since = crate::clock::now_rfc3339();
    let text = format!(
        "{operation} (process {}, since {since})",
        std::process::id()
    );
    // Best effort: the words only serve a waiting process's message.
    let _ = file
        .set_len(0)
        .and_then(|_| file.write_all(text.as_bytes()));
    Ok(EntryLock { file })
}

/// What the current holder wrote, or a plain description when it has not written yet.
fn holder(file: &mut File) -> String {
    let mut text = String::new();
    let _ = file.rewind().and_then(|_| file.read_to_string(&mut text));
    let text = crate::untrusted::clean(text.trim(), crate::untrusted::LABEL);
    if text.is_empty() {
        "another operation that has not said what it is".to_string()
    } else {
        text
    }
}

impl Drop for EntryLock {
    fn drop(&mut self) {
        // Clear the words first so nobody reads a finished operation as the holder.
        let _ = self.file.set_len(0);
        let _ = self.file.unlock();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // A second locker waits while the first holds the entry, then gets it; one that
    // gives up names the holder's operation. (File locks conflict between open files,
    // so threads of one process show the same as separate processes.)
    #[test]
    fn waits_then_names_the_holder() {
        let dir = std::env::temp_dir().join(format!("ehr-lock-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let held = acquire(&dir, "a", "ehr-host install of a 1.0.0", LOCK_WAIT).unwrap();
        let err =
            acquire(&dir, "a", "ehr-host remove of a", Duration::from_millis(50)).unwrap_err();
        let busy = err.downcast_ref::<StoreBusy>().expect("a StoreBusy");
        assert!(
            busy.to_string()
                .contains("ehr-host install of a 1.0.0 (process"),
            "{busy}"
        );
        // Another adapter's entry is not affected.
        acquire(&dir, "b", "other", Duration::ZERO).unwrap();
        let waiter = {
            let dir = dir.clone();
            std::thread::spawn(move || acquire(&dir, "a", "second", LOCK_WAIT).map(|_| ()))
        };
        std::thread::sleep(Duration::from_millis(30));
        drop(held);
        waiter.join().unwrap().unwrap();
        let _ = std::fs::remove_dir_all(&dir);
    }
}
