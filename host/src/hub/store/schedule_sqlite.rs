//! The synced schedule on the SQLite hub store (each function runs inside the store's
//! immediate transaction).

use super::schedule::{
    fresh, kind_name, newer_run, sort, unreadable, HeldAppointment, PracticeSchedule,
    ScheduleReceipt,
};
use super::StoreError;
use crate::link::protocol::ScheduleBatch;
use rusqlite::{params, OptionalExtension, Transaction};

fn storage(e: rusqlite::Error) -> StoreError {
    StoreError::Storage(e.to_string())
}

/// Applies `batch` from `source` to `practice`'s schedule, each change once.
pub fn apply(
    tx: &Transaction<'_>,
    practice: &str,
    source: &str,
    batch: &ScheduleBatch,
    now_ms: u64,
) -> Result<ScheduleReceipt, StoreError> {
    let last: u64 = tx
        .query_row(
            "SELECT last_seq FROM hub_schedule_cursors WHERE practice_id = ?1 AND source = ?2",
            params![practice, source],
            |r| r.get::<_, i64>(0),
        )
        .optional()
        .map_err(storage)?
        .unwrap_or(0) as u64;
    let (todo, duplicates) = fresh(&batch.changes, last);
    let mut through = last;
    for c in &todo {
        match &c.appointment {
            Some(a) => {
                let text = serde_json::to_string(a).expect("an appointment serialises");
                tx.execute(
                    "INSERT INTO hub_schedule (practice_id, ehr, appointment_id, appointment, updated_ms)
                     VALUES (?1, ?2, ?3, ?4, ?5)
                     ON CONFLICT (practice_id, ehr, appointment_id)
                     DO UPDATE SET appointment = excluded.appointment, updated_ms = excluded.updated_ms",
                    params![practice, c.ehr, c.appointment_id, text, now_ms as i64],
                )
                .map_err(storage)?;
            }
            None => {
                tx.execute(
                    "DELETE FROM hub_schedule WHERE practice_id = ?1 AND ehr = ?2 AND appointment_id = ?3",
                    params![practice, c.ehr, c.appointment_id],
                )
                .map_err(storage)?;
            }
        }
        tx.execute(
            "INSERT INTO hub_schedule_counts (practice_id, kind, n) VALUES (?1, ?2, 1)
             ON CONFLICT (practice_id, kind) DO UPDATE SET n = n + 1",
            params![practice, kind_name(c.kind)],
        )
        .map_err(storage)?;
        through = through.max(c.seq);
    }
    tx.execute(
        "INSERT INTO hub_schedule_cursors (practice_id, source, last_seq) VALUES (?1, ?2, ?3)
         ON CONFLICT (practice_id, source) DO UPDATE SET last_seq = excluded.last_seq",
        params![practice, source, through as i64],
    )
    .map_err(storage)?;
    for run in &batch.runs {
        let old: Option<String> = tx
            .query_row(
                "SELECT run FROM hub_schedule_runs WHERE practice_id = ?1 AND ehr = ?2",
                params![practice, run.ehr],
                |r| r.get(0),
            )
            .optional()
            .map_err(storage)?;
        if newer_run(run, old.as_deref()) {
            tx.execute(
                "INSERT INTO hub_schedule_runs (practice_id, ehr, run) VALUES (?1, ?2, ?3)
                 ON CONFLICT (practice_id, ehr) DO UPDATE SET run = excluded.run",
                params![
                    practice,
                    run.ehr,
                    serde_json::to_string(run).expect("a run serialises")
                ],
            )
            .map_err(storage)?;
        }
    }
    Ok(ScheduleReceipt {
        applied_through: through,
        applied: todo.len() as u32,
        duplicates,
    })
}

/// `practice`'s synced schedule.
pub fn read(tx: &Transaction<'_>, practice: &str) -> Result<PracticeSchedule, StoreError> {
    let rows: Vec<(String, String, i64)> = tx
        .prepare("SELECT ehr, appointment, updated_ms FROM hub_schedule WHERE practice_id = ?1")
        .map_err(storage)?
        .query_map([practice], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .map_err(storage)?
        .collect::<rusqlite::Result<_>>()
        .map_err(storage)?;
    let mut appointments = Vec::with_capacity(rows.len());
    for (ehr, text, updated) in rows {
        appointments.push(HeldAppointment {
            ehr,
            updated_ms: updated as u64,
            appointment: serde_json::from_str(&text).map_err(|e| unreadable("appointment", e))?,
        });
    }
    sort(&mut appointments);
    let runs: Vec<String> = tx
        .prepare("SELECT run FROM hub_schedule_runs WHERE practice_id = ?1 ORDER BY ehr")
        .map_err(storage)?
        .query_map([practice], |r| r.get(0))
        .map_err(storage)?
        .collect::<rusqlite::Result<_>>()
        .map_err(storage)?;
    let runs = runs
        .iter()
        .map(|t| serde_json::from_str(t).map_err(|e| unreadable("sync run", e)))
        .collect::<Result<_, _>>()?;
    let received = tx
        .prepare("SELECT kind, n FROM hub_schedule_counts WHERE practice_id = ?1")
        .map_err(storage)?
        .query_map([practice], |r| {
            Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)? as u64))
        })
        .map_err(storage)?
        .collect::<rusqlite::Result<_>>()
        .map_err(storage)?;
    Ok(PracticeSchedule {
        appointments,
        runs,
        received,
    })
}
