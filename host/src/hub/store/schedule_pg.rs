//! The synced schedule on the PostgreSQL hub store: one transaction per batch, the
//! source's cursor row locked, so two hub instances given the same batch apply it once.

use super::pg_connection::storage;
use super::schedule::{
    fresh, kind_name, newer_run, sort, unreadable, HeldAppointment, PracticeSchedule,
    ScheduleReceipt,
};
use super::StoreError;
use crate::link::protocol::ScheduleBatch;
use tokio_postgres::Client;

/// Applies `batch` from `source` to `practice`'s schedule, each change once.
pub async fn apply(
    c: &mut Client,
    practice: &str,
    source: &str,
    batch: &ScheduleBatch,
    now_ms: u64,
) -> Result<ScheduleReceipt, StoreError> {
    let tx = c.transaction().await.map_err(storage)?;
    tx.execute(
        "INSERT INTO hub_schedule_cursors (practice_id, source, last_seq) VALUES ($1, $2, 0)
         ON CONFLICT (practice_id, source) DO NOTHING",
        &[&practice, &source],
    )
    .await
    .map_err(storage)?;
    let row = tx
        .query_one(
            "SELECT last_seq FROM hub_schedule_cursors WHERE practice_id = $1 AND source = $2 FOR UPDATE",
            &[&practice, &source],
        )
        .await
        .map_err(storage)?;
    let last = row.get::<_, i64>(0) as u64;
    let (todo, duplicates) = fresh(&batch.changes, last);
    let mut through = last;
    let now = now_ms as i64;
    for c in &todo {
        match &c.appointment {
            Some(a) => {
                let text = serde_json::to_string(a).expect("an appointment serialises");
                tx.execute(
                    "INSERT INTO hub_schedule (practice_id, ehr, appointment_id, appointment, updated_ms)
                     VALUES ($1, $2, $3, $4, $5)
                     ON CONFLICT (practice_id, ehr, appointment_id)
                     DO UPDATE SET appointment = excluded.appointment, updated_ms = excluded.updated_ms",
                    &[&practice, &c.ehr, &c.appointment_id, &text, &now],
                )
                .await
                .map_err(storage)?;
            }
            None => {
                tx.execute(
                    "DELETE FROM hub_schedule WHERE practice_id = $1 AND ehr = $2 AND appointment_id = $3",
                    &[&practice, &c.ehr, &c.appointment_id],
                )
                .await
                .map_err(storage)?;
            }
        }
        tx.execute(
            "INSERT INTO hub_schedule_counts (practice_id, kind, n) VALUES ($1, $2, 1)
             ON CONFLICT (practice_id, kind) DO UPDATE SET n = hub_schedule_counts.n + 1",
            &[&practice, &kind_name(c.kind)],
        )
        .await
        .map_err(storage)?;
        through = through.max(c.seq);
    }
    tx.execute(
        "UPDATE hub_schedule_cursors SET last_seq = $3 WHERE practice_id = $1 AND source = $2",
        &[&practice, &source, &(through as i64)],
    )
    .await
    .map_err(storage)?;
    for run in &batch.runs {
        let old = tx
            .query_opt(
                "SELECT run FROM hub_schedule_runs WHERE practice_id = $1 AND ehr = $2 FOR UPDATE",
                &[&practice, &run.ehr],
            )
            .await
            .map_err(storage)?
            .map(|r| r.get::<_, String>(0));
        if newer_run(run, old.as_deref()) {
            let text = serde_json::to_string(run).expect("a run serialises");
            tx.execute(
                "INSERT INTO hub_schedule_runs (practice_id, ehr, run) VALUES ($1, $2, $3)
                 ON CONFLICT (practice_id, ehr) DO UPDATE SET run = excluded.run",
                &[&practice, &run.ehr, &text],
            )
            .await
            .map_err(storage)?;
        }
    }
    tx.commit().await.map_err(storage)?;
    Ok(ScheduleReceipt {
        applied_through: through,
        applied: todo.len() as u32,
        duplicates,
    })
}

/// `practice`'s synced schedule.
pub async fn read(c: &mut Client, practice: &str) -> Result<PracticeSchedule, StoreError> {
    let rows = c
        .query(
            "SELECT ehr, appointment, updated_ms FROM hub_schedule WHERE practice_id = $1",
            &[&practice],
        )
        .await
        .map_err(storage)?;
    let mut appointments = Vec::with_capacity(rows.len());
    for r in rows {
        appointments.push(HeldAppointment {
            ehr: r.get(0),
            updated_ms: r.get::<_, i64>(2) as u64,
            appointment: serde_json::from_str(r.get(1))
                .map_err(|e| unreadable("appointment", e))?,
        });
    }
    sort(&mut appointments);
    let runs = c
        .query(
            "SELECT run FROM hub_schedule_runs WHERE practice_id = $1 ORDER BY ehr",
            &[&practice],
        )
        .await
        .map_err(storage)?
        .iter()
        .map(|r| serde_json::from_str(r.get(0)).map_err(|e| unreadable("sync run", e)))
        .collect::<Result<_, _>>()?;
    let received = c
        .query(
            "SELECT kind, n FROM hub_schedule_counts WHERE practice_id = $1",
            &[&practice],
        )
        .await
        .map_err(storage)?
        .iter()
        .map(|r| (r.get::<_, String>(0), r.get::<_, i64>(1) as u64))
        .collect();
    Ok(PracticeSchedule {
        appointments,
        runs,
        received,
    })
}
