//! The practice guide's schedule-sync cases (`crate::cases`) in RevolutionEHR's shapes:
//! their patients (structured address, insurance), appointments, the inactive provider
//! and the staff users.

use super::data::{Address, Appointment, Insurance, Patient, Provider, RevolutionData, StaffUser};
use crate::cases::{self, Role};
use crate::Ehr;

const EHR: Ehr = Ehr::Revolution;

/// Adds the cases to the seed.
pub(super) fn add(data: &mut RevolutionData) {
    let table = cases::cases();
    let inactive = &table.inactive_provider;
    data.providers.insert(
        cases::provider_id(EHR, Role::Inactive).to_string(),
        Provider {
            name: format!("Dr. {} {}", inactive.first, inactive.last),
            active: false,
        },
    );
    for u in &table.staff {
        data.staff.push(StaffUser {
            id: cases::staff_id(EHR, u.n),
            first_name: u.first.clone(),
            last_name: u.last.clone(),
            email: u.email.clone(),
            role: "front desk".to_string(),
        });
    }
    for p in &table.patients {
        let id = cases::patient_id(EHR, p.n);
        let address = p.street.as_ref().map(|street| Address {
            line1: street.clone(),
            line2: None,
            city: p.city.clone().unwrap_or_default(),
            state: p.state.clone().unwrap_or_default(),
            postal_code: p.zip.clone().unwrap_or_default(),
        });
        let insurance = p.carrier.as_ref().map(|payer| Insurance {
            payer: payer.clone(),
            plan: p.plan.clone(),
        });
        let patient = Patient {
            id: id.clone(),
            first_name: p.first.clone(),
            last_name: p.last.clone(),
            date_of_birth: p.dob.clone(),
            email: p.email.clone(),
            phone: Some("+1-512-555-0199".to_string()),
            address,
            insurance,
        };
        data.patients.insert(id, patient);
    }
    for a in &table.appointments {
        data.appointments.push(Appointment {
            id: cases::appointment_id(EHR, a.n),
            start: a.start.clone(),
            duration_minutes: 30,
            kind: a.kind.clone(),
            provider_id: cases::provider_id(EHR, a.provider).to_string(),
            status: "scheduled".to_string(),
            encounter_id: None,
            patient_id: cases::patient_id(EHR, a.patient),
        });
    }
}
