//! Writing a plan in parts — one request per section, or one request for the whole
//! encounter — and keeping track of which parts landed.
//!
//! When the EHR refuses a part with per-field errors (a 422), the fields it names are
//! skipped as `invalid-value` with the EHR's message and the rest of the part is sent
//! again; a refusal that names no field of the part skips the whole part once another
//! part has landed (failing would leave a half-written encounter reported as "nothing
//! written"), and fails the job while nothing has landed yet (then "nothing written" is
//! true and a person can correct the data).
//!
//! [`Progress`] is the one place that learns what landed as it lands: it reports each
//! part's fields to the host as soon as the part landed ([`crate::job::progress`]), so a
//! write that stops later says exactly what is in the chart. Before each part it asks
//! whether a person cancelled the job, and stops with `cancelled` if so.

use crate::mapping::Plan;
use crate::{job, log, AdapterError, FieldResult, FieldStatus, SkipReason};

/// One request of the write: its name (the idempotency key's part) and the plan sections
/// whose lines it carries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Part {
    /// The request's name: `iop`, `diagnoses`, `encounter`...
    pub name: String,
    /// The plan sections it writes.
    pub sections: Vec<String>,
}

impl Part {
    /// A part writing one section, named after it.
    pub fn section(name: &str) -> Part {
        Part {
            name: name.to_string(),
            sections: vec![name.to_string()],
        }
    }

    /// A part named `name` writing several sections in one request.
    pub fn of(name: &str, sections: &[&str]) -> Part {
        Part {
            name: name.to_string(),
            sections: sections.iter().map(|s| s.to_string()).collect(),
        }
    }
}

/// What landed so far in this call.
#[derive(Debug, Default)]
pub struct Progress {
    landed: Vec<String>,
    replayed: Vec<bool>,
}

impl Progress {
    /// Records that `part` landed (applied, or `replayed` from the EHR's store) with
    /// `lines` (the report lines of its fields) and tells the host.
    fn landed(&mut self, job_id: &str, part: &str, lines: &[FieldResult], replayed: bool) {
        log::debug(&format!(
            "job {job_id}: {part} landed ({} field(s){})",
            lines.len(),
            if replayed { ", replayed" } else { "" }
        ));
        self.landed.push(part.to_string());
        self.replayed.push(replayed);
        job::progress(&format!("wrote {part}"), lines);
    }

    /// The parts that landed, in order.
    pub fn parts(&self) -> &[String] {
        &self.landed
    }

    /// True when something landed and every part that did was a replay: nothing changed
    /// in the chart in this call.
    pub fn all_replayed(&self) -> bool {
        !self.replayed.is_empty() && self.replayed.iter().all(|r| *r)
    }
}

/// Sends `parts` in order through `send(part, plan)`, which builds the request from the
/// plan as it stands and answers whether the EHR replayed it. Parts with nothing planned
/// are not sent. Refusals are handled as the module documentation says.
pub fn write_parts(
    job_id: &str,
    plan: &mut Plan,
    parts: &[Part],
    mut send: impl FnMut(&Part, &Plan) -> Result<bool, AdapterError>,
) -> Result<Progress, AdapterError> {
    let mut progress = Progress::default();
    for part in parts {
        loop {
            let lines: Vec<FieldResult> = plan
                .lines()
                .filter(|l| part.sections.contains(&l.section))
                .map(|l| FieldResult {
                    field: l.field.clone(),
                    status: FieldStatus::Written,
                    target: Some(format!("{}.{}", l.section, l.name)),
                    warnings: l.warnings.clone(),
                })
                .collect();
            if lines.is_empty() {
                break;
            }
            if job::cancelled() {
                return Err(job::stopped(job_id));
            }
            match send(part, plan) {
                Ok(replayed) => {
                    // A cancel seen here stops the write before its next part (above);
                    // after the last part the write is whole and is reported as such.
                    progress.landed(job_id, &part.name, &lines, replayed);
                    break;
                }
                Err(AdapterError::Rejected(r)) => {
                    if plan.skip_refused(&part.sections, &r.field_errors) > 0 {
                        continue;
                    }
                    if progress.parts().is_empty() {
                        return Err(AdapterError::Rejected(r));
                    }
                    log::warn(&format!(
                        "job {job_id}: the EHR refused {} after other parts landed; its fields \
                         are reported as not written",
                        part.name
                    ));
                    let detail = format!("the EHR refused {}: {}", part.name, r.message);
                    for s in &part.sections {
                        plan.skip_section(s, SkipReason::InvalidValue, &detail);
                    }
                    break;
                }
                Err(e) => return Err(e),
            }
        }
    }
    Ok(progress)
}
