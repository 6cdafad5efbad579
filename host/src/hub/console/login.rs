//! Logging in and out. The login form is tied to the browser that loaded it by a
//! one-off cookie it must send back (there is no session yet for a CSRF token); names
//! and passwords are checked against the argon2 hash, guesses are rate limited per
//! name, and an unknown name costs the same hash as a known one.

use super::guard;
use super::html::{esc, message, page, respond};
use super::password;
use super::session::{self, clear_cookie, cookie, set_cookie, LOGIN_COOKIE};
use crate::hub::secrets;
use crate::hub::state::Hub;
use crate::hub::store::{HubStore, StoreError, UserRole};
use crate::jobs::Queue;
use axum::extract::{Form, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

/// How long a login form may be used after it was loaded.
const FORM_LIFETIME: Duration = Duration::from_secs(30 * 60);

/// The login form as posted.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct LoginForm {
    /// User name.
    pub name: String,
    /// Password.
    pub password: String,
    /// The form's token (matches the login cookie).
    pub login: String,
}

/// Any POST form of a signed-in page: its CSRF token.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct CsrfForm {
    /// The session's CSRF token.
    pub csrf: String,
}

fn form(token: &str, problem: Option<&str>) -> String {
    let problem = problem
        .map(|p| format!("<p class=\"message\" id=\"login-problem\">{}</p>", esc(p)))
        .unwrap_or_default();
    format!(
        "<h1>Log in</h1>{problem}<form method=\"post\" action=\"/console/login\" class=\"card\">\
         <input type=\"hidden\" name=\"login\" value=\"{}\">\
         <label for=\"name\">User name</label><input type=\"text\" id=\"name\" name=\"name\" autocomplete=\"username\" required>\
         <label for=\"password\">Password</label><input type=\"password\" id=\"password\" name=\"password\" autocomplete=\"current-password\" required>\
         <p><button type=\"submit\" class=\"primary\">Log in</button></p></form>",
        esc(token)
    )
}

fn login_page(status: StatusCode, problem: Option<&str>) -> Response {
    let token = match secrets::new_token() {
        Ok(t) => t,
        Err(e) => return guard::unavailable(None, &e),
    };
    let mut r = respond(status, page("Log in", None, &form(&token, problem)));
    if let Ok(v) = set_cookie(LOGIN_COOKIE, &token, FORM_LIFETIME).parse() {
        r.headers_mut().append(header::SET_COOKIE, v);
    }
    r
}

/// `GET /console/login`.
pub async fn show<Q: Queue, S: HubStore>(
    State(hub): State<Arc<Hub<Q, S>>>,
    headers: HeaderMap,
) -> Response {
    match session::viewer(&hub, &headers).await {
        Ok(Some(_)) => guard::see_other("/console"),
        Ok(None) => login_page(StatusCode::OK, None),
        Err(e) => guard::unavailable(None, &e),
    }
}

/// A hash to check unknown names against, so they take as long as known ones.
fn decoy() -> &'static str {
    static DECOY: OnceLock<String> = OnceLock::new();
    DECOY.get_or_init(|| password::hash("not a password of anyone").unwrap_or_default())
}

/// `POST /console/login`.
pub async fn submit<Q: Queue, S: HubStore>(
    State(hub): State<Arc<Hub<Q, S>>>,
    headers: HeaderMap,
    Form(f): Form<LoginForm>,
) -> Response {
    let tied =
        cookie(&headers, LOGIN_COOKIE).is_some_and(|c| !c.is_empty() && secrets::same(c, &f.login));
    if !tied {
        return message(
            StatusCode::FORBIDDEN,
            None,
            "This login form was not accepted",
            "The form did not come from this browser's console page, or it is too old. Open the login page again and log in.",
        );
    }
    let name = f.name.trim().to_lowercase();
    if let Err(wait) = hub
        .pairing_limiter
        .take(&format!("console-login:{name}"), None)
    {
        let secs = crate::hub::ratelimit::retry_after_seconds(wait);
        return login_page(
            StatusCode::TOO_MANY_REQUESTS,
            Some(&format!(
                "Too many attempts for this name: wait {secs} seconds and try again."
            )),
        );
    }
    let stored = match hub.store.user(&name).await {
        Ok((user, hash)) => Some((user, hash)),
        Err(StoreError::NotFound { .. }) => None,
        Err(e) => return guard::unavailable(None, &e),
    };
    let hash = stored
        .as_ref()
        .map(|(_, h)| h.clone())
        .unwrap_or_else(|| decoy().to_string());
    let password = f.password;
    let ok = tokio::task::spawn_blocking(move || password::verify(&password, &hash))
        .await
        .unwrap_or(false);
    let Some((user, _)) = stored.filter(|_| ok) else {
        tracing::warn!(user = %crate::untrusted::clean(&name, 64), "console: a login was refused");
        return login_page(
            StatusCode::UNAUTHORIZED,
            Some("The user name or the password is not right. Check both and try again."),
        );
    };
    let (token, _) = match session::start(&hub, &user.name).await {
        Ok(s) => s,
        Err(e) => return guard::unavailable(None, &e),
    };
    tracing::info!(user = %user.name, "console: logged in");
    let to = match &user.role {
        UserRole::Operator => "/console".to_string(),
        UserRole::Practice { practice_id } => {
            format!("/console/practices/{}", super::html::seg(practice_id))
        }
    };
    let mut r = guard::see_other(&to);
    for c in [
        set_cookie(session::COOKIE, &token, session::LIFETIME),
        clear_cookie(LOGIN_COOKIE),
    ] {
        if let Ok(v) = c.parse() {
            r.headers_mut().append(header::SET_COOKIE, v);
        }
    }
    r
}

/// `POST /console/logout`: ends the session (CSRF-checked, so no other site can log a
/// user out).
pub async fn logout<Q: Queue, S: HubStore>(
    State(hub): State<Arc<Hub<Q, S>>>,
    headers: HeaderMap,
    Form(f): Form<CsrfForm>,
) -> Response {
    let viewer = match guard::signed_in(&hub, &headers).await {
        Ok(v) => v,
        Err(r) => return r,
    };
    if let Some(r) = guard::csrf(&viewer, &f.csrf) {
        return r;
    }
    if let Err(e) = hub.store.end_console_session(&viewer.token_hash).await {
        return guard::unavailable(Some(&viewer), &e);
    }
    tracing::info!(user = %viewer.user.name, "console: logged out");
    let mut r = (
        StatusCode::SEE_OTHER,
        [(header::LOCATION, "/console/login")],
    )
        .into_response();
    if let Ok(v) = clear_cookie(session::COOKIE).parse() {
        r.headers_mut().append(header::SET_COOKIE, v);
    }
    r
}
