//! Switchable failure modes: what a fault is. Which requests it hits lives in `slot`,
//! what the answer-replacing modes answer in `answers`, the JSON form in `wire`.

mod answers;
mod slot;
mod wire;

use serde::{Deserialize, Serialize};

pub(crate) use slot::{FaultSlot, RequestInfo};

/// A failure the sandbox imposes on incoming requests until it is cleared or used up.
///
/// Only requests to the EHR's API (`/api/`, `/ehr/`) and token endpoints (`/oauth/`,
/// `/oauth2/`) are affected; the `/_sandbox/` control
/// endpoints never are, so a test can always steer the sandbox back.
///
/// Over HTTP and in [`State`](crate::State) a fault is written as the flat JSON object that
/// `POST /_sandbox/faults` accepts, e.g. `{"mode":"rate_limited","count":1,"retryAfter":5}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(into = "wire::FaultSpec", try_from = "wire::FaultSpec")]
pub struct Fault {
    /// What the sandbox does to a matching request.
    pub mode: FaultMode,
    /// `None`: every matching request until the fault is cleared. `Some(n)`: only the next
    /// `n` matching requests, after which the fault removes itself.
    pub count: Option<u32>,
    /// Only requests whose path contains this string match.
    pub path_contains: Option<String>,
}

impl Fault {
    /// A fault that stays until cleared.
    pub fn new(mode: FaultMode) -> Fault {
        Fault {
            mode,
            count: None,
            path_contains: None,
        }
    }

    /// A fault that hits only the next matching request.
    pub fn once(mode: FaultMode) -> Fault {
        Fault::new(mode).times(1)
    }

    /// Limits the fault to the next `n` matching requests.
    pub fn times(mut self, n: u32) -> Fault {
        self.count = Some(n);
        self
    }

    /// Limits the fault to requests whose path contains `fragment`.
    pub fn on_path(mut self, fragment: impl Into<String>) -> Fault {
        self.path_contains = Some(fragment.into());
        self
    }
}

/// What a fault does to the requests it matches.
///
/// Most modes hit any request to the EHR's API or token endpoint. Three are narrower because
/// they only make sense for some requests: [`Reject`](FaultMode::Reject) and
/// [`LandThenTimeout`](FaultMode::LandThenTimeout) hit only writes (`PUT`/`POST` under
/// `/api/` or `/ehr/`), and [`TemplateChanged`](FaultMode::TemplateChanged) hits only template reads
/// and exam-section writes. Requests a fault does not hit do not use up its count.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FaultMode {
    /// 401 `{"error":"session_expired","message":"Session expired"}`.
    SessionExpired,
    /// 401 `{"error":"not_logged_in","message":"No user is logged in"}`.
    LoggedOut,
    /// 403 `{"error":"forbidden","message":...,"missingPermission":...}`.
    Forbidden {
        /// The permission the EHR says the caller lacks, e.g. `exam.write`.
        missing_permission: Option<String>,
    },
    /// 408 `{"error":"request_timeout"}`.
    RequestTimeout,
    /// Answers normally, but only after the delay.
    Slow {
        /// How long to wait before handling the request, in milliseconds.
        delay_ms: u64,
    },
    /// 422 `validation_failed` on writes, as if an EHR business rule refused the exam.
    Reject,
    /// 429 `{"error":"rate_limited"}`.
    RateLimited {
        /// Seconds sent in a `Retry-After` header; no header when `None`.
        retry_after: Option<u32>,
    },
    /// 500 `{"error":"internal","requestId":...}`.
    Internal,
    /// 503 `{"error":"unavailable",...}`.
    Unavailable,
    /// The connection is torn down (TCP RST) right after the request head is read,
    /// without any HTTP response.
    Reset,
    /// While active, templates call `iopOd`/`iopOs` `iopOdMmHg`/`iopOsMmHg` (Eyefinity
    /// forms: `IOP_OD`/`IOP_OS` become `IOP_OD_MMHG`/`IOP_OS_MMHG`), and writes using the
    /// old names fail with 422 `unknown_field`.
    TemplateChanged,
    /// The write is applied and stored, then the reply is held back for 30 seconds so the
    /// client times out believing it failed.
    LandThenTimeout,
}

/// How long [`FaultMode::LandThenTimeout`] holds a reply back: far beyond any sane client timeout.
pub(crate) const LAND_THEN_TIMEOUT_DELAY: std::time::Duration = std::time::Duration::from_secs(30);
