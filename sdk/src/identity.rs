//! The identity guard: does this EHR encounter belong to the snapshot's patient, and may
//! it still be written? Every adapter calls [`check`] before its first write, with what
//! the EHR says about the encounter ([`EhrEncounter`]).
//!
//! Compared, in this order (the first difference refuses the write):
//!
//! 1. the patient id the encounter belongs to, exactly;
//! 2. the last name, reduced by [`names::name_key`] (case, accents in NFC or NFD form,
//!    whitespace, hyphens and apostrophes folded: `Núñez` = `NUNEZ`);
//! 3. the first name, by [`names::first_names_match`] (first given name; equal, a prefix
//!    of at least three letters, or a nickname in [`names::NICKNAMES`]) — when the EHR
//!    gives one: an EHR whose encounter read has no first name is compared on the rest;
//! 4. the date of birth (`YYYY-MM-DD`; a date-time's date part);
//! 5. then the encounter's state: signed or locked refuses with `encounter-locked`.
//!
//! A last name or date of birth the EHR does not have refuses too (fail closed: the chart
//! cannot be confirmed). Every refusal is `wrong-patient` (or `encounter-locked`) and
//! names ids only — patient id, encounter id — never a name or a birth date: error text
//! ends up in logs, queues and dashboards.
//!
//! What passes comes with typed [`EncounterNotice`]s: the snapshot's encounter date is
//! not the EHR's, or lies far in the future; the snapshot names another template than
//! the encounter's. Contract 0.1.0 has no place for encounter-level warnings in the
//! report: [`log_notices`] logs them at `warn` (ids only) and keeps them for the report's
//! `notices`, which [`crate::mapping::Plan::into_write_result`] fills.

pub mod names;

use crate::{log, AdapterError, EncounterSnapshot};

/// What the EHR says about the patient an encounter belongs to.
#[derive(Debug, Clone, Copy, Default)]
pub struct EhrPatient<'a> {
    /// The patient id the encounter belongs to.
    pub id: &'a str,
    /// Given name(s), when the EHR's read gives them.
    pub first_name: Option<&'a str>,
    /// Family name.
    pub last_name: Option<&'a str>,
    /// Date of birth (`YYYY-MM-DD`, or a date-time).
    pub date_of_birth: Option<&'a str>,
}

/// What the EHR says about the encounter a snapshot is written into.
#[derive(Debug, Clone, Copy, Default)]
pub struct EhrEncounter<'a> {
    /// The encounter id, for messages.
    pub id: &'a str,
    /// Whose encounter it is.
    pub patient: EhrPatient<'a>,
    /// Signed, finalized or otherwise closed to changes.
    pub locked: bool,
    /// Its date of service, when the EHR gives one.
    pub date: Option<&'a str>,
    /// The template (form) it uses, when the EHR gives one.
    pub template_id: Option<&'a str>,
}

/// Something about the encounter worth a person's look that does not stop the write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EncounterNotice {
    /// The snapshot's encounter date is not the EHR's date for the encounter.
    DateDiffers {
        /// The snapshot's date.
        snapshot: String,
        /// The EHR's date.
        ehr: String,
    },
    /// The snapshot's encounter date lies more than [`FUTURE_DAYS`] days after today.
    DateInFuture {
        /// The snapshot's date.
        snapshot: String,
    },
    /// The snapshot names another template than the one the encounter uses.
    TemplateDiffers {
        /// The snapshot's template id.
        snapshot: String,
        /// The encounter's template id in the EHR.
        ehr: String,
    },
}

/// How many days after today an encounter date may lie before it is noticed (time zones
/// and an appointment tomorrow are fine; 2099 is not).
pub const FUTURE_DAYS: i64 = 2;

impl EncounterNotice {
    /// The notice in plain words with ids only (no dates: they are patient data), for
    /// encounter `encounter_id`.
    pub fn message(&self, encounter_id: &str) -> String {
        match self {
            EncounterNotice::DateDiffers { .. } => format!(
                "the snapshot's encounter date differs from the date of encounter \
                 {encounter_id} in the EHR; check that the right encounter was chosen"
            ),
            EncounterNotice::DateInFuture { .. } => format!(
                "the snapshot's date for encounter {encounter_id} lies more than \
                 {FUTURE_DAYS} days in the future; check the date of service"
            ),
            EncounterNotice::TemplateDiffers { snapshot, ehr } => format!(
                "the snapshot names template {snapshot} but encounter {encounter_id} uses \
                 template {ehr} in the EHR"
            ),
        }
    }
}

