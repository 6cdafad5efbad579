//! Values of contract 0.1.0 to and from the newest contract's. Inputs (the snapshot, the
//! schedule query) go down to 0.1.0; answers come up to the newest, with what 0.1.0 does
//! not know left empty or at its default.

use super::new;
use super::old;

/// The snapshot as a 0.1.0 adapter takes it.
pub fn snapshot(s: &new::EncounterSnapshot) -> old::EncounterSnapshot {
    old::EncounterSnapshot {
        job_id: s.job_id.clone(),
        patient: old::PatientRef {
            id: s.patient.id.clone(),
            first_name: s.patient.first_name.clone(),
            last_name: s.patient.last_name.clone(),
            date_of_birth: s.patient.date_of_birth.clone(),
        },
        encounter_id: s.encounter_id.clone(),
        encounter_date: s.encounter_date.clone(),
        provider_id: s.provider_id.clone(),
        template: old::TemplateRef {
            id: s.template.id.clone(),
            fields: s.template.fields.clone(),
        },
        fields: s.fields.iter().map(field).collect(),
    }
}

fn field(f: &new::ClinicalField) -> old::ClinicalField {
    let value = match &f.value {
        new::FieldValue::Text(t) => old::FieldValue::Text(t.clone()),
        new::FieldValue::Number(n) => old::FieldValue::Number(*n),
        new::FieldValue::Diagnoses(d) => {
            old::FieldValue::Diagnoses(d.iter().map(diagnosis).collect())
        }
        new::FieldValue::Procedures(p) => old::FieldValue::Procedures(
            p.iter()
                .map(|p| old::Procedure {
                    code: p.code.clone(),
                    modifiers: p.modifiers.clone(),
                    units: p.units,
                    diagnosis_pointers: p.diagnosis_pointers.clone(),
                })
                .collect(),
        ),
    };
    old::ClinicalField {
        id: f.id.clone(),
        value,
    }
}

fn diagnosis(d: &new::Diagnosis) -> old::Diagnosis {
    old::Diagnosis {
        code: d.code.clone(),
        description: d.description.clone(),
        laterality: match d.laterality {
            new::Laterality::Right => old::Laterality::Right,
            new::Laterality::Left => old::Laterality::Left,
            new::Laterality::Both => old::Laterality::Both,
            new::Laterality::NotApplicable => old::Laterality::NotApplicable,
        },
        primary: d.primary,
    }
}

/// The schedule query as a 0.1.0 adapter takes it.
pub fn query(q: &new::ScheduleQuery) -> old::ScheduleQuery {
    old::ScheduleQuery {
        from_date: q.from_date.clone(),
        to_date: q.to_date.clone(),
        provider_id: q.provider_id.clone(),
    }
}

/// What a 0.1.0 adapter says about itself; its sync timing is the host's default.
pub fn info(i: old::AdapterInfo) -> new::AdapterInfo {
    new::AdapterInfo {
        id: i.id,
        ehr: i.ehr,
        version: i.version,
        description: i.description,
        fields: i
            .fields
            .into_iter()
            .map(|f| new::FieldMapping {
                field: f.field,
                target: f.target,
                note: f.note,
            })
            .collect(),
        http_origins: i.http_origins,
        databases: i.databases,
        settings: i.settings,
        sync_timing: crate::contract::DEFAULT_SYNC_TIMING,
    }
}

/// A 0.1.0 check report.
pub fn check(r: old::CheckReport) -> new::CheckReport {
    new::CheckReport {
        ehr_version: r.ehr_version,
        details: r.details,
    }
}

/// A 0.1.0 write result (no notices).
pub fn write_result(r: old::WriteResult) -> new::WriteResult {
    new::WriteResult {
        record_id: r.record_id,
        replayed: r.replayed,
        fields: r.fields.into_iter().map(field_result).collect(),
        notices: Vec::new(),
    }
}

fn field_result(f: old::FieldResult) -> new::FieldResult {
    let status = match f.status {
        old::FieldStatus::Written => new::FieldStatus::Written,
        old::FieldStatus::Skipped((reason, detail)) => {
            let reason = match reason {
                old::SkipReason::NoMapping => new::SkipReason::NoMapping,
                old::SkipReason::OutsideTemplate => new::SkipReason::OutsideTemplate,
                old::SkipReason::InvalidValue => new::SkipReason::InvalidValue,
                old::SkipReason::EmptyValue => new::SkipReason::EmptyValue,
            };
            new::FieldStatus::Skipped((reason, detail))
        }
    };
    let warnings = f
        .warnings
        .into_iter()
        .map(|w| new::FieldWarning {
            kind: match w.kind {
                old::WarningKind::Truncated => new::WarningKind::Truncated,
                old::WarningKind::CharactersReplaced => new::WarningKind::CharactersReplaced,
                old::WarningKind::UnitConverted => new::WarningKind::UnitConverted,
                old::WarningKind::Rounded => new::WarningKind::Rounded,
                old::WarningKind::Other => new::WarningKind::Other,
            },
            message: w.message,
        })
        .collect();
    new::FieldResult {
        field: f.field,
        status,
        target: f.target,
        warnings,
    }
}

/// A 0.1.0 adapter error.
pub fn error(e: old::AdapterError) -> new::AdapterError {
    use new::AdapterError as N;
    match e {
        old::AdapterError::SessionExpired(m) => N::SessionExpired(m),
        old::AdapterError::NotLoggedIn(m) => N::NotLoggedIn(m),
        old::AdapterError::Unreachable(m) => N::Unreachable(m),
        old::AdapterError::Timeout(m) => N::Timeout(m),
        old::AdapterError::RateLimited(r) => N::RateLimited(new::RateLimit {
            retry_after_seconds: r.retry_after_seconds,
            message: r.message,
        }),
        old::AdapterError::PermissionDenied(p) => N::PermissionDenied(new::Permission {
            missing: p.missing,
            message: p.message,
        }),
        old::AdapterError::Rejected(r) => N::Rejected(new::Rejection {
            code: r.code,
            message: r.message,
            field_errors: r
                .field_errors
                .into_iter()
                .map(|f| new::FieldError {
                    field: f.field,
                    message: f.message,
                })
                .collect(),
        }),
        old::AdapterError::WrongPatient(m) => N::WrongPatient(m),
        old::AdapterError::EncounterLocked(m) => N::EncounterLocked(m),
        old::AdapterError::TemplateMismatch(m) => N::TemplateMismatch(m),
        old::AdapterError::NotFound(m) => N::NotFound(m),
        old::AdapterError::EhrInternal(m) => N::EhrInternal(m),
        old::AdapterError::Misconfigured(m) => N::Misconfigured(m),
        old::AdapterError::AdapterBug(m) => N::AdapterBug(m),
    }
}

/// A 0.1.0 patient (no insurance).
pub fn patient(p: old::Patient) -> new::Patient {
    new::Patient {
        id: p.id,
        first_name: p.first_name,
        last_name: p.last_name,
        date_of_birth: p.date_of_birth,
        email: p.email,
        phone: p.phone,
        address: p.address,
        insurance: None,
    }
}

/// A 0.1.0 appointment.
pub fn appointment(a: old::Appointment) -> new::Appointment {
    new::Appointment {
        id: a.id,
        start: a.start,
        duration_minutes: a.duration_minutes,
        appointment_type: a.appointment_type,
        provider_id: a.provider_id,
        provider_name: a.provider_name,
        patient_id: a.patient_id,
        patient: a.patient.map(patient),
        status: a.status,
        encounter_id: a.encounter_id,
    }
}
