//! The two cloud EHRs as test targets: which adapter, which sandbox dialect, which seeded
//! encounters, and how to configure the host for them. The fault suite
//! ([`crate::faults`]) runs the same cases against each.

use crate::TestHome;
use ehr_sandbox::{Ehr, Sandbox, SandboxConfig};

/// One cloud EHR as the fault suite sees it.
#[derive(Debug, Clone, Copy)]
pub struct Target {
    /// Adapter id (and component name).
    pub adapter: &'static str,
    /// Sandbox dialect.
    pub ehr: Ehr,
    /// The sandbox's OAuth2 token path.
    pub token_path: &'static str,
    /// An open encounter of the fixture's patient.
    pub open: &'static str,
    /// A signed / locked encounter.
    pub locked: &'static str,
    /// An encounter of another patient.
    pub other_patient: &'static str,
    /// The fixture's patient id.
    pub patient: &'static str,
    /// A path fragment that only the EHR's write requests contain.
    pub write_path: &'static str,
    /// A path fragment of the last write request of a job (once it landed, all did).
    pub last_write_path: &'static str,
    /// An open encounter of the fixture's patient on a brief template (fewer fields).
    pub brief: &'static str,
    /// A path fragment of the first read the write flow makes (the encounter lookup).
    pub encounter_path: &'static str,
    /// Whether the EHR stores ASCII only (text is transliterated, with a warning).
    pub ascii_only: bool,
    /// The snapshot fixture in `tests/fixtures` for the open encounter.
    pub fixture: &'static str,
}

/// RevolutionEHR: exam written section by section.
pub const REVOLUTION: Target = Target {
    adapter: "revolution",
    ehr: Ehr::Revolution,
    token_path: "/oauth/token",
    open: "E5001",
    locked: "E5003",
    other_patient: "E5002",
    patient: "P1001",
    write_path: "/exam/",
    last_write_path: "/notes",
    brief: "E5004",
    encounter_path: "/encounters/",
    ascii_only: true,
    fixture: "snapshot-e5001.json",
};

/// Eyefinity: one document per visit.
pub const EYEFINITY: Target = Target {
    adapter: "eyefinity",
    ehr: Ehr::Eyefinity,
    token_path: "/oauth2/token",
    open: "V-9001",
    locked: "V-9003",
    other_patient: "V-9002",
    patient: "EF-2001",
    write_path: "/document",
    last_write_path: "/document",
    brief: "V-9004",
    encounter_path: "/visits/",
    ascii_only: false,
    fixture: "snapshot-eyefinity.json",
};

/// How the host authenticates to the sandbox.
#[derive(Debug, Clone, Copy)]
pub enum Auth {
    /// The sandbox's static token.
    Bearer,
    /// OAuth2 client credentials with this client secret.
    OAuth2(&'static str),
}

/// Host configuration for `target`'s adapter with the EHR at `base_url`, reached through
/// the granted origin `base_url`, with `timeout_secs` as the per-call limit and
/// `request_timeout_secs` (when set) as the adapter's per-request timeout.
pub fn config(
    target: &Target,
    base_url: &str,
    token_base: &str,
    auth: Auth,
    request_timeout_secs: Option<f64>,
) -> String {
    let id = target.adapter;
    let mut s = format!(
        "[limits]\ntimeout_secs = 10\n\n[adapters.{id}]\nhttp = [\"{base_url}\"]\n\n\
         [adapters.{id}.settings]\nbase_url = \"{base_url}\"\n"
    );
    if let Some(t) = request_timeout_secs {
        s.push_str(&format!("request_timeout_secs = \"{t}\"\n"));
    }
    s.push_str(&format!(
        "\n[[adapters.{id}.credentials]]\norigin = \"{base_url}\"\n"
    ));
    match auth {
        Auth::Bearer => s.push_str("kind = \"bearer\"\ntoken = \"sandbox-token\"\n"),
        Auth::OAuth2(secret) => s.push_str(&format!(
            "kind = \"oauth2\"\ntoken_url = \"{token_base}{}\"\nclient_id = \"ehr-host\"\n\
             client_secret = \"{secret}\"\n",
            target.token_path
        )),
    }
    s
}

/// A sandbox of `target`'s dialect and a home with its adapter installed, pointed at it.
pub async fn setup(
    target: &Target,
    auth: Auth,
    request_timeout_secs: Option<f64>,
) -> (Sandbox, TestHome) {
    let sandbox = start_sandbox(target).await;
    let url = sandbox.url();
    let home = TestHome::new(&config(target, &url, &url, auth, request_timeout_secs));
    home.install(target.adapter).await;
    (sandbox, home)
}

/// A sandbox of `target`'s dialect on a free loopback port.
pub async fn start_sandbox(target: &Target) -> Sandbox {
    Sandbox::start(SandboxConfig {
        ehr: target.ehr,
        ..SandboxConfig::default()
    })
    .await
    .expect("starting the sandbox")
}

/// The fixture snapshot for `target`'s open encounter, edited by `edit`.
pub fn snapshot(target: &Target, edit: impl Fn(&mut serde_json::Value)) -> serde_json::Value {
    let path = crate::fixture(target.fixture);
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("reading {}: {e}", path.display()));
    let mut v: serde_json::Value = serde_json::from_str(&text).unwrap();
    edit(&mut v);
    v
}
