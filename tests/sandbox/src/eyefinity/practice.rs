//! The practice's people: `GET /ehr/v2/providers` (with whether each can be booked) and
//! `GET /ehr/v2/staff` (staff users with their emails).

use std::sync::Arc;

use axum::extract::State;
use axum::Json;
use serde_json::{json, Value};

use crate::shared::Shared;

/// `{"providers": [{"providerId", "displayName", "status": "active"|"inactive"}]}`.
pub(super) async fn providers(State(shared): State<Arc<Shared>>) -> Json<Value> {
    let data = shared.eyefinity();
    let list: Vec<Value> = data
        .providers
        .iter()
        .map(|(id, p)| {
            let status = if p.active { "active" } else { "inactive" };
            json!({"providerId": id, "displayName": p.name, "status": status})
        })
        .collect();
    Json(json!({ "providers": list }))
}

/// `{"staff": [{"userId", "displayName", "email"}]}`.
pub(super) async fn staff(State(shared): State<Arc<Shared>>) -> Json<Value> {
    let data = shared.eyefinity();
    let list: Vec<Value> = data
        .staff
        .iter()
        .map(|u| json!({"userId": u.id, "displayName": u.display_name, "email": u.email}))
        .collect();
    Json(json!({ "staff": list }))
}
