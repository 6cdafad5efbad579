//! The trail on disk: `<dir>/audit.jsonl` (one entry per line, append-only) and
//! `<dir>/audit.head` (the count and the last hash, replaced atomically after each append),
//! written under a lock shared by every process of the home (the agent and `ehr-host
//! write` may append at once).

use super::chain::{self, GENESIS};
use super::entry::{Entry, Query};
use anyhow::{bail, Context, Result};
use serde::{Deserialize, Serialize};
use std::io::{BufRead, Write};
use std::path::{Path, PathBuf};

/// The audit trail of one home.
#[derive(Debug, Clone)]
pub struct AuditLog {
    dir: PathBuf,
}

#[derive(Debug, Default, Serialize, Deserialize)]
struct Head {
    count: u64,
    last_hash: String,
}

/// What a verification found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Verified {
    /// Entries checked.
    pub entries: u64,
    /// The last entry's hash: quote it to prove later that nothing before it changed.
    pub last_hash: String,
}

impl AuditLog {
    /// The trail kept in `dir` (created on first append).
    pub fn new(dir: impl Into<PathBuf>) -> AuditLog {
        AuditLog { dir: dir.into() }
    }

    fn file(&self) -> PathBuf {
        self.dir.join("audit.jsonl")
    }

    fn head_file(&self) -> PathBuf {
        self.dir.join("audit.head")
    }

    /// Appends `entry`, linked to the last one; returns it as written.
    pub fn append(&self, entry: Entry) -> Result<Entry> {
        std::fs::create_dir_all(&self.dir)
            .with_context(|| format!("cannot create {}", self.dir.display()))?;
        let lock = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(self.dir.join("audit.lock"))
            .context("cannot open the audit trail's lock")?;
        lock.lock().context("cannot lock the audit trail")?;
        let head = self.head()?;
        let entry = chain::link(entry, head.count + 1, &head.last_hash);
        let mut line = serde_json::to_vec(&entry)?;
        line.push(b'\n');
        let mut file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.file())
            .with_context(|| format!("cannot open {}", self.file().display()))?;
        file.write_all(&line)?;
        file.sync_all()?;
        let next = Head {
            count: entry.seq,
            last_hash: entry.hash.clone(),
        };
        crate::fsutil::write_atomic(&self.head_file(), &serde_json::to_vec(&next)?)?;
        Ok(entry)
    }

    fn head(&self) -> Result<Head> {
        match std::fs::read(self.head_file()) {
            Ok(b) => serde_json::from_slice(&b).context("the audit trail's head file is damaged"),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                if self.file().exists() {
                    bail!(
                        "the audit trail {} has entries but its head file is missing: it may have been tampered with; run `ehr-host audit verify`",
                        self.file().display()
                    );
                }
                Ok(Head {
                    count: 0,
                    last_hash: GENESIS.to_string(),
                })
            }
            Err(e) => Err(e.into()),
        }
    }

    /// Every entry, oldest first.
    pub fn entries(&self) -> Result<Vec<Entry>> {
        read_entries(&self.file())
    }

    /// The entries matching `q`, oldest first.
    pub fn search(&self, q: &Query) -> Result<Vec<Entry>> {
        Ok(self
            .entries()?
            .into_iter()
            .filter(|e| q.matches(e))
            .collect())
    }

    /// Checks the whole chain and the head: every entry's hash, every link, the sequence,
    /// and that the file holds as many entries as the head says (nothing cut off).
    pub fn verify(&self) -> Result<Verified> {
        let head = self.head()?;
        let mut prev = GENESIS.to_string();
        let entries = self.entries()?;
        for (i, e) in entries.iter().enumerate() {
            let n = i as u64 + 1;
            if e.seq != n {
                bail!("audit entry {n} is missing or out of order (found entry {} in its place): the trail was changed", e.seq);
            }
            if e.prev_hash != prev {
                bail!("audit entry {n} does not follow entry {}: an entry before it was changed or removed", n - 1);
            }
            if chain::hash_of(e) != e.hash {
                bail!(
                    "audit entry {n} (job {}) was changed after it was written",
                    e.job_id
                );
            }
            prev = e.hash.clone();
        }
        let count = entries.len() as u64;
        if count != head.count || prev != head.last_hash {
            bail!(
                "the audit trail holds {count} entries but {} were written: entries were removed from its end",
                head.count
            );
        }
        Ok(Verified {
            entries: count,
            last_hash: prev,
        })
    }
}

