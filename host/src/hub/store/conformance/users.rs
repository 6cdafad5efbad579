//! The console users' and sessions' cases of the hub store suite.

use super::super::{ConsoleSession, HubStore, StoreError, UserRecord, UserRole};
use super::{practice, T0};

fn user(name: &str, role: UserRole) -> UserRecord {
    UserRecord {
        name: name.into(),
        role,
        created_ms: T0,
    }
}

/// Users: one per name, a practice user's practice must exist, the hash comes back as
/// stored, both roles read back typed.
pub(super) async fn users<S: HubStore>(s: &S) {
    s.create_practice(&practice("east")).await.unwrap();
    let east = UserRole::Practice {
        practice_id: "east".into(),
    };
    s.create_user(&user("olga", UserRole::Operator), "$argon2id$a")
        .await
        .unwrap();
    s.create_user(&user("pat", east.clone()), "$argon2id$b")
        .await
        .unwrap();
    assert_eq!(
        s.create_user(&user("pat", UserRole::Operator), "$argon2id$c")
            .await,
        Err(StoreError::Duplicate {
            what: "console user",
            id: "pat".into()
        })
    );
    let nowhere = UserRole::Practice {
        practice_id: "nowhere".into(),
    };
    assert_eq!(
        s.create_user(&user("quinn", nowhere), "$argon2id$d").await,
        Err(StoreError::NotFound {
            what: "practice",
            id: "nowhere".into()
        })
    );
    let (pat, hash) = s.user("pat").await.unwrap();
    assert_eq!((pat, hash.as_str()), (user("pat", east), "$argon2id$b"));
    assert_eq!(s.user("olga").await.unwrap().0.role, UserRole::Operator);
    assert!(matches!(
        s.user("nobody").await,
        Err(StoreError::NotFound { .. })
    ));
    let names: Vec<String> = s
        .users()
        .await
        .unwrap()
        .into_iter()
        .map(|u| u.name)
        .collect();
    assert_eq!(names, ["olga", "pat"]);
}

/// Console sessions: found by hash until they expire or are ended; expired ones are
/// dropped when a new one is made.
pub(super) async fn console_sessions<S: HubStore>(s: &S) {
    let session = |user: &str, expires_ms| ConsoleSession {
        user: user.into(),
        csrf: format!("csrf-{user}"),
        expires_ms,
    };
    s.create_console_session("h1", &session("olga", T0 + 1000), T0)
        .await
        .unwrap();
    s.create_console_session("h2", &session("pat", T0 + 5000), T0)
        .await
        .unwrap();
    assert_eq!(
        s.console_session("h1", T0 + 999).await.unwrap(),
        Some(session("olga", T0 + 1000))
    );
    assert_eq!(s.console_session("h1", T0 + 1000).await.unwrap(), None);
    assert_eq!(s.console_session("nope", T0).await.unwrap(), None);
    // Making a session after h1 expired removes h1 for good.
    s.create_console_session("h3", &session("olga", T0 + 9000), T0 + 2000)
        .await
        .unwrap();
    assert_eq!(s.console_session("h1", T0).await.unwrap(), None);
    s.end_console_session("h2").await.unwrap();
    s.end_console_session("h2").await.unwrap();
    assert_eq!(s.console_session("h2", T0 + 2000).await.unwrap(), None);
    assert!(s.console_session("h3", T0 + 2000).await.unwrap().is_some());
}
