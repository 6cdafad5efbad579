//! A write slot: one of the runner's `concurrency` places for a write in flight. A job
//! holds it while its adapter writes and gives it up as soon as the write is done, before
//! its outcome is recorded, so the runner claims the next job meanwhile: that claim and
//! the outcomes of the jobs before it then share one commit instead of taking one each.
//!
//! The runner counts its places itself, from the [`Freed`] messages: a write answered
//! "too many requests" says so in the message that frees its place, so the runner pauses
//! that EHR before it could claim another of its jobs into that place.

use super::queue::EhrGroup;
use std::time::Duration;
use tokio::sync::mpsc;

/// A place given up.
#[derive(Debug)]
pub struct Freed {
    /// The EHR group that answered "too many requests", and how long to leave it alone.
    pub pause: Option<(EhrGroup, Duration)>,
}

/// A place for one write in flight; given up when dropped.
#[derive(Debug, Default)]
pub struct WriteSlot {
    freed: Option<mpsc::UnboundedSender<Freed>>,
    pause: Option<(EhrGroup, Duration)>,
}

impl WriteSlot {
    /// A slot outside any runner (one job at a time: nothing waits for it).
    pub fn none() -> WriteSlot {
        WriteSlot::default()
    }

    /// A place whose giving up is told to `freed`.
    pub fn new(freed: &mpsc::UnboundedSender<Freed>) -> WriteSlot {
        WriteSlot {
            freed: Some(freed.clone()),
            pause: None,
        }
    }

    /// The write was answered "too many requests": the runner leaves `group` alone for
    /// `wait` from when the place is given up.
    pub fn pause(&mut self, group: EhrGroup, wait: Duration) {
        self.pause = Some((group, wait));
    }
}

impl Drop for WriteSlot {
    fn drop(&mut self) {
        if let Some(freed) = self.freed.take() {
            // The runner may have stopped: then nothing needs the place.
            let _ = freed.send(Freed {
                pause: self.pause.take(),
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_place_given_up_says_so_with_its_pause() {
        let (tx, mut rx) = mpsc::unbounded_channel();
        let mut slot = WriteSlot::new(&tx);
        assert!(rx.try_recv().is_err(), "held");
        slot.pause(EhrGroup::of("rev", None), Duration::from_secs(2));
        drop(slot);
        let freed = rx.try_recv().expect("given up");
        assert_eq!(
            freed.pause,
            Some((EhrGroup::of("rev", None), Duration::from_secs(2)))
        );
        drop(WriteSlot::new(&tx));
        assert!(rx.try_recv().unwrap().pause.is_none());
        drop(WriteSlot::none());
        assert!(
            rx.try_recv().is_err(),
            "a slot outside a runner tells nobody"
        );
    }
}
