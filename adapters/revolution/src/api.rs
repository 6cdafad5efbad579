//! Typed calls to RevolutionEHR's REST API (`{base_url}/api/v1/...`) and the JSON shapes
//! it speaks (camelCase), over the SDK's REST client: ids escaped into path segments,
//! the job's idempotency keys on writes, every non-2xx answer a typed error (a 409
//! `encounter_signed` is `encounter-locked`). The host adds the credentials; this module
//! never sets `Authorization`.

use ehr_adapter_sdk::rest::{Ack, Rest};
use ehr_adapter_sdk::{AdapterError, Diagnosis};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// A patient as `GET /patients/{id}` (and the schedule) returns it.
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
    pub date_of_birth: Option<String>,
    /// Email, or null.
    pub email: Option<String>,
    /// Phone, or null.
    pub phone: Option<String>,
    /// Postal address: documented as text, but some installs answer a structured object
    /// (`line1`, `line2`, `city`, `state`, `postalCode`), so it is kept as raw JSON.
    pub address: Option<Value>,
    /// The primary insurance, or null (absent from older API versions).
    #[serde(default)]
    pub insurance: Option<InsuranceJson>,
}

/// A patient's primary insurance.
#[derive(Debug, Clone, Deserialize)]
pub struct InsuranceJson {
    /// The payer (carrier).
    #[serde(default)]
    pub payer: Option<String>,
    /// The plan, or null.
    #[serde(default)]
    pub plan: Option<String>,
}

/// An encounter as `GET /encounters/{id}` returns it.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EncounterJson {
    /// The patient the encounter belongs to.
    pub patient_id: String,
    /// Date of service.
    pub date: Option<String>,
    /// The exam template; it decides which fields may be written.
    pub template_id: String,
    /// `open` or `signed`; anything but `open` is treated as locked.
    pub status: String,
}

/// An exam template as `GET /templates/{id}` returns it.
#[derive(Debug, Clone, Deserialize)]
pub struct TemplateJson {
    /// The EHR field names an encounter using this template accepts.
    #[serde(default)]
    pub fields: Vec<String>,
}

/// One appointment as `GET /appointments` returns it.
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
    pub provider_id: Option<String>,
    /// Provider display name, or null (a provider the EHR no longer knows).
    pub provider_name: Option<String>,
    /// `scheduled`, `arrived`, `cancelled`, ...
    #[serde(default)]
    pub status: String,
    /// The encounter, once one exists.
    pub encounter_id: Option<String>,
    /// The patient, joined in.
    pub patient: Option<PatientJson>,
    /// The patient id, for answers that give it beside or instead of `patient`.
    pub patient_id: Option<String>,
}

/// One entry of the body of `PUT /encounters/{id}/diagnoses` (and of its read-back).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DiagnosisJson {
    /// ICD-10-CM code.
    pub icd10: String,
    /// ASCII description, or null.
    pub description: Option<String>,
    /// `OD`, `OS`, `OU`, or null when not eye-specific.
    pub eye: Option<String>,
    /// The encounter's primary diagnosis.
    #[serde(default)]
    pub primary: bool,
}

impl DiagnosisJson {
    /// The EHR's form of a shaped diagnosis.
    pub fn from(d: &Diagnosis) -> Self {
        DiagnosisJson {
            icd10: d.code.clone(),
            description: (!d.description.is_empty()).then(|| d.description.clone()),
            eye: d.laterality.eye_code().map(str::to_string),
            primary: d.primary,
        }
    }
}

#[derive(Deserialize)]
struct SectionJson {
    #[serde(default)]
    fields: Map<String, Value>,
}

#[derive(Deserialize)]
struct DiagnosesJson {
    #[serde(default)]
    diagnoses: Vec<DiagnosisJson>,
}

#[derive(Deserialize)]
struct NoteJson {
    #[serde(default)]
    text: String,
}

/// The EHR's API at the operator's `base_url`.
#[derive(Debug, Clone)]
pub struct Api(pub Rest);

impl Api {
    /// The API at the `base_url` setting, waiting at most the optional
    /// `request_timeout_secs` setting for any one answer.
    pub fn from_config() -> Result<Self, AdapterError> {
        Rest::from_config("https://example.revolutionehr.com", "/api/v1").map(Api)
    }

    /// `GET /patients/{id}`.
    pub fn patient(&self, id: &str) -> Result<PatientJson, AdapterError> {
        self.0.get(&["patients", id])
    }

    /// `GET /encounters/{id}`.
    pub fn encounter(&self, id: &str) -> Result<EncounterJson, AdapterError> {
        self.0.get(&["encounters", id])
    }

    /// `GET /templates/{id}`.
    pub fn template(&self, id: &str) -> Result<TemplateJson, AdapterError> {
        self.0.get(&["templates", id])
    }

    /// `GET /appointments?startDate=..&endDate=..[&providerId=..]`.
    pub fn appointments(
        &self,
        from: &str,
        to: &str,
        provider: Option<&str>,
    ) -> Result<Vec<AppointmentJson>, AdapterError> {
        let mut query = vec![("startDate", from), ("endDate", to)];
        query.extend(provider.map(|p| ("providerId", p)));
        self.0.get_query(&["appointments"], &query)
    }

    /// `PUT /encounters/{id}/exam/{section}` with EHR field → value.
    pub fn put_section(
        &self,
        id: &str,
        section: &str,
        body: &Map<String, Value>,
        key: &str,
    ) -> Result<Ack, AdapterError> {
        self.0.put(&["encounters", id, "exam", section], body, key)
    }

    /// `PUT /encounters/{id}/diagnoses`: replaces the encounter's whole list.
    pub fn put_diagnoses(
        &self,
        id: &str,
        list: &[DiagnosisJson],
        key: &str,
    ) -> Result<Ack, AdapterError> {
        self.0.put(&["encounters", id, "diagnoses"], &list, key)
    }

    /// `POST /encounters/{id}/notes`: appends a note. Appending is not idempotent by
    /// itself; the key keeps a retried job from adding a second copy.
    pub fn post_note(&self, id: &str, text: &str, key: &str) -> Result<Ack, AdapterError> {
        let body = serde_json::json!({ "text": text });
        self.0.post(&["encounters", id, "notes"], &body, key)
    }

    /// `GET /encounters/{id}/exam/{section}`: what the section holds.
    pub fn section(&self, id: &str, section: &str) -> Result<Map<String, Value>, AdapterError> {
        let s: SectionJson = self.0.get(&["encounters", id, "exam", section])?;
        Ok(s.fields)
    }

    /// `GET /encounters/{id}/diagnoses`: the encounter's diagnosis list.
    pub fn diagnoses(&self, id: &str) -> Result<Vec<DiagnosisJson>, AdapterError> {
        let d: DiagnosesJson = self.0.get(&["encounters", id, "diagnoses"])?;
        Ok(d.diagnoses)
    }

    /// `GET /encounters/{id}/notes`: the texts of the encounter's notes.
    pub fn notes(&self, id: &str) -> Result<Vec<String>, AdapterError> {
        let notes: Vec<NoteJson> = self.0.get(&["encounters", id, "notes"])?;
        Ok(notes.into_iter().map(|n| n.text).collect())
    }
}
