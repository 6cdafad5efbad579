//! A write slot: one of the runner's `concurrency` places for a write in flight. A job
//! holds it while its adapter writes and gives it up as soon as the write is done, before
//! its outcome is recorded, so the runner claims the next job meanwhile: that claim and
//! the outcomes of the jobs before it then share one commit instead of taking one each.

use std::sync::Arc;
use tokio::sync::{Notify, OwnedSemaphorePermit, Semaphore};

/// A place for one write in flight; freed when dropped.
#[derive(Debug, Default)]
pub struct WriteSlot {
    permit: Option<OwnedSemaphorePermit>,
    freed: Option<Arc<Notify>>,
}

impl WriteSlot {
    /// A slot outside any runner (one job at a time: nothing waits for it).
    pub fn none() -> WriteSlot {
        WriteSlot::default()
    }

    /// One of `slots`' places if one is free; `freed` is told when it is given up.
    pub fn take(slots: &Arc<Semaphore>, freed: &Arc<Notify>) -> Option<WriteSlot> {
        let permit = slots.clone().try_acquire_owned().ok()?;
        Some(WriteSlot {
            permit: Some(permit),
            freed: Some(freed.clone()),
        })
    }
}

impl Drop for WriteSlot {
    fn drop(&mut self) {
        // The place is given back before the runner is told, so that it finds it free.
        drop(self.permit.take());
        if let Some(freed) = &self.freed {
            freed.notify_one();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_slot_given_up_is_free_when_the_runner_hears_of_it() {
        let (slots, freed) = (Arc::new(Semaphore::new(1)), Arc::new(Notify::new()));
        let slot = WriteSlot::take(&slots, &freed).expect("one place");
        assert!(WriteSlot::take(&slots, &freed).is_none(), "only one place");
        drop(slot);
        freed.notified().await;
        assert_eq!(slots.available_permits(), 1);
    }
}
