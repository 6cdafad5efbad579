// Shared by several benches, each using part of it.
#![allow(dead_code)]

//! The figures every bench prints: one table row per figure, with its goal and whether
//! it is met. `tests/bench.sh` runs the benches and gathers these rows into one table.

use std::time::Duration;

/// Percentiles of a set of samples.
pub struct Stats {
    /// Median.
    pub p50: Duration,
    /// 95th percentile.
    pub p95: Duration,
    /// Mean.
    pub mean: Duration,
}

/// The statistics of `samples` (not empty).
pub fn stats(mut samples: Vec<Duration>) -> Stats {
    assert!(!samples.is_empty(), "no samples");
    samples.sort();
    let n = samples.len();
    let p = |q: f64| samples[((n as f64 * q) as usize).min(n - 1)];
    Stats {
        p50: p(0.5),
        p95: p(0.95),
        mean: samples.iter().sum::<Duration>() / n as u32,
    }
}

/// Microseconds, for printing.
pub fn us(d: Duration) -> f64 {
    d.as_secs_f64() * 1e6
}

/// A goal a figure is held to.
#[derive(Clone, Copy)]
pub enum Goal {
    /// At most this much.
    AtMost(f64),
    /// At least this much.
    AtLeast(f64),
    /// Printed for reference, no goal.
    None,
}

/// Prints one row of the figures table: `| figure | value | goal | met |`.
pub fn row(figure: &str, value: f64, unit: &str, goal: Goal) {
    let (goal_text, met) = match goal {
        Goal::AtMost(g) => (
            format!("≤ {} {unit}", fmt(g)),
            if value <= g { "yes" } else { "NO" },
        ),
        Goal::AtLeast(g) => (
            format!("≥ {} {unit}", fmt(g)),
            if value >= g { "yes" } else { "NO" },
        ),
        Goal::None => (String::from("—"), ""),
    };
    println!("| {figure} | {} {unit} | {goal_text} | {met} |", fmt(value));
}

/// Three significant-ish figures: `0.873`, `12.4`, `5210`.
fn fmt(v: f64) -> String {
    if v.abs() >= 100.0 {
        format!("{v:.0}")
    } else if v.abs() >= 10.0 {
        format!("{v:.1}")
    } else {
        format!("{v:.3}")
    }
}
