//! A writer that writes nothing: every job "succeeds" at once with each field of its
//! snapshot reported written, so a test or bench measures the queue and the runner alone.
//! It counts the writes in flight (overall and per EHR, with their highest), can hold each
//! write for a while, can answer "too many requests" for one EHR, and can crash once.

use ehr_host::jobs::worker::Adapters;
use ehr_host::runtime::bindings::latest::{
    AdapterError, EncounterSnapshot, FieldResult, FieldStatus, RateLimit, WriteResult,
};
use ehr_host::runtime::{CallError, JobControl, LoadedAdapter};
use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// The no-op writer.
pub struct Noop {
    /// The adapter named as the one that served each write (its hash and version go into
    /// the report; it is never called).
    adapter: Arc<LoadedAdapter>,
    /// How long each write takes.
    hold: Duration,
    in_flight: AtomicUsize,
    most: AtomicUsize,
    writes: AtomicUsize,
    per_ehr: Mutex<HashMap<String, (usize, usize)>>,
    /// EHRs answering "too many requests, come back in N seconds".
    limited: Mutex<HashMap<String, u32>>,
    /// When each write started, per EHR.
    started: Mutex<HashMap<String, Vec<Instant>>>,
    /// EHRs written one at a time (as a practice's own EHR database is).
    one_at_a_time: Mutex<Vec<String>>,
    /// EHRs whose next write crashes (an adapter bug), once each.
    crash_next: Mutex<Vec<String>>,
}

impl Noop {
    /// Writes named as served by `adapter`, each taking `hold`.
    pub fn new(adapter: Arc<LoadedAdapter>, hold: Duration) -> Noop {
        Noop {
            adapter,
            hold,
            in_flight: AtomicUsize::new(0),
            most: AtomicUsize::new(0),
            writes: AtomicUsize::new(0),
            per_ehr: Mutex::default(),
            limited: Mutex::default(),
            started: Mutex::default(),
            one_at_a_time: Mutex::default(),
            crash_next: Mutex::default(),
        }
    }

    /// Has `ehr` written one job at a time, as a practice's own EHR database is.
    pub fn one_at_a_time_for(&self, ehr: &str) {
        self.one_at_a_time.lock().unwrap().push(ehr.to_string());
    }

    /// Makes `ehr` answer "too many requests, retry after `seconds`" (`None`: serve again).
    pub fn rate_limit(&self, ehr: &str, seconds: Option<u32>) {
        let mut limited = self.limited.lock().unwrap();
        match seconds {
            Some(s) => limited.insert(ehr.to_string(), s),
            None => limited.remove(ehr),
        };
    }

    /// Has the next write of `ehr` crash, as an adapter with a bug does; once.
    pub fn crash_next_write_of(&self, ehr: &str) {
        self.crash_next.lock().unwrap().push(ehr.to_string());
    }

    /// The most writes that were in flight at once.
    pub fn most_in_flight(&self) -> usize {
        self.most.load(Ordering::SeqCst)
    }

    /// The most writes of `ehr` that were in flight at once.
    pub fn most_in_flight_of(&self, ehr: &str) -> usize {
        self.per_ehr.lock().unwrap().get(ehr).map_or(0, |e| e.1)
    }

    /// Writes started so far.
    pub fn writes(&self) -> usize {
        self.writes.load(Ordering::SeqCst)
    }

    /// When the writes of `ehr` started.
    pub fn started(&self, ehr: &str) -> Vec<Instant> {
        self.started
            .lock()
            .unwrap()
            .get(ehr)
            .cloned()
            .unwrap_or_default()
    }

    fn enter(&self, ehr: &str) {
        let now = self.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
        self.most.fetch_max(now, Ordering::SeqCst);
        self.writes.fetch_add(1, Ordering::SeqCst);
        let mut per = self.per_ehr.lock().unwrap();
        let e = per.entry(ehr.to_string()).or_default();
        e.0 += 1;
        e.1 = e.1.max(e.0);
        self.started
            .lock()
            .unwrap()
            .entry(ehr.to_string())
            .or_default()
            .push(Instant::now());
    }

    fn leave(&self, ehr: &str) {
        self.in_flight.fetch_sub(1, Ordering::SeqCst);
        if let Some(e) = self.per_ehr.lock().unwrap().get_mut(ehr) {
            e.0 -= 1;
        }
    }
}

/// What a successful write of every field of `snapshot` answers.
pub fn all_written(snapshot: &EncounterSnapshot) -> WriteResult {
    WriteResult {
        record_id: Some(snapshot.encounter_id.clone()),
        replayed: false,
        fields: snapshot
            .fields
            .iter()
            .map(|f| FieldResult {
                field: f.id.clone(),
                status: FieldStatus::Written,
                target: Some(f.id.clone()),
                warnings: Vec::new(),
            })
            .collect(),
        notices: Vec::new(),
    }
}

impl Adapters for Noop {
    async fn write(
        &self,
        ehr: &str,
        snapshot: EncounterSnapshot,
        _control: Arc<JobControl>,
    ) -> Option<(Arc<LoadedAdapter>, Result<WriteResult, CallError>)> {
        self.enter(ehr);
        if !self.hold.is_zero() {
            tokio::time::sleep(self.hold).await;
        }
        let limited = self.limited.lock().unwrap().get(ehr).copied();
        let crash = {
            let mut next = self.crash_next.lock().unwrap();
            let at = next.iter().position(|e| e == ehr);
            at.map(|at| next.remove(at)).is_some()
        };
        let result = match limited {
            _ if crash => Err(CallError::Trapped {
                message: "wasm trap: unreachable (the no-op writer's planted crash)".into(),
            }),
            Some(s) => Err(CallError::Adapter(AdapterError::RateLimited(RateLimit {
                retry_after_seconds: Some(s),
                message: "too many requests".into(),
            }))),
            None => Ok(all_written(&snapshot)),
        };
        self.leave(ehr);
        Some((self.adapter.clone(), result))
    }

    fn one_at_a_time(&self) -> Vec<String> {
        self.one_at_a_time.lock().unwrap().clone()
    }
}
