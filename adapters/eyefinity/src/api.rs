//! Typed calls to Eyefinity's API (`{base_url}/ehr/v2/...`) and the JSON shapes it
//! speaks (camelCase), over the SDK's REST client: ids escaped into path segments, the
//! job's idempotency key on the save, every non-2xx answer a typed error (a save into a
//! locked visit, 409 `visit_locked`, is `encounter-locked`). The host adds the
//! credentials; this module never sets `Authorization`.

use ehr_adapter_sdk::rest::Rest;
use ehr_adapter_sdk::{AdapterError, Diagnosis, Laterality};
use serde::{Deserialize, Serialize};

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
    /// Insurance coverage, primary (priority 1) first; absent or empty when none.
    #[serde(default)]
    pub coverage: Vec<CoverageJson>,
}

/// One insurance coverage of a patient.
#[derive(Debug, Clone, Deserialize)]
pub struct CoverageJson {
    /// 1 for the primary coverage.
    #[serde(default)]
    pub priority: u32,
    /// The carrier.
    #[serde(default)]
    pub carrier: Option<String>,
    /// The plan, or null.
    #[serde(default)]
    pub plan: Option<String>,
}

/// The patient block of a visit: enough to confirm whose chart it is.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct VisitPatientJson {
    /// The patient the visit belongs to.
    pub patient_id: String,
    /// Their given name(s) in the EHR.
    #[serde(default)]
    pub given: Option<String>,
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
    /// Date of service.
    #[serde(default)]
    pub date: Option<String>,
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
    /// The element ids a document on this form may carry.
    #[serde(default)]
    pub elements: Vec<String>,
}

/// One diagnosis in the document.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DiagnosisJson {
    /// ICD-10-CM code.
    pub code: String,
    /// Description, or null.
    pub text: Option<String>,
    /// `R`, `L`, `B`, or null when not eye-specific.
    pub eye: Option<String>,
    /// The primary diagnosis.
    #[serde(default)]
    pub primary: bool,
}

impl DiagnosisJson {
    /// The document's form of a shaped diagnosis.
    pub fn from(d: &Diagnosis) -> Self {
        let eye = match d.laterality {
            Laterality::Right => Some("R"),
            Laterality::Left => Some("L"),
            Laterality::Both => Some("B"),
            Laterality::NotApplicable => None,
        };
        DiagnosisJson {
            code: d.code.clone(),
            text: (!d.description.is_empty()).then(|| d.description.clone()),
            eye: eye.map(str::to_string),
            primary: d.primary,
        }
    }
}

/// The body of `PUT /visits/{id}/document` (and of its read-back): the whole document.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DocumentJson {
    /// Element id → value.
    pub elements: serde_json::Map<String, serde_json::Value>,
    /// The diagnosis list.
    #[serde(default)]
    pub diagnoses: Vec<DiagnosisJson>,
    /// The document note, or null.
    #[serde(default)]
    pub note: Option<String>,
}

/// The answer of `GET /visits/{id}/document`: the document and its revision.
#[derive(Debug, Clone, Deserialize)]
pub struct StoredJson {
    /// The revision (0 before the first save).
    pub revision: u32,
    /// The stored document.
    #[serde(flatten)]
    pub document: DocumentJson,
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
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub struct Saved {
    /// The document revision the save created (or, replayed, had created).
    pub revision: u32,
    /// The EHR answered from its idempotency store: this job had been saved before.
    #[serde(skip)]
    pub replayed: bool,
}

/// The EHR's API at the operator's `base_url`.
#[derive(Debug, Clone)]
pub struct Api(pub Rest);

impl Api {
    /// The API at the `base_url` setting, waiting at most the optional
    /// `request_timeout_secs` setting for any one answer.
    pub fn from_config() -> Result<Self, AdapterError> {
        Rest::from_config("https://practice.eyefinity.com", "/ehr/v2").map(Api)
    }

    /// `GET /patients/{id}`.
    pub fn patient(&self, id: &str) -> Result<PatientJson, AdapterError> {
        self.0.get(&["patients", id])
    }

    /// `GET /visits/{id}`.
    pub fn visit(&self, id: &str) -> Result<VisitJson, AdapterError> {
        self.0.get(&["visits", id])
    }

    /// `GET /forms/{version}`.
    pub fn form(&self, version: &str) -> Result<FormJson, AdapterError> {
        self.0.get(&["forms", version])
    }

    /// `GET /schedule?date=..[&providerId=..]`.
    pub fn schedule(
        &self,
        date: &str,
        provider: Option<&str>,
    ) -> Result<ScheduleJson, AdapterError> {
        let mut query = vec![("date", date)];
        query.extend(provider.map(|p| ("providerId", p)));
        self.0.get_query(&["schedule"], &query)
    }

    /// `PUT /visits/{id}/document` with `Idempotency-Key: key`: saves the whole document.
    pub fn put_document(
        &self,
        visit: &str,
        doc: &DocumentJson,
        key: &str,
    ) -> Result<Saved, AdapterError> {
        let ack = self.0.put(&["visits", visit, "document"], doc, key)?;
        let saved: Saved = ack.response.json()?;
        Ok(Saved {
            replayed: ack.replayed,
            ..saved
        })
    }

    /// `GET /visits/{id}/document`: what the visit's document holds now.
    pub fn document(&self, visit: &str) -> Result<StoredJson, AdapterError> {
        self.0.get(&["visits", visit, "document"])
    }
}
