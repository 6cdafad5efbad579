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

/// A loopback HTTP server answering every request with `answer`; its origin, and the
/// heads of the requests it received.
async fn server(answer: &'static str) -> (String, Arc<std::sync::Mutex<Vec<String>>>) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let origin = format!("http://{}", listener.local_addr().unwrap());
    let seen = Arc::new(std::sync::Mutex::new(Vec::new()));
    let heads = seen.clone();
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            let mut buf = Vec::new();
            let mut chunk = [0u8; 4096];
            while !buf.windows(4).any(|w| w == b"\r\n\r\n") {
                match stream.read(&mut chunk).await {
                    Ok(0) | Err(_) => break,
                    Ok(n) => buf.extend_from_slice(&chunk[..n]),
                }
            }
            heads
                .lock()
                .unwrap()
                .push(String::from_utf8_lossy(&buf).into_owned());
            let _ = stream.write_all(answer.as_bytes()).await;
            let _ = stream.shutdown().await;
        }
    });
    (origin, seen)
}

/// A capability for `origin` with `credentials` (TOML of credential entries, may be empty).
fn capability_for(origin: &str, credentials: &str) -> HttpCapability {
    let manifest = Manifest {
        id: "rev".into(),
        version: "1.0.0".parse().unwrap(),
        ehr: "Rev".into(),
        contract: "0.1.0".parse().unwrap(),
        description: String::new(),
        capabilities: Requested {
            http: vec![origin.into()],
            databases: vec![],
        },
    };
    let config: AdapterConfig =
        toml::from_str(&format!("http = [\"{origin}\"]\n{credentials}")).unwrap();
    HttpCapability::new(
        reqwest::Client::new(),
        Arc::new(Grants::new(&manifest, &config)),
        Arc::new(Credentials::from_config(&config)),
        Duration::from_secs(5),
        1024,
    )
}

const OK: &str = "HTTP/1.1 200 OK\r\ncontent-length: 2\r\nconnection: close\r\n\r\nok";

// A URL with a user name and password is refused before anything is sent (the HTTP
// client would have turned it into `Authorization: Basic`), and the message does not
// repeat the password.
#[tokio::test]
async fn userinfo_is_refused_before_sending() {
    let (origin, seen) = server(OK).await;
    let cap = capability_for(&origin, "");
    let url = origin.replace("http://", "http://user:hunter22@") + "/x";
    let err = cap.send(request(&url, &[])).await.unwrap_err();
    assert!(
        matches!(&err, HttpFailure::InvalidRequest(m) if m.contains("user name or password") && !m.contains("hunter22")),
        "{err:?}"
    );
    cap.send(request(&format!("{origin}/x"), &[]))
        .await
        .unwrap();
    let heads = seen.lock().unwrap();
    assert_eq!(heads.len(), 1, "only the clean request was sent: {heads:?}");
    assert!(
        !heads[0].to_ascii_lowercase().contains("authorization"),
        "{heads:?}"
    );
}

// `Host` (which would carry the origin's token to another virtual host) and framing
// headers are refused, naming the header, and nothing reaches the server; the host's
// own `Host` and the bearer token go out on a clean request.
#[tokio::test]
async fn host_and_framing_headers_are_refused() {
    let (origin, seen) = server(OK).await;
    let bearer = format!(
        "[[credentials]]\norigin = \"{origin}\"\nkind = \"bearer\"\ntoken = \"tok-0123456789\"\n"
    );
    let cap = capability_for(&origin, &bearer);
    for (name, value) in [
        ("Host", "evil.example"),
        ("Content-Length", "5"),
        ("transfer-encoding", "chunked"),
        ("Connection", "close"),
        ("Upgrade", "h2c"),
        ("Proxy-Connection", "keep-alive"),
    ] {
        let err = cap
            .send(request(&format!("{origin}/x"), &[(name, value)]))
            .await
            .unwrap_err();
        assert!(
            matches!(&err, HttpFailure::InvalidRequest(m) if m.contains(name) && m.contains("only the host sets it")),
            "{name}: {err:?}"
        );
    }
    assert!(seen.lock().unwrap().is_empty());
    cap.send(request(&format!("{origin}/x"), &[]))
        .await
        .unwrap();
    let head = seen.lock().unwrap()[0].to_ascii_lowercase();
    let host = origin.trim_start_matches("http://");
    assert!(head.contains(&format!("host: {host}")), "{head}");
    assert!(
        head.contains("authorization: bearer tok-0123456789"),
        "{head}"
    );
}

