//! The service's log: a file that rotates by size, so an agent left running for years
//! never fills the disk. `agent.log` is written; when the next line would take it past
//! the limit it becomes `agent.log.1`, the older ones move up, and the oldest kept is
//! dropped.

use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

/// Bytes of one log file before it rotates.
pub const MAX_BYTES: u64 = 10 * 1024 * 1024;
/// Rotated files kept beside the current one.
pub const KEEP: u32 = 5;

/// A log file rotating by size; clones write to the same file (one per log line source).
#[derive(Clone)]
pub struct RotatingLog {
    inner: Arc<Mutex<State>>,
}

struct State {
    path: PathBuf,
    max_bytes: u64,
    keep: u32,
    file: File,
    len: u64,
}

impl RotatingLog {
    /// Opens (appending) `dir/name`, creating the folder; rotates past `max_bytes`,
    /// keeping `keep` older files.
    pub fn open(dir: &Path, name: &str, max_bytes: u64, keep: u32) -> io::Result<RotatingLog> {
        std::fs::create_dir_all(dir)?;
        let path = dir.join(name);
        let file = append(&path)?;
        let len = file.metadata()?.len();
        Ok(RotatingLog {
            inner: Arc::new(Mutex::new(State {
                path,
                max_bytes: max_bytes.max(1),
                keep,
                file,
                len,
            })),
        })
    }

    /// The file being written.
    pub fn path(&self) -> PathBuf {
        self.lock().path.clone()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        // A panic while writing a log line leaves nothing half-done worth refusing.
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }
}

fn append(path: &Path) -> io::Result<File> {
    OpenOptions::new().create(true).append(true).open(path)
}

/// `agent.log.N`.
fn numbered(path: &Path, n: u32) -> PathBuf {
    let mut s = path.as_os_str().to_owned();
    s.push(format!(".{n}"));
    PathBuf::from(s)
}

impl State {
    fn rotate(&mut self) -> io::Result<()> {
        self.file.flush()?;
        if self.keep == 0 {
            self.file = File::create(&self.path)?;
        } else {
            let _ = std::fs::remove_file(numbered(&self.path, self.keep));
            for n in (1..self.keep).rev() {
                let from = numbered(&self.path, n);
                if from.exists() {
                    std::fs::rename(&from, numbered(&self.path, n + 1))?;
                }
            }
            // std opens files sharing delete access, so Windows renames it while open.
            std::fs::rename(&self.path, numbered(&self.path, 1))?;
            self.file = append(&self.path)?;
        }
        self.len = 0;
        Ok(())
    }
}

impl Write for RotatingLog {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let mut s = self.lock();
        if s.len > 0 && s.len + buf.len() as u64 > s.max_bytes {
            s.rotate()?;
        }
        s.file.write_all(buf)?;
        s.len += buf.len() as u64;
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.lock().file.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // Lines past the limit start a new file; the older ones move up and the oldest
    // beyond `keep` is dropped; no line is split across files.
    #[test]
    fn rotates_by_size_keeping_the_newest() {
        let dir = std::env::temp_dir().join(format!("ehr-logfile-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let mut log = RotatingLog::open(&dir, "agent.log", 25, 2).unwrap();
        for i in 0..7 {
            log.write_all(format!("line {i} of the log\n").as_bytes())
                .unwrap();
        }
        let read = |name: &str| std::fs::read_to_string(dir.join(name)).unwrap();
        assert_eq!(read("agent.log"), "line 6 of the log\n");
        assert_eq!(read("agent.log.1"), "line 5 of the log\n");
        assert_eq!(read("agent.log.2"), "line 4 of the log\n");
        assert!(!dir.join("agent.log.3").exists());
        let _ = std::fs::remove_dir_all(&dir);
    }

    // Reopened, the log appends and counts what the file already holds.
    #[test]
    fn reopening_appends() {
        let dir = std::env::temp_dir().join(format!("ehr-logfile-re-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        RotatingLog::open(&dir, "a.log", 30, 1)
            .unwrap()
            .write_all(b"first line 123456\n")
            .unwrap();
        let mut log = RotatingLog::open(&dir, "a.log", 30, 1).unwrap();
        log.write_all(b"second line 12345\n").unwrap();
        assert_eq!(
            std::fs::read_to_string(dir.join("a.log.1")).unwrap(),
            "first line 123456\n"
        );
        assert_eq!(log.path(), dir.join("a.log"));
        let _ = std::fs::remove_dir_all(&dir);
    }
}
