use super::*;
use crate::config::AdapterConfig;
use crate::package::manifest::{Manifest, Requested};

fn capability() -> HttpCapability {
    let manifest = Manifest {
        id: "rev".into(),
        version: "1.0.0".parse().unwrap(),
        ehr: "Rev".into(),
        contract: "0.1.0".parse().unwrap(),
        description: String::new(),
        capabilities: Requested {
            http: vec!["http://127.0.0.1:9".into()],
            databases: vec![],
        },
    };
    let config = AdapterConfig {
        http: vec!["http://127.0.0.1:9".into()],
        ..Default::default()
    };
    HttpCapability::new(
        reqwest::Client::new(),
        Arc::new(Grants::new(&manifest, &config)),
        Arc::new(Credentials::from_config(&config)),
        Duration::from_secs(1),
        1024,
    )
}

fn request(url: &str, headers: &[(&str, &str)]) -> OutboundRequest {
    OutboundRequest {
        method: reqwest::Method::GET,
        url: url.into(),
        headers: headers
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        body: None,
        timeout: None,
    }
}

// A guest may not send credential headers of its own, in any letter case: the host
// refuses the request before anything leaves the machine.
#[tokio::test]
async fn guest_credential_headers_are_refused() {
    let cap = capability();
    for name in ["Authorization", "cookie", "PROXY-AUTHORIZATION"] {
        let err = cap
            .send(request("http://127.0.0.1:9/x", &[(name, "x")]))
            .await
            .unwrap_err();
        assert!(
            matches!(&err, HttpFailure::InvalidRequest(m) if m.contains(name) && m.contains("set by the host")),
            "{err:?}"
        );
    }
}

// An origin outside the grants is refused, naming it; a granted origin that nobody
// listens on is reported as unreachable, not as a refusal.
#[tokio::test]
async fn denied_versus_unreachable() {
    let cap = capability();
    let err = cap
        .send(request("http://127.0.0.1:10/x", &[]))
        .await
        .unwrap_err();
    assert!(
        matches!(&err, HttpFailure::Denied(m) if m.contains("http://127.0.0.1:10")),
        "{err:?}"
    );
    let err = cap
        .send(request("http://127.0.0.1:9/x", &[]))
        .await
        .unwrap_err();
    assert!(matches!(err, HttpFailure::Unreachable(_)), "{err:?}");
}

// A credential whose secret the configuration does not provide (unset environment
// variable) is refused as a configuration problem naming the variable, before any
// request is sent, not reported as an expired session.
#[tokio::test]
async fn missing_secret_is_a_configuration_problem() {
    let mut cap = capability();
    let config = AdapterConfig {
        http: vec!["http://127.0.0.1:9".into()],
        credentials: vec![crate::config::Credential::Bearer {
            origin: "http://127.0.0.1:9".into(),
            token: None,
            token_env: Some("EHR_HOST_TEST_UNSET_TOKEN".into()),
        }],
        ..Default::default()
    };
    cap.credentials = Arc::new(Credentials::from_config(&config));
    let err = cap
        .send(request("http://127.0.0.1:9/x", &[]))
        .await
        .unwrap_err();
    assert!(
        matches!(&err, HttpFailure::Denied(m) if m.contains("EHR_HOST_TEST_UNSET_TOKEN")),
        "{err:?}"
    );
}

// A request's timeout is the adapter's wish capped by the host's limit and, near the
// end of the call, by what is left of the call's budget less a margin.
#[test]
fn request_timeout_respects_the_call_deadline() {
    let s = Duration::from_secs;
    assert_eq!(request_timeout(None, s(30), None), s(30));
    assert_eq!(request_timeout(Some(s(60)), s(30), None), s(30));
    assert_eq!(request_timeout(Some(s(2)), s(30), None), s(2));
    let deadline = Some(Instant::now() + s(5));
    let t = request_timeout(None, s(30), deadline);
    assert!(t <= s(5) - CALL_MARGIN && t > s(4), "{t:?}");
    assert_eq!(request_timeout(Some(s(1)), s(30), deadline), s(1));
    let spent = Some(Instant::now());
    assert_eq!(
        request_timeout(None, s(30), spent),
        Duration::from_millis(1)
    );
}
