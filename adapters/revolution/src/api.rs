//! Typed calls to RevolutionEHR's REST API (`{base_url}/api/v1/...`) and the JSON shapes
//! it speaks (camelCase).
//!
//! Every call goes through the host's HTTP capability, which adds the practice's
//! credentials; this module never sets `Authorization`. Every non-2xx answer becomes the
//! typed [`AdapterError`] the SDK's `error_for_status` assigns to it, so the host can tell
//! a retryable failure from one that needs a person.

use ehr_adapter_sdk::http::{error_for_status, Request, Response};
use ehr_adapter_sdk::{config, AdapterError};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

/// The answer of `GET /api/v1/ping`.
#[derive(Debug, Clone, Deserialize)]
pub struct Ping {
    /// `ok` when the EHR is healthy.
    pub status: String,
    /// The EHR's version or build, when it reports one.
    #[serde(default)]
    pub version: Option<String>,
}

/// A patient as `GET /api/v1/patients/{id}` (and the schedule) returns it.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PatientJson {
    /// The EHR's patient id.
    pub id: String,
    /// Given name.
    #[serde(default)]
    pub first_name: String,
    /// Family name.
    #[serde(default)]
    pub last_name: String,
    /// `YYYY-MM-DD`, or null when not recorded.
    #[serde(default)]
    pub date_of_birth: Option<String>,
    /// Email, or null.
    #[serde(default)]
    pub email: Option<String>,
    /// Phone, or null.
    #[serde(default)]
    pub phone: Option<String>,
    /// Postal address: documented as text, but some installs answer a structured object
    /// (`line1`, `line2`, `city`, `state`, `postalCode`), so it is kept as raw JSON and
    /// flattened by the schedule module.
    #[serde(default)]
    pub address: Option<serde_json::Value>,
}

/// An encounter as `GET /api/v1/encounters/{id}` returns it.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EncounterJson {
    /// The encounter id.
    pub id: String,
    /// The patient the encounter belongs to: the wrong-patient guard compares it.
    pub patient_id: String,
    /// Date of service.
    #[serde(default)]
    pub date: Option<String>,
    /// Rendering provider.
    #[serde(default)]
    pub provider_id: Option<String>,
    /// The exam template the encounter uses; it decides which fields may be written.
    pub template_id: String,
    /// `open` or `signed`.
    pub status: String,
}

impl EncounterJson {
    /// True only for `open`. Anything else (`signed`, or a status this adapter does not
    /// know) is treated as locked: writing into an encounter of unknown state is refused.
    pub fn is_open(&self) -> bool {
        self.status.eq_ignore_ascii_case("open")
    }
}

/// An exam template as `GET /api/v1/templates/{id}` returns it.
#[derive(Debug, Clone, Deserialize)]
pub struct TemplateJson {
    /// The template id.
    pub id: String,
    /// Its display name.
    #[serde(default)]
    pub name: String,
    /// The EHR field names an encounter using this template accepts.
    #[serde(default)]
    pub fields: Vec<String>,
}

/// One appointment as `GET /api/v1/appointments` returns it.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AppointmentJson {
    /// Appointment id.
    pub id: String,
    /// Start, `YYYY-MM-DDTHH:MM:SS` local time.
    pub start: String,
    /// Length in minutes.
    #[serde(default)]
    pub duration_minutes: u32,
    /// Appointment type name.
    #[serde(rename = "type", default)]
    pub kind: String,
    /// Provider id, or null.
    #[serde(default)]
    pub provider_id: Option<String>,
    /// Provider display name, or null (e.g. a provider the EHR no longer knows).
    #[serde(default)]
    pub provider_name: Option<String>,
    /// `scheduled`, `arrived`, `cancelled`, ...
    #[serde(default)]
    pub status: String,
    /// The encounter, once one exists.
    #[serde(default)]
    pub encounter_id: Option<String>,
    /// The patient, joined in.
    #[serde(default)]
    pub patient: Option<PatientJson>,
    /// The patient id, for answers that give it beside or instead of `patient`.
    #[serde(default)]
    pub patient_id: Option<String>,
}

/// One entry of the body of `PUT /api/v1/encounters/{id}/diagnoses`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DiagnosisJson {
    /// ICD-10-CM code.
    pub icd10: String,
    /// ASCII description, or null.
    pub description: Option<String>,
    /// `OD`, `OS`, `OU`, or null when not eye-specific.
    pub eye: Option<&'static str>,
    /// The encounter's primary diagnosis.
    pub primary: bool,
}

/// The body of `POST /api/v1/encounters/{id}/notes`.
#[derive(Debug, Clone, Serialize)]
pub struct NoteJson {
    /// ASCII text, at most 2000 characters.
    pub text: String,
}

