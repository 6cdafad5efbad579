//! Typed calls to Eyefinity's API (`{base_url}/ehr/v2/...`) and the JSON shapes it
//! speaks (camelCase).
//!
//! Every call goes through the host's HTTP capability, which adds the practice's
//! credentials; this module never sets `Authorization`. Every non-2xx answer becomes the
//! typed [`AdapterError`] the SDK's `error_for_status` assigns to it (a save into a locked
//! visit, 409 `visit_locked`, is `encounter-locked`).

use ehr_adapter_sdk::http::{error_for_status, Request};
use ehr_adapter_sdk::{config, AdapterError};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

/// The answer of `GET /status`.
#[derive(Debug, Clone, Deserialize)]
pub struct Status {
    /// `up` when the EHR is healthy.
    pub state: String,
    /// The EHR's build, when it reports one.
    #[serde(default)]
    pub build: Option<String>,
}

/// A patient's name block.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct NameJson {
    /// Given name.
    #[serde(default)]
    pub given: String,
    /// Family name.
    #[serde(default)]
    pub family: String,
}

/// A patient's contact block.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct ContactJson {
    /// Email, or null.
    #[serde(default)]
    pub email: Option<String>,
    /// Phone, or null.
    #[serde(default)]
    pub phone: Option<String>,
}

/// A patient as `GET /patients/{id}` (and the schedule) returns it.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PatientJson {
    /// The EHR's patient id.
    pub patient_id: String,
    /// Names.
    #[serde(default)]
    pub name: NameJson,
    /// `YYYY-MM-DD`, or null.
    #[serde(default)]
    pub birth_date: Option<String>,
    /// Contact details.
    #[serde(default)]
    pub contact: ContactJson,
    /// One-line address, or null.
    #[serde(default)]
    pub address: Option<String>,
}

/// The patient block of a visit: enough to confirm whose chart it is.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct VisitPatientJson {
    /// The patient the visit belongs to.
    pub patient_id: String,
    /// Their family name in the EHR.
    #[serde(default)]
    pub family: Option<String>,
    /// Their birth date in the EHR.
    #[serde(default)]
    pub birth_date: Option<String>,
}

/// A visit as `GET /visits/{id}` returns it.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct VisitJson {
    /// The visit id.
    pub visit_id: String,
    /// Whose visit it is.
    pub patient: VisitPatientJson,
    /// Finalized visits are locked.
    pub locked: bool,
    /// The exam form version the document follows.
    pub form_version: String,
}

/// A form as `GET /forms/{version}` returns it.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FormJson {
    /// The form version.
    pub form_version: String,
    /// Display title.
    #[serde(default)]
    pub title: String,
    /// The element ids a document on this form may carry.
    #[serde(default)]
    pub elements: Vec<String>,
}

/// One diagnosis in the document.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DiagnosisJson {
    /// ICD-10-CM code.
    pub code: String,
    /// Description, or null.
    pub text: Option<String>,
    /// `R`, `L`, `B`, or null when not eye-specific.
    pub eye: Option<&'static str>,
    /// The primary diagnosis.
    pub primary: bool,
}

/// The body of `PUT /visits/{id}/document`: the whole exam document.
#[derive(Debug, Clone, Serialize)]
pub struct DocumentJson {
    /// Element id → value.
    pub elements: serde_json::Map<String, serde_json::Value>,
    /// The diagnosis list.
    pub diagnoses: Vec<DiagnosisJson>,
    /// The document note, or null.
    pub note: Option<String>,
}

/// The answer of a document save.
#[derive(Debug, Clone, Deserialize)]
pub struct SavedJson {
    /// The document revision the save created (or, replayed, had created).
    pub revision: u32,
}

/// One schedule slot as `GET /schedule` returns it.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SlotJson {
    /// Slot id.
    pub slot_id: String,
    /// `HH:MM`.
    pub time: String,
    /// Length in minutes.
    #[serde(default)]
    pub minutes: u32,
    /// The reason for the visit (appointment type).
    #[serde(default)]
    pub reason: String,
    /// The provider.
    #[serde(default)]
    pub provider: Option<ProviderJson>,
    /// `booked`, `arrived`, `completed`, ...
    #[serde(default)]
    pub state: String,
    /// The visit, once one exists.
    #[serde(default)]
    pub visit_id: Option<String>,
    /// The patient, joined in.
    #[serde(default)]
    pub patient: Option<PatientJson>,
}

