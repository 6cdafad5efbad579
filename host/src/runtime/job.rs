//! The host's side of one write job while its adapter works: whether a person asked to
//! cancel, and what the adapter says has reached the chart so far.
//!
//! A cancel is seen by the adapter through the host, between requests or statements:
//! once requested, the host refuses the adapter's next HTTP request, SQL statement or
//! commit, so nothing more reaches the EHR (an open local-EHR transaction is rolled back
//! when the call ends). Adapters built for contract 0.2.0 also ask directly and report
//! the fields that landed as they go, so a stopped write says exactly what is in the
//! chart.

use crate::runtime::bindings::latest::FieldResult;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;

/// Request ids kept per attempt.
pub const MAX_REQUEST_IDS: usize = 32;

/// Shared between the job loop (which sets `cancel`) and the adapter call (which reads
/// it and records progress).
#[derive(Debug)]
pub struct JobControl {
    transaction_id: String,
    scope: Option<String>,
    ehr_request_ids: Mutex<Vec<String>>,
    cancel: AtomicBool,
    refused: AtomicBool,
    landed: Mutex<Option<Vec<FieldResult>>>,
    step: Mutex<Option<String>>,
}

impl Default for JobControl {
    fn default() -> Self {
        JobControl::new()
    }
}

impl JobControl {
    /// A control for a job that is not cancelled and has reported nothing, with a new
    /// transaction id for this attempt.
    pub fn new() -> JobControl {
        JobControl {
            transaction_id: crate::audit::new_transaction_id(),
            scope: None,
            ehr_request_ids: Mutex::new(Vec::new()),
            cancel: AtomicBool::new(false),
            refused: AtomicBool::new(false),
            landed: Mutex::new(None),
            step: Mutex::new(None),
        }
    }

    /// The same control for a job of `scope` (the practice, on a hub), so the write can
    /// use that practice's EHR account.
    pub fn in_scope(mut self, scope: Option<String>) -> JobControl {
        self.scope = scope;
        self
    }

    /// The practice the job belongs to, on a hub.
    pub fn scope(&self) -> Option<&str> {
        self.scope.as_deref()
    }

    /// This attempt's transaction id: sent to the EHR with every request (the
    /// `x-transaction-id` header; the job ledger row over SQL) and kept in the audit
    /// trail, so both sides' logs can be matched.
    pub fn transaction_id(&self) -> &str {
        &self.transaction_id
    }

    /// Records a request id the EHR sent back (`x-request-id` and alike); the first
    /// [`MAX_REQUEST_IDS`] are kept.
    pub fn ehr_request_id(&self, id: String) {
        let mut ids = self
            .ehr_request_ids
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        if ids.len() < MAX_REQUEST_IDS && !ids.contains(&id) {
            ids.push(id);
        }
    }

    /// The request ids the EHR sent back during the attempt.
    pub fn ehr_request_ids(&self) -> Vec<String> {
        self.ehr_request_ids
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// A person asked to cancel: refuse the adapter's next write.
    pub fn request_cancel(&self) {
        self.cancel.store(true, Ordering::SeqCst);
    }

    /// True once a cancel was requested.
    pub fn cancel_requested(&self) -> bool {
        self.cancel.load(Ordering::SeqCst)
    }

    /// Called by the host before each request or statement the adapter makes: `Err` with
    /// the words to hand the adapter when the job was cancelled.
    pub fn before_io(&self) -> Result<(), String> {
        if self.cancel_requested() {
            self.refused.store(true, Ordering::SeqCst);
            return Err(
                "the job was cancelled by a person: nothing more may be written; stop and return"
                    .into(),
            );
        }
        Ok(())
    }

    /// True when the host refused a request or statement because of the cancel.
    pub fn refused_for_cancel(&self) -> bool {
        self.refused.load(Ordering::SeqCst)
    }

    /// Records that `fields` are now in the chart (adapters on contract 0.2.0 report
    /// this after each section lands). Later reports of the same field replace earlier.
    pub fn landed(&self, fields: Vec<FieldResult>) {
        let mut landed = self.landed.lock().unwrap_or_else(|p| p.into_inner());
        let list = landed.get_or_insert_with(Vec::new);
        for f in fields {
            list.retain(|l| l.field != f.field);
            list.push(f);
        }
    }

    /// Everything reported as landed, or `None` when the adapter never reported (so the
    /// host cannot tell what landed).
    pub fn landed_so_far(&self) -> Option<Vec<FieldResult>> {
        self.landed
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// Records the step the adapter is on, in words (`writing refraction`).
    pub fn set_step(&self, step: String) {
        *self.step.lock().unwrap_or_else(|p| p.into_inner()) = Some(step);
    }

    /// The step the adapter last reported.
    pub fn step(&self) -> Option<String> {
        self.step.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::runtime::bindings::latest::FieldStatus;

    fn written(id: &str) -> FieldResult {
        FieldResult {
            field: id.into(),
            status: FieldStatus::Written,
            target: None,
            warnings: vec![],
        }
    }

    // Each attempt has its own transaction id; request ids are kept once each, bounded.
    #[test]
    fn transaction_and_request_ids() {
        let (a, b) = (JobControl::new(), JobControl::new());
        assert_ne!(a.transaction_id(), b.transaction_id());
        assert_eq!(a.transaction_id().len(), 32);
        for i in 0..100 {
            a.ehr_request_id(format!("r{}", i % 40));
        }
        assert_eq!(a.ehr_request_ids().len(), MAX_REQUEST_IDS);
    }

    // Before a cancel every request passes; after it every one is refused and the
    // refusal is remembered.
    #[test]
    fn cancel_refuses_further_io() {
        let c = JobControl::new();
        assert!(c.before_io().is_ok());
        assert!(!c.refused_for_cancel());
        c.request_cancel();
        assert!(c.before_io().unwrap_err().contains("cancelled"));
        assert!(c.refused_for_cancel());
    }

    // Nothing reported is "unknown"; reports accumulate, the latest line per field wins.
    #[test]
    fn landed_accumulates() {
        let c = JobControl::new();
        assert!(c.landed_so_far().is_none());
        c.landed(vec![written("a"), written("b")]);
        c.landed(vec![written("b"), written("c")]);
        let ids: Vec<String> = c
            .landed_so_far()
            .unwrap()
            .into_iter()
            .map(|f| f.field)
            .collect();
        assert_eq!(ids, ["a", "b", "c"]);
    }
}
