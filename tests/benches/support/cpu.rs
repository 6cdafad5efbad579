// Shared by several benches, each using part of it.
#![allow(dead_code)]

//! CPU time a process has used, from `/proc` (Linux): what a bench reports beside its
//! throughput, since on a shared machine the CPU spent per job is steadier than the time.

use std::time::Duration;

/// CPU time (user + system) the process `pid` has used so far.
pub fn cpu_time(pid: u32) -> Duration {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // Fields after the command name (which may hold spaces), from field 3 (`state`):
    // `utime` is field 14 and `stime` field 15, in clock ticks of 1/100 s.
    let rest = stat.rsplit_once(')').map(|(_, r)| r).unwrap_or("");
    let fields: Vec<u64> = rest
        .split_whitespace()
        .map(|f| f.parse().unwrap_or(0))
        .collect();
    let ticks = fields.get(11).copied().unwrap_or(0) + fields.get(12).copied().unwrap_or(0);
    Duration::from_millis(ticks * 10)
}

/// CPU time this process has used so far.
pub fn own_cpu_time() -> Duration {
    cpu_time(std::process::id())
}

/// Busy and total CPU time of the whole machine so far, in clock ticks (`/proc/stat`):
/// compared over a run, how close the machine was to being saturated.
pub fn machine_ticks() -> (u64, u64) {
    let stat = std::fs::read_to_string("/proc/stat").unwrap_or_default();
    let fields: Vec<u64> = stat
        .lines()
        .next()
        .unwrap_or("")
        .split_whitespace()
        .skip(1)
        .map(|f| f.parse().unwrap_or(0))
        .collect();
    // user nice system idle iowait irq softirq steal
    let idle = fields.get(3).copied().unwrap_or(0) + fields.get(4).copied().unwrap_or(0);
    let total: u64 = fields.iter().take(8).sum();
    (total - idle, total)
}

/// The share of the machine's CPUs that was busy between two [`machine_ticks`] readings.
pub fn busy_share(before: (u64, u64), after: (u64, u64)) -> f64 {
    let (busy, total) = (after.0 - before.0, after.1 - before.1);
    busy as f64 / total.max(1) as f64
}
