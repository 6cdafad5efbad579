//! The practice's providers (with whether each is active) and staff users (with their
//! emails), which schedule sync needs to tell an unknown or disabled provider and a
//! patient email that belongs to staff.

use crate::api::Api;
use ehr_adapter_sdk::prelude::*;
use ehr_adapter_sdk::text::present;
use serde::Deserialize;

/// A provider as `GET /providers` lists it.
#[derive(Debug, Clone, Deserialize)]
pub struct ProviderJson {
    /// The provider id (as on appointments).
    pub id: String,
    /// Display name.
    #[serde(default)]
    pub name: String,
    /// False for a provider no longer bookable. A missing flag is taken as active, as
    /// the EHR lists only bookable providers when it does not say.
    #[serde(default = "active_by_default")]
    pub active: bool,
}

fn active_by_default() -> bool {
    true
}

/// A staff user as `GET /users` lists it.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UserJson {
    /// User id.
    pub id: String,
    /// Given name.
    #[serde(default)]
    pub first_name: String,
    /// Family name.
    #[serde(default)]
    pub last_name: String,
    /// Email, or null.
    #[serde(default)]
    pub email: Option<String>,
}

/// Every provider of the practice.
pub fn read_providers() -> Result<Vec<Provider>, AdapterError> {
    let list: Vec<ProviderJson> = Api::from_config()?.0.get(&["providers"])?;
    Ok(list
        .into_iter()
        .map(|p| Provider {
            id: p.id,
            name: p.name.trim().to_string(),
            active: p.active,
        })
        .collect())
}

/// Every staff user of the practice, with their emails.
pub fn read_staff() -> Result<Vec<StaffUser>, AdapterError> {
    let list: Vec<UserJson> = Api::from_config()?.0.get(&["users"])?;
    Ok(list
        .into_iter()
        .map(|u| StaffUser {
            id: u.id,
            name: format!("{} {}", u.first_name.trim(), u.last_name.trim())
                .trim()
                .to_string(),
            email: present(u.email),
        })
        .collect())
}