/// A slot's provider.
#[derive(Debug, Clone, Deserialize)]
pub struct ProviderJson {
    /// Provider id.
    pub id: String,
    /// Display name, or null when the EHR does not know the provider.
    #[serde(default)]
    pub name: Option<String>,
}

/// The answer of `GET /schedule`.
#[derive(Debug, Clone, Deserialize)]
pub struct ScheduleJson {
    /// The day's slots.
    #[serde(default)]
    pub slots: Vec<SlotJson>,
}

/// What a save's answer told us.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Saved {
    /// The document revision.
    pub revision: u32,
    /// The EHR answered from its idempotency store: this job had been saved before.
    pub replayed: bool,
}

/// The EHR's API at the operator's `base_url`.
#[derive(Debug, Clone)]
pub struct Api {
    base: String,
    timeout_ms: Option<u32>,
}

impl Api {
    /// The API at the `base_url` setting (one trailing slash tolerated), waiting at most
    /// the optional `request_timeout_secs` setting for any one answer.
    pub fn from_config() -> Result<Self, AdapterError> {
        Ok(Api {
            base: config::base_url("base_url", "https://practice.eyefinity.com")?,
            timeout_ms: config::timeout_ms("request_timeout_secs")?,
        })
    }

    /// The absolute URL of an API path (`/status`).
    pub fn url(&self, path: &str) -> String {
        format!("{}/ehr/v2{path}", self.base)
    }

    /// `GET /status`.
    pub fn status(&self) -> Result<Status, AdapterError> {
        self.get_json("/status")
    }

    /// `GET /patients/{id}`.
    pub fn patient(&self, id: &str) -> Result<PatientJson, AdapterError> {
        self.get_json(&format!("/patients/{}", segment(id)))
    }

    /// `GET /visits/{id}`.
    pub fn visit(&self, id: &str) -> Result<VisitJson, AdapterError> {
        self.get_json(&format!("/visits/{}", segment(id)))
    }

    /// `GET /forms/{version}`.
    pub fn form(&self, version: &str) -> Result<FormJson, AdapterError> {
        self.get_json(&format!("/forms/{}", segment(version)))
    }

    /// `GET /schedule?date=..[&providerId=..]`.
    pub fn schedule(
        &self,
        date: &str,
        provider: Option<&str>,
    ) -> Result<ScheduleJson, AdapterError> {
        let mut path = format!("/schedule?date={}", segment(date));
        if let Some(p) = provider {
            path.push_str(&format!("&providerId={}", segment(p)));
        }
        self.get_json(&path)
    }

    /// `PUT /visits/{id}/document` with `Idempotency-Key: key`: saves the whole document.
    pub fn put_document(
        &self,
        visit_id: &str,
        doc: &DocumentJson,
        key: &str,
    ) -> Result<Saved, AdapterError> {
        let url = self.url(&format!("/visits/{}/document", segment(visit_id)));
        let response = self
            .request(Request::put(url).json(doc).idempotency_key(key))
            .send()?;
        error_for_status(&response)?;
        let saved: SavedJson = response.json()?;
        Ok(Saved {
            revision: saved.revision,
            replayed: response
                .header("idempotent-replayed")
                .is_some_and(|v| v.trim().eq_ignore_ascii_case("true")),
        })
    }

    fn request(&self, r: Request) -> Request {
        let r = r.header("accept", "application/json");
        match self.timeout_ms {
            Some(ms) => r.timeout_ms(ms),
            None => r,
        }
    }

    fn get_json<T: DeserializeOwned>(&self, path: &str) -> Result<T, AdapterError> {
        let response = self.request(Request::get(self.url(path))).send()?;
        error_for_status(&response)?;
        response.json()
    }
}

/// Percent-encodes one path segment or query value (the SDK's `path_segment`).
pub use ehr_adapter_sdk::http::path_segment as segment;
