//! A closed output pipe (`ehr-host jobs show J | head`): on Unix the default SIGPIPE
//! disposition ends the process quietly, as for any Unix tool, instead of a panic with a
//! backtrace. Windows has no such signal: a write to a closed pipe is an error there.

/// For short commands: makes a closed output pipe end the process quietly (Unix); does
/// nothing on Windows, which has no SIGPIPE.
pub fn die_quietly_on_closed_pipe() {
    #[cfg(unix)]
    // SAFETY: restoring the default disposition of SIGPIPE before any thread starts
    // output; no handler runs Rust code.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
}
