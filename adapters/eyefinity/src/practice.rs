//! The practice's providers (with whether each can be booked) and staff users (with
//! their emails), which schedule sync needs to tell an unknown or disabled provider and
//! a patient email that belongs to staff.

use crate::api::Api;
use ehr_adapter_sdk::prelude::*;
use ehr_adapter_sdk::text::present;
use serde::Deserialize;

/// `GET /providers`.
#[derive(Debug, Clone, Deserialize)]
pub struct ProvidersJson {
    /// The providers.
    #[serde(default)]
    pub providers: Vec<ProviderJson>,
}

/// One provider.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ProviderJson {
    /// The provider id (as on schedule slots).
    pub provider_id: String,
    /// Display name.
    #[serde(default)]
    pub display_name: String,
    /// `active` or `inactive`; anything but `inactive` (any case) is bookable.
    #[serde(default)]
    pub status: String,
}

/// `GET /staff`.
#[derive(Debug, Clone, Deserialize)]
pub struct StaffJson {
    /// The staff users.
    #[serde(default)]
    pub staff: Vec<UserJson>,
}

/// One staff user.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UserJson {
    /// User id.
    pub user_id: String,
    /// Display name.
    #[serde(default)]
    pub display_name: String,
    /// Email, or null.
    #[serde(default)]
    pub email: Option<String>,
}

/// Every provider of the practice.
pub fn read_providers() -> Result<Vec<Provider>, AdapterError> {
    let answer: ProvidersJson = Api::from_config()?.0.get(&["providers"])?;
    Ok(answer
        .providers
        .into_iter()
        .map(|p| Provider {
            id: p.provider_id,
            name: p.display_name.trim().to_string(),
            active: !p.status.trim().eq_ignore_ascii_case("inactive"),
        })
        .collect())
}

/// Every staff user of the practice, with their emails.
pub fn read_staff() -> Result<Vec<StaffUser>, AdapterError> {
    let answer: StaffJson = Api::from_config()?.0.get(&["staff"])?;
    Ok(answer
        .staff
        .into_iter()
        .map(|u| StaffUser {
            id: u.user_id,
            name: u.display_name.trim().to_string(),
            email: present(u.email),
        })
        .collect())
}
