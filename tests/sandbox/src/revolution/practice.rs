//! The practice's people: `GET /api/v1/providers` (with whether each is active) and
//! `GET /api/v1/users` (staff users with their emails).

use std::sync::Arc;

use axum::extract::State;
use axum::Json;
use serde_json::{json, Value};

use crate::shared::Shared;

/// Every provider, ordered by id: `[{"id", "name", "active"}]`.
pub(super) async fn providers(State(shared): State<Arc<Shared>>) -> Json<Value> {
    let data = shared.revolution();
    let list: Vec<Value> = data
        .providers
        .iter()
        .map(|(id, p)| json!({"id": id, "name": p.name, "active": p.active}))
        .collect();
    Json(Value::Array(list))
}

/// Every staff user: `[{"id", "firstName", "lastName", "email", "role"}]`.
pub(super) async fn users(State(shared): State<Arc<Shared>>) -> Json<Value> {
    Json(json!(shared.revolution().staff))
}
