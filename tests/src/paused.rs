//! A `ehr-host write` run that the adapter pauses inside its write transaction (the SDK's
//! `debug_pause_after_first_write_secs` hook), for tests that take the database away at
//! exactly that moment.

use crate::TestHome;
use std::io::{BufRead, BufReader, Read};
use std::process::{Child, ChildStderr, Command, Stdio};

/// A running `ehr-host write`, paused after its first write.
pub struct PausedWrite {
    child: Option<Child>,
    stderr: BufReader<ChildStderr>,
    seen: String,
}

impl PausedWrite {
    /// Starts `ehr-host write <adapter> <snapshot>` in `home` and returns once the
    /// adapter has said (in its log, on stderr) that it is paused; fails if the run ends
    /// before that.
    #[allow(
        clippy::zombie_processes,
        reason = "the child is waited for by `finish`, or killed and waited for on drop"
    )]
    pub fn start(home: &TestHome, adapter: &str, snapshot: &str) -> PausedWrite {
        let mut child = Command::new(crate::ehr_host_bin())
            .args(["write", adapter, snapshot])
            .env("EHR_HOST_HOME", home.dir.path())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("starting ehr-host write");
        let mut stderr = BufReader::new(child.stderr.take().unwrap());
        let mut seen = String::new();
        loop {
            let mut line = String::new();
            if stderr.read_line(&mut line).unwrap() == 0 {
                let status = child.wait();
                panic!("the write ended ({status:?}) before its pause: {seen}");
            }
            seen.push_str(&line);
            if line.contains("debug_pause_after_first_write_secs: pausing") {
                return PausedWrite {
                    child: Some(child),
                    stderr,
                    seen,
                };
            }
        }
    }

    /// Waits for the run to end; its exit code and everything it wrote to stderr.
    pub fn finish(mut self) -> (Option<i32>, String) {
        let status = self.child.take().expect("not finished yet").wait().unwrap();
        self.stderr.read_to_string(&mut self.seen).unwrap();
        (status.code(), std::mem::take(&mut self.seen))
    }
}

impl Drop for PausedWrite {
    fn drop(&mut self) {
        // A test that failed before `finish` still leaves no process behind.
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}