/// What a write's answer told us beyond success.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WriteAck {
    /// The EHR answered from its idempotency store (`Idempotent-Replayed: true`): this
    /// key had been applied before and nothing changed now.
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
            base: config::base_url("base_url", "https://example.revolutionehr.com")?,
            timeout_ms: config::timeout_ms("request_timeout_secs")?,
        })
    }

    /// The absolute URL of an API path (`/ping`).
    pub fn url(&self, path: &str) -> String {
        format!("{}/api/v1{path}", self.base)
    }

    /// `GET /ping`.
    pub fn ping(&self) -> Result<Ping, AdapterError> {
        self.get_json("/ping")
    }

    /// `GET /patients/{id}`.
    pub fn patient(&self, id: &str) -> Result<PatientJson, AdapterError> {
        self.get_json(&format!("/patients/{}", segment(id)))
    }

    /// `GET /encounters/{id}`.
    pub fn encounter(&self, id: &str) -> Result<EncounterJson, AdapterError> {
        self.get_json(&format!("/encounters/{}", segment(id)))
    }

    /// `GET /templates/{id}`.
    pub fn template(&self, id: &str) -> Result<TemplateJson, AdapterError> {
        self.get_json(&format!("/templates/{}", segment(id)))
    }

    /// `GET /appointments?startDate=..&endDate=..[&providerId=..]`.
    pub fn appointments(
        &self,
        start_date: &str,
        end_date: &str,
        provider_id: Option<&str>,
    ) -> Result<Vec<AppointmentJson>, AdapterError> {
        let mut path = format!(
            "/appointments?startDate={}&endDate={}",
            segment(start_date),
            segment(end_date)
        );
        if let Some(p) = provider_id {
            path.push_str(&format!("&providerId={}", segment(p)));
        }
        self.get_json(&path)
    }

    /// `PUT /encounters/{id}/exam/{section}` with a JSON object of EHR field → value.
    pub fn put_section(
        &self,
        encounter_id: &str,
        section: &str,
        body: &serde_json::Map<String, serde_json::Value>,
        idempotency_key: &str,
    ) -> Result<WriteAck, AdapterError> {
        let url = self.url(&format!(
            "/encounters/{}/exam/{}",
            segment(encounter_id),
            segment(section)
        ));
        self.send_write(
            Request::put(url)
                .json(body)
                .idempotency_key(idempotency_key),
        )
    }

    /// `PUT /encounters/{id}/diagnoses`: replaces the encounter's whole diagnosis list.
    pub fn put_diagnoses(
        &self,
        encounter_id: &str,
        diagnoses: &[DiagnosisJson],
        idempotency_key: &str,
    ) -> Result<WriteAck, AdapterError> {
        let url = self.url(&format!("/encounters/{}/diagnoses", segment(encounter_id)));
        self.send_write(
            Request::put(url)
                .json(&diagnoses)
                .idempotency_key(idempotency_key),
        )
    }

    /// `POST /encounters/{id}/notes`: appends a note. Appending is not idempotent by
    /// itself, so the key is what keeps a retried job from adding a second copy.
    pub fn post_note(
        &self,
        encounter_id: &str,
        note: &NoteJson,
        idempotency_key: &str,
    ) -> Result<WriteAck, AdapterError> {
        let url = self.url(&format!("/encounters/{}/notes", segment(encounter_id)));
        self.send_write(
            Request::post(url)
                .json(note)
                .idempotency_key(idempotency_key),
        )
    }

    /// Adds `accept` and the configured per-request timeout.
    fn prepare(&self, request: Request) -> Request {
        let request = request.header("accept", "application/json");
        match self.timeout_ms {
            Some(ms) => request.timeout_ms(ms),
            None => request,
        }
    }

    fn get_json<T: DeserializeOwned>(&self, path: &str) -> Result<T, AdapterError> {
        let response = self.prepare(Request::get(self.url(path))).send()?;
        error_for_status(&response)?;
        response.json()
    }

    /// Sends a write and reads whether the EHR replayed it.
    fn send_write(&self, request: Request) -> Result<WriteAck, AdapterError> {
        let response = self.prepare(request).send()?;
        error_for_status(&response)?;
        Ok(WriteAck {
            replayed: was_replayed(&response),
        })
    }
}

/// True when the answer carries `Idempotent-Replayed: true`.
pub fn was_replayed(response: &Response) -> bool {
    response
        .header("idempotent-replayed")
        .is_some_and(|v| v.trim().eq_ignore_ascii_case("true"))
}

/// Percent-encodes one path segment or query value (the SDK's `path_segment`).
pub use ehr_adapter_sdk::http::path_segment as segment;