// The token endpoint's 429 reaches the adapter as a 429 with its Retry-After and a
// body the host wrote; its 503 as a 503; neither as "credentials" (a log-in problem).
#[tokio::test]
async fn token_endpoint_status_is_handed_to_the_adapter() {
    let (api, api_seen) = server(OK).await;
    for (answer, status, retry) in [
        (
            "HTTP/1.1 429 Too Many Requests\r\nretry-after: 7\r\ncontent-length: 22\r\nconnection: close\r\n\r\nclient_secret=csecret1",
            429,
            Some("7"),
        ),
        (
            "HTTP/1.1 503 Service Unavailable\r\ncontent-length: 4\r\nconnection: close\r\n\r\ndown",
            503,
            None,
        ),
    ] {
        let (token, _) = server(answer).await;
        let oauth = format!(
            "[[credentials]]\norigin = \"{api}\"\nkind = \"oauth2\"\ntoken_url = \"{token}/oauth/token\"\nclient_id = \"c\"\nclient_secret = \"csecret1\"\n"
        );
        let cap = capability_for(&api, &oauth);
        let r = cap.send(request(&format!("{api}/x"), &[])).await.unwrap();
        assert_eq!(r.status, status);
        let header = |n: &str| r.headers.iter().find(|(k, _)| k == n).map(|(_, v)| v.as_str());
        assert_eq!(header("retry-after"), retry);
        assert_eq!(header(token_status::SOURCE_HEADER), Some("token-endpoint"));
        let body = String::from_utf8(r.body).unwrap();
        assert!(body.contains(&format!("HTTP {status}")) && !body.contains("csecret1"), "{body}");
    }
    assert!(
        api_seen.lock().unwrap().is_empty(),
        "no API request without a token"
    );
}

// A token endpoint that refuses the client and echoes its secret: the refusal reaches
// the adapter as a credentials error without the secret, and the access token it hands
// out later joins the secret set.
#[tokio::test]
async fn token_endpoint_echo_is_redacted() {
    let (api, _) = server(OK).await;
    let (token, _) = server("HTTP/1.1 401 Unauthorized\r\ncontent-length: 30\r\nconnection: close\r\n\r\nbad client_secret csecret-echo").await;
    let oauth = format!(
        "[[credentials]]\norigin = \"{api}\"\nkind = \"oauth2\"\ntoken_url = \"{token}/oauth/token\"\nclient_id = \"c\"\nclient_secret = \"csecret-echo\"\n"
    );
    let cap = capability_for(&api, &oauth);
    let err = cap
        .send(request(&format!("{api}/x"), &[]))
        .await
        .unwrap_err();
    assert!(
        matches!(&err, HttpFailure::Credentials(m) if m.contains("client_secret [redacted]") && !m.contains("csecret-echo")),
        "{err:?}"
    );
    let (good, _) = server("HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 48\r\nconnection: close\r\n\r\n{\"access_token\":\"at-0123456789\",\"expires_in\":60}").await;
    let oauth = format!(
        "[[credentials]]\norigin = \"{api}\"\nkind = \"oauth2\"\ntoken_url = \"{good}/t\"\nclient_id = \"c\"\nclient_secret = \"csecret-echo\"\n"
    );
    let cap = capability_for(&api, &oauth);
    cap.send(request(&format!("{api}/x"), &[])).await.unwrap();
    assert_eq!(
        cap.credentials.secrets().redact("at-0123456789"),
        "[redacted]"
    );
}
