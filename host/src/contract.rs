//! Which versions of the `ehr:adapter` contract this host can run.
//!
//! Each supported version has its own bindings module under `runtime::bindings` (kept
//! side by side, as Zed's extension host does), so adapters built against an older
//! contract keep working when the contract grows.

use semver::Version;

/// The WIT package name of the contract.
pub const PACKAGE: &str = "ehr:adapter";

/// Contract versions with bindings in this host, oldest first.
pub const SUPPORTED: &[&str] = &["0.1.0", "0.2.0"];

/// The schedule-sync timing assumed for an adapter that does not declare one (contract
/// 0.1.0): poll at most every 5 minutes; a sync normally shows within 15 minutes and is
/// abnormal after 30, as the practice guides' table gives for most systems.
pub const DEFAULT_SYNC_TIMING: crate::runtime::bindings::latest::SyncTiming =
    crate::runtime::bindings::latest::SyncTiming {
        min_poll_seconds: 300,
        normal_minutes: 15,
        abnormal_minutes: 30,
    };

/// The newest contract this host knows; what `ehr-host new` scaffolds against.
pub fn latest() -> Version {
    SUPPORTED
        .last()
        .expect("at least one contract version")
        .parse()
        .expect("contract versions are valid semver")
}

/// True when some supported version is semver-compatible with `needed` and at least as
/// new: in 0.x, the minor version is the breaking one.
pub fn supports(needed: &Version) -> bool {
    SUPPORTED.iter().any(|s| {
        let have: Version = s.parse().expect("contract versions are valid semver");
        let same_line = if have.major == 0 {
            needed.major == 0 && needed.minor == have.minor
        } else {
            needed.major == have.major
        };
        same_line && needed.pre.is_empty() && *needed <= have
    })
}

/// The supported versions, for messages (`0.1.0`).
pub fn supported_description() -> String {
    SUPPORTED.join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    // The exact version is supported; a newer patch or minor, or a prerelease, is not.
    #[test]
    fn compatibility() {
        assert!(supports(&"0.1.0".parse().unwrap()));
        assert!(supports(&"0.2.0".parse().unwrap()));
        assert!(!supports(&"0.1.1".parse().unwrap()));
        assert!(!supports(&"0.3.0".parse().unwrap()));
        assert!(!supports(&"1.0.0".parse().unwrap()));
        assert!(!supports(&"0.1.0-rc.1".parse().unwrap()));
    }
}
