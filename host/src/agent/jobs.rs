//! The agent as the job worker's adapter source: jobs are written through the slot
//! serving their EHR, so they finish on the version they started on during a swap and
//! count towards a new version's probation.

use super::Agent;
use crate::jobs::worker::Adapters;
use crate::runtime::bindings::latest::{EncounterSnapshot, WriteResult};
use crate::runtime::{CallError, JobControl, LoadedAdapter};
use std::sync::Arc;

impl Adapters for Agent {
    async fn write(
        &self,
        ehr: &str,
        snapshot: EncounterSnapshot,
        control: Arc<JobControl>,
    ) -> Option<(Arc<LoadedAdapter>, Result<WriteResult, CallError>)> {
        let slot = self.slot(ehr)?;
        Some(slot.write_job(snapshot, control).await)
    }

    fn one_at_a_time(&self) -> Vec<String> {
        let slots = self.inner.slots.read().expect("slots lock");
        slots
            .iter()
            .filter(|(_, slot)| slot.current().situation.local)
            .map(|(ehr, _)| ehr.clone())
            .collect()
    }
}