fn read_entries(path: &Path) -> Result<Vec<Entry>> {
    let file = match std::fs::File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(e).with_context(|| format!("cannot read {}", path.display())),
    };
    let mut out = Vec::new();
    for (i, line) in std::io::BufReader::new(file).lines().enumerate() {
        let line = line?;
        if line.trim().is_empty() {
            continue;
        }
        let e: Entry = serde_json::from_str(&line).with_context(|| {
            format!(
                "audit line {} is not an entry: the trail was changed",
                i + 1
            )
        })?;
        out.push(e);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::Outcome;

    fn entry(job: &str) -> Entry {
        Entry {
            seq: 0,
            transaction_id: format!("tx-{job}"),
            job_id: job.into(),
            practice: None,
            host: "agent".into(),
            adapter: "revolution 0.2.0".into(),
            adapter_hash: "h".into(),
            patient_id: "P1".into(),
            encounter_id: format!("E-{job}"),
            record_id: None,
            ehr_request_ids: vec!["req-1".into()],
            started_ms: 1,
            ended_ms: 2,
            outcome: Outcome::Succeeded,
            error_kind: None,
            replayed: false,
            fields: vec![],
            prev_hash: String::new(),
            hash: String::new(),
        }
    }

    fn trail() -> (AuditLog, PathBuf) {
        static N: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
        let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let dir = std::env::temp_dir().join(format!("ehr-audit-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        (AuditLog::new(&dir), dir)
    }

    // Entries chain, search by every key, and verify.
    #[test]
    fn append_search_verify() {
        let (log, _) = trail();
        for j in ["J1", "J2", "J3"] {
            log.append(entry(j)).unwrap();
        }
        let found = log
            .search(&Query {
                encounter_id: Some("E-J2".into()),
                ..Query::default()
            })
            .unwrap();
        assert_eq!((found.len(), found[0].seq), (1, 2));
        assert_eq!(
            log.search(&Query {
                transaction_id: Some("tx-J3".into()),
                ..Query::default()
            })
            .unwrap()
            .len(),
            1
        );
        assert_eq!(
            log.search(&Query {
                patient_id: Some("P1".into()),
                ..Query::default()
            })
            .unwrap()
            .len(),
            3
        );
        assert_eq!(log.verify().unwrap().entries, 3);
    }

    // A changed entry, a removed one and a cut-off end are each detected and named.
    #[test]
    fn tampering_is_detected() {
        for (tamper, words) in [
            ("change", "entry 2 (job J2) was changed"),
            ("remove", "entry 2 is missing"),
            ("truncate", "removed from its end"),
        ] {
            let (log, dir) = trail();
            for j in ["J1", "J2", "J3"] {
                log.append(entry(j)).unwrap();
            }
            let path = dir.join("audit.jsonl");
            let text = std::fs::read_to_string(&path).unwrap();
            let lines: Vec<&str> = text.lines().collect();
            let edited = match tamper {
                "change" => text
                    .replace("\"outcome\":\"succeeded\",\"error_kind\"", "x")
                    .replacen("E-J2", "E-XX", 1),
                "remove" => format!("{}\n{}\n", lines[0], lines[2]),
                _ => format!("{}\n{}\n", lines[0], lines[1]),
            };
            std::fs::write(&path, edited).unwrap();
            let e = log.verify().unwrap_err().to_string();
            assert!(e.contains(words), "{tamper}: {e}");
        }
    }

    // Several threads appending at once keep one unbroken chain.
    #[test]
    fn concurrent_appends_chain() {
        let (log, _) = trail();
        std::thread::scope(|s| {
            for t in 0..4 {
                let log = log.clone();
                s.spawn(move || {
                    for i in 0..10 {
                        log.append(entry(&format!("T{t}-{i}"))).unwrap();
                    }
                });
            }
        });
        assert_eq!(log.verify().unwrap().entries, 40);
    }
}
