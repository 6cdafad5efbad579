//! The job ledger of adapters that write into a local EHR database: a table of the job
//! ids already written, inserted in the same transaction as the data, so a job id is
//! written at most once. Each adapter gives its own statements (its table, its
//! placeholders); the decisions are the same everywhere.

use crate::mapping::{Line, Plan};
use crate::sql::{self, Value};
use crate::write::Landed;
use crate::{log, AdapterError, CheckReport, Rejection, WriteResult};

/// One adapter's ledger.
pub struct Ledger {
    /// The database label.
    pub database: &'static str,
    /// Selects the record id written for a job id (one parameter: the job id).
    pub lookup: &'static str,
    /// Inserts a job id and its record id (two parameters, in that order).
    pub insert: &'static str,
    /// What the EHR calls a record, for messages ("EHR file", "exam").
    pub record: &'static str,
}

impl Ledger {
    /// True when `job_id` was already written into `record_id`; a job id recorded for
    /// another record is refused (`job-id-reused`) rather than replayed.
    pub fn already_written(&self, job_id: &str, record_id: i64) -> Result<bool, AdapterError> {
        let rows = sql::query(
            self.database,
            self.lookup,
            &[Value::Text(job_id.to_string())],
        )?;
        match rows
            .rows
            .first()
            .and_then(|r| r.first())
            .and_then(Value::as_i64)
        {
            None => Ok(false),
            Some(id) if id == record_id => Ok(true),
            Some(id) => Err(AdapterError::Rejected(Rejection {
                code: Some("job-id-reused".into()),
                message: format!(
                    "job {job_id} was already written into {} {id}, not {record_id}",
                    self.record
                ),
                field_errors: Vec::new(),
            })),
        }
    }

    /// Writes `plan` into record `record_id` for job `job_id` the one safe way, in one
    /// transaction, in the SDK's [`crate::write::guarded`] order: `verify` first (the
    /// wrong-patient guard and lock check, which should lock the record); when it refuses
    /// for a state reason (locked, moved to another patient), the ledger decides: a job
    /// already written into this record is a replay, not a refusal. Then the ledger again
    /// (a job already written is a replay: nothing written, `replayed` report), then
    /// `write_section` for each planned section in order (the SDK's
    /// [`crate::debug_hooks`] run after the first), then the job recorded, then the
    /// commit. Any error rolls everything back.
    pub fn write(
        &self,
        job_id: &str,
        record_id: i64,
        plan: Plan,
        verify: impl FnOnce() -> Result<(), AdapterError>,
        mut write_section: impl FnMut(&str, &[&Line]) -> Result<(), AdapterError>,
    ) -> Result<WriteResult, AdapterError> {
        let hooks = crate::debug_hooks::Hooks::from_config();
        let record = Some(record_id.to_string());
        sql::transaction(self.database, move || {
            crate::write::guarded(
                job_id,
                plan,
                |_| verify(),
                |_| {
                    Ok(self.already_written(job_id, record_id)?.then(|| Landed {
                        record_id: record.clone(),
                    }))
                },
                |plan| {
                    if self.already_written(job_id, record_id)? {
                        log::info(&format!(
                            "job {job_id} was already written; replaying its report"
                        ));
                        return Ok(plan.into_write_result(record.clone(), true));
                    }
                    // Everything lands at the commit, or nothing does: tell the host so,
                    // and stop between sections if a person cancels (the transaction is
                    // then rolled back and nothing of the job is in the chart).
                    if !crate::job::progress("writing the encounter in one transaction", &[]) {
                        return Err(crate::job::stopped(job_id));
                    }
                    for (i, section) in plan.sections().iter().enumerate() {
                        if crate::job::cancelled() {
                            return Err(crate::job::stopped(job_id));
                        }
                        write_section(section, &plan.section(section))?;
                        if i == 0 {
                            hooks.after_first_write();
                        }
                    }
                    self.record(job_id, record_id)?;
                    Ok(plan.into_write_result(record.clone(), false))
                },
            )
        })
    }

    /// `check` for the adapter: the server's version (the first line of the first cell
    /// `version_sql` returns), the patient count `patients_sql` returns, and that the
    /// ledger table (`ledger_table`, answering `SELECT COUNT(*)`) exists; a missing ledger
    /// is `misconfigured`, pointing at the adapter's `sql/schema.sql`.
    pub fn check(
        &self,
        ehr: &str,
        version_sql: &str,
        patients_sql: &str,
        ledger_table: &str,
    ) -> Result<CheckReport, AdapterError> {
        let first = |sql: &str| -> Result<Option<Value>, AdapterError> {
            let rows = sql::query(self.database, sql, &[])?;
            Ok(rows
                .rows
                .into_iter()
                .next()
                .and_then(|r| r.into_iter().next()))
        };
        let version = first(version_sql)?.and_then(|v| {
            v.as_str()
                .map(|t| t.lines().next().unwrap_or(t).trim().to_string())
        });
        let count = first(patients_sql)?.and_then(|v| v.as_i64()).unwrap_or(0);
        sql::query(
            self.database,
            &format!("SELECT COUNT(*) FROM {ledger_table}"),
            &[],
        )
        .map_err(|e| {
            AdapterError::Misconfigured(format!(
                "the {ehr} database has no `{ledger_table}` ledger table (create it from the adapter's sql/schema.sql): {e:?}"
            ))
        })?;
        Ok(CheckReport {
            ehr_version: version.clone(),
            details: vec![
                format!("server version {}", version.as_deref().unwrap_or("unknown")),
                format!("{count} patients"),
            ],
        })
    }

    /// Records `job_id` as written into `record_id` (inside the write's transaction).
    pub fn record(&self, job_id: &str, record_id: i64) -> Result<(), AdapterError> {
        sql::execute(
            self.database,
            self.insert,
            &[
                Value::Text(job_id.to_string()),
                Value::Int(record_id),
                Value::Text(crate::job::transaction_id()),
            ],
        )?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::Harness;

    const L: Ledger = Ledger {
        database: "db",
        lookup: "SELECT id FROM ledger WHERE job = ?",
        insert: "INSERT INTO ledger (job, id, transaction_id) VALUES (?, ?, ?)",
        record: "exam",
    };

    // A new job is not written; the same job into the same record is a replay; the same
    // job id into another record is refused, naming both records.
    #[test]
    fn replays_and_reuse() {
        let h = Harness::new();
        h.sql("SELECT id FROM ledger").rows(&["id"], vec![]);
        assert!(!L.already_written("J1", 5001).unwrap());
        let h = Harness::new();
        h.sql("SELECT id FROM ledger")
            .rows(&["id"], vec![vec![Value::Int(5001)]]);
        assert!(L.already_written("J1", 5001).unwrap());
        let err = L.already_written("J1", 5002).unwrap_err();
        assert!(
            matches!(&err, AdapterError::Rejected(r) if r.message.contains("exam 5001, not 5002")),
            "{err:?}"
        );
        drop(h);
    }
}