/// The guard (see the module rules): `Ok` with the notices when `ehr` is the snapshot's
/// patient's open encounter, otherwise the refusal.
pub fn check(
    snapshot: &EncounterSnapshot,
    ehr: &EhrEncounter,
) -> Result<Vec<EncounterNotice>, AdapterError> {
    let want = &snapshot.patient;
    let got = &ehr.patient;
    let encounter = ehr.id;
    if got.id.trim() != want.id.trim() {
        return Err(AdapterError::WrongPatient(format!(
            "encounter {encounter} belongs to patient {}, not to patient {}; nothing was written",
            got.id, want.id
        )));
    }
    let refuse = |what: &str| {
        AdapterError::WrongPatient(format!(
            "patient {}'s {what} in the EHR does not match the snapshot's; check the patient \
             id; nothing was written",
            want.id
        ))
    };
    let unconfirmed = |what: &str| {
        AdapterError::WrongPatient(format!(
            "patient {} has no {what} in the EHR, so the chart cannot be confirmed as the \
             snapshot's patient; record it in the EHR and retry; nothing was written",
            want.id
        ))
    };
    match got.last_name.map(names::name_key).filter(|k| !k.is_empty()) {
        None => return Err(unconfirmed("last name")),
        Some(key) if key != names::name_key(&want.last_name) => return Err(refuse("last name")),
        Some(_) => {}
    }
    if let Some(first) = got.first_name.filter(|f| !f.trim().is_empty()) {
        if !names::first_names_match(first, &want.first_name) {
            return Err(refuse("first name"));
        }
    }
    match got.date_of_birth.map(date_part).filter(|d| !d.is_empty()) {
        None => return Err(unconfirmed("date of birth")),
        Some(dob) if dob != date_part(&want.date_of_birth) => return Err(refuse("date of birth")),
        Some(_) => {}
    }
    if ehr.locked {
        return Err(AdapterError::EncounterLocked(format!(
            "encounter {encounter} is signed or locked in the EHR and cannot be changed; \
             nothing was written"
        )));
    }
    Ok(notices(snapshot, ehr, today_days()))
}

thread_local! {
    /// This call's notices, until the report takes them ([`take_notices`]). A call runs in
    /// a fresh instance on one thread, so nothing carries over to another job.
    static NOTICES: std::cell::RefCell<Vec<crate::Notice>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// Records each notice for the write report (contract 0.2.0's `notices`) and logs it at
/// `warn`, with the job and encounter ids and nothing else.
pub fn log_notices(job_id: &str, encounter_id: &str, notices: &[EncounterNotice]) {
    for n in notices {
        let message = n.message(encounter_id);
        log::warn(&format!("job {job_id}: {message}"));
        let kind = match n {
            EncounterNotice::DateDiffers { .. } | EncounterNotice::DateInFuture { .. } => {
                crate::NoticeKind::EncounterDateDiffers
            }
            EncounterNotice::TemplateDiffers { .. } => crate::NoticeKind::TemplateDiffers,
        };
        NOTICES.with(|all| all.borrow_mut().push(crate::Notice { kind, message }));
    }
}

/// The notices recorded in this call so far, leaving none behind.
pub fn take_notices() -> Vec<crate::Notice> {
    NOTICES.with(|all| std::mem::take(&mut *all.borrow_mut()))
}

fn notices(
    snapshot: &EncounterSnapshot,
    ehr: &EhrEncounter,
    today: Option<i64>,
) -> Vec<EncounterNotice> {
    let mut out = Vec::new();
    let date = date_part(&snapshot.encounter_date);
    if let Some(theirs) = ehr.date.map(date_part).filter(|d| !d.is_empty()) {
        if theirs != date {
            out.push(EncounterNotice::DateDiffers {
                snapshot: date.to_string(),
                ehr: theirs.to_string(),
            });
        }
    }
    if let (Some(day), Some(today)) = (days_from_date(date), today) {
        if day - today > FUTURE_DAYS {
            out.push(EncounterNotice::DateInFuture {
                snapshot: date.to_string(),
            });
        }
    }
    let ours = snapshot.template.id.trim();
    if let Some(theirs) = ehr.template_id.filter(|t| !ours.is_empty() && *t != ours) {
        out.push(EncounterNotice::TemplateDiffers {
            snapshot: ours.to_string(),
            ehr: theirs.to_string(),
        });
    }
    out
}

/// The `YYYY-MM-DD` part of a date or date-time.
pub fn date_part(s: &str) -> &str {
    let s = s.trim();
    s.get(..10).unwrap_or(s)
}

/// Days since 1970-01-01 of a `YYYY-MM-DD` date; `None` when it is not one.
pub fn days_from_date(s: &str) -> Option<i64> {
    let mut parts = s.splitn(3, '-').map(|p| p.parse::<i64>().ok());
    let (y, m, d) = (parts.next()??, parts.next()??, parts.next()??);
    if !(1..=12).contains(&m) || !(1..=31).contains(&d) {
        return None;
    }
    // Howard Hinnant's days-from-civil, for the proleptic Gregorian calendar.
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * ((m + 9) % 12) + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    Some(era * 146_097 + doe - 719_468)
}

/// Today in days since 1970-01-01 (UTC), or `None` when the clock is not believable.
fn today_days() -> Option<i64> {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .ok()?
        .as_secs() as i64;
    // Before 2020 the clock is not set; no notice is better than a wrong one.
    (secs > 1_577_836_800).then_some(secs / 86_400)
}

#[cfg(test)]
mod tests;
