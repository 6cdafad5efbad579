//! The practice guide's schedule-sync cases (`crate::cases`) in Eyefinity's shapes: their
//! patients (one-line address, coverage list), schedule slots, the inactive provider and
//! the staff users.

use super::data::{Coverage, EyefinityData, Patient, Provider, Slot, StaffUser};
use crate::cases::{self, Role};
use crate::Ehr;

const EHR: Ehr = Ehr::Eyefinity;

/// Adds the cases to the seed.
pub(super) fn add(data: &mut EyefinityData) {
    let table = cases::cases();
    let inactive = &table.inactive_provider;
    data.providers.insert(
        cases::provider_id(EHR, Role::Inactive).to_string(),
        Provider {
            name: format!("Dr. {}", inactive.last),
            active: false,
        },
    );
    for u in &table.staff {
        data.staff.push(StaffUser {
            id: cases::staff_id(EHR, u.n),
            display_name: format!("{} {}", u.first, u.last),
            email: u.email.clone(),
        });
    }
    for p in &table.patients {
        let id = cases::patient_id(EHR, p.n);
        let coverage = p
            .carrier
            .iter()
            .map(|carrier| Coverage {
                priority: 1,
                carrier: carrier.clone(),
                plan: p.plan.clone(),
            })
            .collect();
        let patient = Patient {
            id: id.clone(),
            given: p.first.clone(),
            family: p.last.clone(),
            birth_date: p.dob.clone(),
            email: p.email.clone(),
            phone: Some("+1-206-555-0199".to_string()),
            address: p.address_line(),
            coverage,
        };
        data.patients.insert(id, patient);
    }
    for a in &table.appointments {
        let (date, time) = a.start.split_once('T').expect("case starts are date-times");
        data.slots.push(Slot {
            id: cases::appointment_id(EHR, a.n),
            date: date.to_string(),
            time: time[..5].to_string(),
            minutes: 30,
            reason: a.kind.clone(),
            provider_id: cases::provider_id(EHR, a.provider).to_string(),
            state: "booked".to_string(),
            visit_id: None,
            patient_id: cases::patient_id(EHR, a.patient),
        });
    }
}
