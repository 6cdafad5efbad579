//! What differs between Unix and Windows, behind one interface per concern, so the rest
//! of the host never names an operating system:
//!
//! - [`private`]: files only their owner (and, on Windows, SYSTEM and Administrators)
//!   can open: mode 600 on Unix, a protected access list on Windows; set when the file is
//!   created and checked when it is read;
//! - [`stop`]: the request to stop: SIGINT or SIGTERM on Unix; Ctrl+C, Ctrl+Break,
//!   closing the console, shutdown or the service manager's stop on Windows;
//! - [`process`]: whether a process id still names a running process;
//! - [`pipe`]: what a closed output pipe does to a short command.

pub mod pipe;
pub mod private;
pub mod process;
pub mod stop;
