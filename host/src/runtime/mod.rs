//! The wasmtime runtime: one [`Engine`](wasmtime::Engine) for the process, one
//! `InstancePre` per loaded adapter version, and a fresh `Store` per call so no patient
//! data survives from one call to the next. Limits are enforced per call: memory, wall
//! clock (epoch interruption), and result size; a trap becomes an adapter error.

pub mod bindings;
pub mod cache;
pub mod engine;
pub mod error;
pub mod job;
pub mod json_size;
pub mod limits;
pub mod loaded;
pub mod pool;
pub mod state;

pub use engine::Runtime;
pub use error::CallError;
pub use job::JobControl;
pub use limits::Limits;
pub use loaded::LoadedAdapter;
pub use pool::Allocator;
