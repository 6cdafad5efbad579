//! Log lines, recorded by the host with the adapter id and job id attached. Keep patient
//! data out of anything above `debug`.

pub use crate::bindings::ehr::adapter::log::Level;

/// Records one line at `level`.
pub fn log(level: Level, message: &str) {
    #[cfg(target_arch = "wasm32")]
    crate::bindings::ehr::adapter::log::log(level, message);
    #[cfg(not(target_arch = "wasm32"))]
    crate::testing::stub_log(level, message);
}

/// Records a `debug` line.
pub fn debug(message: &str) {
    log(Level::Debug, message)
}

/// Records an `info` line.
pub fn info(message: &str) {
    log(Level::Info, message)
}

/// Records a `warn` line.
pub fn warn(message: &str) {
    log(Level::Warn, message)
}

/// Records an `error` line.
pub fn error(message: &str) {
    log(Level::Error, message)
}
