//! The console's rules, driven through its handlers on a real (SQLite) hub in-process
//! with a clock the test moves: HTML escaping of adapter text, CSRF on every action,
//! practice users kept to their practice, sessions ending at logout and at expiry.

use super::html::{esc, untrusted};
use super::login::{CsrfForm, LoginForm};
use super::{actions, job, login, password, practice, session};
use crate::audit::AuditLog;
use crate::hub::state::{Hub, HubParts, Limits, Routing};
use crate::hub::store::{
    HubStore, Practice, PracticeSettings, SqliteHubStore, UserRole, UserStore,
};
use crate::jobs::Decision;
use crate::jobs::{ManualClock, NewJob, Queue, SqliteQueue, Status};
use crate::link::pin::Fingerprint;
use crate::report::{AdapterRef, FieldLine, FieldOutcome, SkipReason, WriteReport};
use axum::extract::{Form, Path, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::Response;
use std::sync::Arc;
use std::time::Duration;

type TestHub = Arc<Hub<SqliteQueue, SqliteHubStore>>;

const HOSTILE: &str = "<script>alert('x')</script>\u{202e}\"&";

pub(super) async fn hub() -> (TestHub, Arc<ManualClock>) {
    let dir = std::env::temp_dir().join(format!(
        "ehr-console-{}-{}",
        std::process::id(),
        crate::hub::secrets::new_token().unwrap()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    let clock = Arc::new(ManualClock::at(1_800_000_000_000));
    let queue = SqliteQueue::open(&dir.join("jobs.sqlite"), clock.clone()).unwrap();
    let sealer = crate::jobs::key::open(&queue, &dir.join("jobs.key"))
        .await
        .unwrap();
    let store = SqliteHubStore::open(&dir.join("hub.sqlite")).unwrap();
    for id in ["east", "west"] {
        store
            .create_practice(&Practice {
                id: id.into(),
                name: format!("{id} eye care"),
                created_ms: 0,
                settings: PracticeSettings::default(),
            })
            .await
            .unwrap();
    }
    let hub = Arc::new(Hub::new(HubParts {
        queue: Arc::new(queue),
        store: Arc::new(store),
        sealer: Arc::new(sealer),
        clock: clock.clone(),
        routing: Routing {
            local: vec!["crystalpm".into()],
            cloud: vec!["revolution".into()],
        },
        limits: Limits::default(),
        admin_token: "unused".into(),
        fingerprint: Fingerprint::of(b"unused"),
        stuck_after: Duration::from_secs(300),
        audit: AuditLog::new(dir.join("audit")),
    }));
    (hub, clock)
}

/// A failed job of `practice` whose report carries hostile adapter text.
async fn failed_job(hub: &TestHub, id: &str, practice: &str) {
    hub.queue
        .submit(NewJob {
            id: id.into(),
            ehr: "revolution".into(),
            payload: b"sealed".to_vec(),
            scope: Some(practice.into()),
        })
        .await
        .unwrap();
    hub.queue
        .claim("w", Duration::from_secs(60), 4)
        .await
        .unwrap()
        .unwrap();
    let error = crate::remediation::adapter_missing("revolution");
    let fields = vec![
        FieldLine {
            field: "iop.od".into(),
            outcome: FieldOutcome::Skipped {
                reason: SkipReason::NoMapping,
                detail: HOSTILE.into(),
            },
            warnings: vec![],
        },
        FieldLine {
            field: "notes".into(),
            outcome: FieldOutcome::NotWritten,
            warnings: vec![],
        },
    ];
    let adapter = AdapterRef {
        id: "revolution".into(),
        version: semver::Version::new(1, 0, 0),
        hash: "ab".into(),
    };
    let report = WriteReport::from_lines(id, adapter, "E5001", fields, Some(error.clone()));
    hub.queue
        .fail_attempt(id, "w", Decision::WaitForPerson, Some(&report), &error)
        .await
        .unwrap();
}

/// Request headers carrying a session of a new user `name` with `role`.
pub(super) async fn signed_in(hub: &TestHub, name: &str, role: UserRole) -> (HeaderMap, String) {
    hub.store
        .create_user(
            &crate::hub::store::UserRecord {
                name: name.into(),
                role,
                created_ms: 0,
            },
            "$argon2id$unused",
        )
        .await
        .unwrap();
    let (token, s) = session::start(hub, name).await.unwrap();
    let mut h = HeaderMap::new();
    let cookie = format!("other=1; {}={token}", session::COOKIE);
    h.insert(header::COOKIE, HeaderValue::from_str(&cookie).unwrap());
    (h, s.csrf)
}

pub(super) async fn body(r: Response) -> String {
    let b = axum::body::to_bytes(r.into_body(), usize::MAX)
        .await
        .unwrap();
    String::from_utf8(b.to_vec()).unwrap()
}

fn location(r: &Response) -> &str {
    r.headers()[header::LOCATION].to_str().unwrap()
}

#[test]
fn escaping_neutralises_markup_and_hidden_characters() {
    assert_eq!(
        esc("<a href=\"x\">'&'</a>"),
        "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;"
    );
    let shown = untrusted(HOSTILE, 200);
    assert!(!shown.contains('<') && !shown.contains('"') && !shown.contains('\u{202e}'));
    assert!(shown.contains("&lt;script&gt;"));
    // Bounded: ten characters and the marker that says it was cut.
    let cut = untrusted(&"x".repeat(500), 10);
    assert!(cut.starts_with(&"x".repeat(10)) && !cut.contains(&"x".repeat(11)) && cut.len() < 60);
}

// The job page shows the adapter's text as text: no markup of it reaches the page.
#[tokio::test]
async fn job_page_escapes_what_adapters_wrote() {
    let (hub, _) = hub().await;
    failed_job(&hub, "J-1", "east").await;
    let (h, _) = signed_in(&hub, "olga", UserRole::Operator).await;
    let r = job::job(State(hub.clone()), h, Path("J-1".into())).await;
    assert_eq!(r.status(), StatusCode::OK);
    let page = body(r).await;
    assert!(
        page.contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;"),
        "{page}"
    );
    assert!(!page.contains("<script>"), "{page}");
    assert!(page.contains("skipped: no mapping"), "{page}");
    assert!(page.contains("class=\"result red\""), "{page}");
}

// Retry, cancel and logout refuse a form without this session's CSRF token, and change
// nothing; with it they act.
#[tokio::test]
async fn actions_need_the_sessions_csrf_token() {
    let (hub, _) = hub().await;
    failed_job(&hub, "J-1", "east").await;
    let (h, csrf) = signed_in(&hub, "olga", UserRole::Operator).await;
    let (_, other_csrf) = signed_in(&hub, "oscar", UserRole::Operator).await;
    for token in ["", "0", other_csrf.as_str()] {
        let form = Form(CsrfForm { csrf: token.into() });
        let r = actions::retry(State(hub.clone()), h.clone(), Path("J-1".into()), form).await;
        assert_eq!(r.status(), StatusCode::FORBIDDEN);
        assert!(body(r).await.contains("Nothing was done"));
        let form = Form(CsrfForm { csrf: token.into() });
        let r = actions::cancel(State(hub.clone()), h.clone(), Path("J-1".into()), form).await;
        assert_eq!(r.status(), StatusCode::FORBIDDEN);
        let form = Form(CsrfForm { csrf: token.into() });
        let r = login::logout(State(hub.clone()), h.clone(), form).await;
        assert_eq!(r.status(), StatusCode::FORBIDDEN);
    }
    assert_eq!(hub.queue.get("J-1").await.unwrap().status, Status::Failed);
    let form = Form(CsrfForm { csrf: csrf.clone() });
    let r = actions::retry(State(hub.clone()), h.clone(), Path("J-1".into()), form).await;
    assert_eq!(
        (r.status(), location(&r)),
        (StatusCode::SEE_OTHER, "/console/jobs/J-1")
    );
    assert_eq!(hub.queue.get("J-1").await.unwrap().status, Status::Pending);
    let form = Form(CsrfForm { csrf });
    let r = actions::cancel(State(hub.clone()), h, Path("J-1".into()), form).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        hub.queue.get("J-1").await.unwrap().status,
        Status::Cancelled
    );
}

// A practice user sees and acts on their practice only: another practice's job and
// page are 403 in plain words, even with a valid token; the operator sees both.
#[tokio::test]
async fn practice_users_see_only_their_practice() {
    let (hub, _) = hub().await;
    failed_job(&hub, "J-EAST", "east").await;
    failed_job(&hub, "J-WEST", "west").await;
    let east = UserRole::Practice {
        practice_id: "east".into(),
    };
    let (h, csrf) = signed_in(&hub, "pat", east).await;
    let r = job::job(State(hub.clone()), h.clone(), Path("J-EAST".into())).await;
    assert_eq!(r.status(), StatusCode::OK);
    let r = job::job(State(hub.clone()), h.clone(), Path("J-WEST".into())).await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let text = body(r).await;
    assert!(
        text.contains("another practice") && text.contains("east"),
        "{text}"
    );
    let r = practice::practice(State(hub.clone()), h.clone(), Path("west".into())).await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let r = practice::practice(State(hub.clone()), h.clone(), Path("east".into())).await;
    let text = body(r).await;
    assert!(
        text.contains("J-EAST") && !text.contains("J-WEST"),
        "{text}"
    );
    let form = Form(CsrfForm { csrf });
    let r = actions::retry(State(hub.clone()), h, Path("J-WEST".into()), form).await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert_eq!(
        hub.queue.get("J-WEST").await.unwrap().status,
        Status::Failed
    );
    let (op, _) = signed_in(&hub, "olga", UserRole::Operator).await;
    let r = job::job(State(hub.clone()), op, Path("J-WEST".into())).await;
    assert_eq!(r.status(), StatusCode::OK);
}

// No cookie, an unknown one, an expired session and a logged-out one all lead to the
// login page.
#[tokio::test]
async fn sessions_end_at_logout_and_expiry() {
    let (hub, clock) = hub().await;
    failed_job(&hub, "J-1", "east").await;
    let at_login =
        |r: &Response| r.status() == StatusCode::SEE_OTHER && location(r) == "/console/login";
    let r = job::job(State(hub.clone()), HeaderMap::new(), Path("J-1".into())).await;
    assert!(at_login(&r));
    let mut forged = HeaderMap::new();
    let cookie = format!("{}={}", session::COOKIE, "a".repeat(64));
    forged.insert(header::COOKIE, HeaderValue::from_str(&cookie).unwrap());
    assert!(at_login(
        &job::job(State(hub.clone()), forged, Path("J-1".into())).await
    ));

    let (h, _) = signed_in(&hub, "olga", UserRole::Operator).await;
    clock.advance(session::LIFETIME - Duration::from_secs(1));
    let r = job::job(State(hub.clone()), h.clone(), Path("J-1".into())).await;
    assert_eq!(r.status(), StatusCode::OK);
    clock.advance(Duration::from_secs(1));
    assert!(at_login(
        &job::job(State(hub.clone()), h, Path("J-1".into())).await
    ));

    let (h, csrf) = signed_in(&hub, "oscar", UserRole::Operator).await;
    let r = login::logout(State(hub.clone()), h.clone(), Form(CsrfForm { csrf })).await;
    assert!(at_login(&r));
    let cleared = r.headers()[header::SET_COOKIE].to_str().unwrap();
    assert!(cleared.starts_with("ehr_console=;") && cleared.contains("Max-Age=0"));
    assert!(at_login(
        &job::job(State(hub.clone()), h, Path("J-1".into())).await
    ));
}

// Logging in: the form must come back with its login cookie; a wrong password is
// refused; the right one gives an HttpOnly, Secure, SameSite=Strict session cookie.
#[tokio::test]
async fn login_checks_the_form_and_the_password() {
    let (hub, _) = hub().await;
    let pw = "correct horse battery";
    password::add_user(hub.store.as_ref(), "olga", UserRole::Operator, pw, 0)
        .await
        .unwrap();
    let r = login::show(State(hub.clone()), HeaderMap::new()).await;
    let set = r.headers()[header::SET_COOKIE]
        .to_str()
        .unwrap()
        .to_string();
    let token = set
        .strip_prefix("ehr_console_login=")
        .and_then(|s| s.split(';').next())
        .unwrap()
        .to_string();
    assert!(body(r).await.contains(&format!("value=\"{token}\"")));
    let mut h = HeaderMap::new();
    let cookie = format!("{}={token}", session::LOGIN_COOKIE);
    h.insert(header::COOKIE, HeaderValue::from_str(&cookie).unwrap());
    let post = |password: &str, login: &str| {
        Form(LoginForm {
            name: "olga".into(),
            password: password.into(),
            login: login.into(),
        })
    };
    let r = login::submit(State(hub.clone()), HeaderMap::new(), post(pw, &token)).await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN, "no login cookie");
    let r = login::submit(
        State(hub.clone()),
        h.clone(),
        post("wrong password!", &token),
    )
    .await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    assert!(body(r).await.contains("not right"));
    let r = login::submit(State(hub.clone()), h, post(pw, &token)).await;
    assert_eq!(
        (r.status(), location(&r)),
        (StatusCode::SEE_OTHER, "/console")
    );
    let cookies: Vec<&str> = r
        .headers()
        .get_all(header::SET_COOKIE)
        .iter()
        .map(|v| v.to_str().unwrap())
        .collect();
    let s = cookies
        .iter()
        .find(|c| c.starts_with("ehr_console="))
        .unwrap();
    for attr in ["HttpOnly", "Secure", "SameSite=Strict", "Path=/console"] {
        assert!(s.contains(attr), "{s}");
    }
    assert!(
        password::add_user(hub.store.as_ref(), "bob", UserRole::Operator, "short", 0)
            .await
            .unwrap_err()
            .to_string()
            .contains("too short")
    );
    let stored = hub.store.user("olga").await.unwrap().1;
    assert!(stored.starts_with("$argon2id$") && !stored.contains(pw));
}
