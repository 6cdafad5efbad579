//! Test-only settings that stop a write half way inside its transaction, so end-to-end
//! tests can prove nothing half-written survives a server dying or an adapter trapping:
//!
//! - `debug_pause_after_first_write_secs = "N"`: after the first write the adapter logs a
//!   warning saying it pauses (tests wait for that line), then sleeps N seconds;
//! - `debug_panic_after_first_write = "true"`: after the first write the adapter traps.
//!
//! Unset, they cost one config lookup each. Never set them in production.

use crate::{config, log};

/// The settings' names and descriptions, for `describe`.
pub fn settings() -> Vec<(String, String)> {
    vec![
        (
            "debug_pause_after_first_write_secs".to_string(),
            "tests only: pause inside the write transaction after the first write".to_string(),
        ),
        (
            "debug_panic_after_first_write".to_string(),
            "tests only: `true` traps inside the write transaction after the first write"
                .to_string(),
        ),
    ]
}

/// The hooks as configured for this call.
pub struct Hooks {
    pause_secs: Option<u32>,
    panic: bool,
}

impl Hooks {
    /// Reads the settings.
    pub fn from_config() -> Hooks {
        Hooks {
            pause_secs: config::get("debug_pause_after_first_write_secs")
                .and_then(|s| s.trim().parse().ok()),
            panic: config::get("debug_panic_after_first_write").as_deref() == Some("true"),
        }
    }

    /// Called by the write flow right after its first write.
    pub fn after_first_write(&self) {
        if let Some(secs) = self.pause_secs {
            log::log(
                log::Level::Warn,
                &format!(
                    "debug_pause_after_first_write_secs: pausing {secs}s inside the write transaction"
                ),
            );
            std::thread::sleep(std::time::Duration::from_secs(secs.into()));
        }
        if self.panic {
            panic!("debug_panic_after_first_write: trapping inside the write transaction");
        }
    }
}
