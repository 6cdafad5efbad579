//! Which job a claim takes: the oldest due pending job that the filter allows, of an EHR
//! group (an EHR in a tenant) below the per-EHR limit. The same plan as the SQLite
//! store's (`sqlite/pick.rs`), so a claim's cost does not grow with the queue: the groups
//! at their limit come from the claimed jobs; the oldest due jobs are read in order, at
//! most [`CLAIM_SCAN`]; only when all of those may not be served is each group's oldest
//! due job looked up through the `jobs_group_due` index.

use super::connection::storage;
use crate::jobs::queue::{ClaimFilter, EhrGroup, QueueError, CLAIM_SCAN};
use tokio_postgres::Transaction;

/// The id of the job to claim at `now`, if any. Runs under the claim lock.
pub async fn due(
    tx: &Transaction<'_>,
    now: i64,
    max_per_ehr: u32,
    filter: &ClaimFilter<'_>,
) -> Result<Option<String>, QueueError> {
    let full = at_limit(tx, max_per_ehr).await?;
    let open = |ehr: &str, scope: Option<&str>| filter.open(&full, ehr, scope);
    // One tenant's claims (a hub's agents) go straight to that tenant's groups: the
    // oldest jobs of the whole queue are mostly other tenants'.
    if filter.scope.is_none() {
        let rows = tx
            .query(
                "SELECT id, ehr, scope FROM jobs WHERE status = 'pending' AND next_attempt_ms <= $1
                 ORDER BY next_attempt_ms, created_ms LIMIT $2",
                &[&now, &(CLAIM_SCAN as i64)],
            )
            .await
            .map_err(storage)?;
        for row in &rows {
            let (ehr, scope): (String, Option<String>) = (row.get(1), row.get(2));
            if open(&ehr, scope.as_deref()) {
                return Ok(Some(row.get(0)));
            }
        }
        if rows.len() < CLAIM_SCAN {
            return Ok(None);
        }
    }
    let ehrs =
        match filter.ehrs {
            Some(named) => named.to_vec(),
            None => distinct(
                tx,
                "SELECT ehr FROM jobs WHERE status = 'pending' AND ($1::text IS NULL OR ehr > $1)
             ORDER BY ehr LIMIT 1",
                None,
            )
            .await?,
        };
    let mut best: Option<(i64, i64, String)> = None;
    for ehr in ehrs {
        let scopes = match filter.scope {
            Some(s) => vec![Some(s.to_string())],
            None => {
                let mut all = vec![None];
                all.extend(
                    distinct(
                        tx,
                        "SELECT scope FROM jobs WHERE status = 'pending' AND ehr = $2
                           AND scope IS NOT NULL AND ($1::text IS NULL OR scope > $1)
                         ORDER BY scope LIMIT 1",
                        Some(&ehr),
                    )
                    .await?
                    .into_iter()
                    .map(Some),
                );
                all
            }
        };
        for scope in scopes {
            if !open(&ehr, scope.as_deref()) {
                continue;
            }
            // `IS NOT DISTINCT FROM` is not matched against an index; the two forms are.
            let head = match &scope {
                None => {
                    tx.query_opt(
                        "SELECT next_attempt_ms, created_ms, id FROM jobs
                         WHERE status = 'pending' AND ehr = $1 AND scope IS NULL
                           AND next_attempt_ms <= $2
                         ORDER BY next_attempt_ms, created_ms LIMIT 1",
                        &[&ehr, &now],
                    )
                    .await
                }
                Some(s) => {
                    tx.query_opt(
                        "SELECT next_attempt_ms, created_ms, id FROM jobs
                         WHERE status = 'pending' AND ehr = $1 AND scope = $3
                           AND next_attempt_ms <= $2
                         ORDER BY next_attempt_ms, created_ms LIMIT 1",
                        &[&ehr, &now, s],
                    )
                    .await
                }
            }
            .map_err(storage)?
            .map(|r| {
                (
                    r.get::<_, i64>(0),
                    r.get::<_, i64>(1),
                    r.get::<_, String>(2),
                )
            });
            if let Some(head) = head {
                if best.as_ref().is_none_or(|b| (head.0, head.1) < (b.0, b.1)) {
                    best = Some(head);
                }
            }
        }
    }
    Ok(best.map(|(_, _, id)| id))
}

/// The groups with `max_per_ehr` jobs claimed already.
async fn at_limit(tx: &Transaction<'_>, max_per_ehr: u32) -> Result<Vec<EhrGroup>, QueueError> {
    let rows = tx
        .query(
            "SELECT ehr, scope FROM jobs WHERE status = 'claimed'
             GROUP BY ehr, scope HAVING count(*) >= $1",
            &[&(max_per_ehr as i64)],
        )
        .await
        .map_err(storage)?;
    Ok(rows
        .iter()
        .map(|r| EhrGroup {
            ehr: r.get(0),
            scope: r.get(1),
        })
        .collect())
}

/// The distinct values `sql` steps through, given the previous one as `$1` (NULL at
/// first) and `ehr` as `$2`: one index lookup each.
async fn distinct(
    tx: &Transaction<'_>,
    sql: &str,
    ehr: Option<&str>,
) -> Result<Vec<String>, QueueError> {
    let mut out: Vec<String> = Vec::new();
    loop {
        let prev = out.last().map(String::as_str);
        let row = match ehr {
            None => tx.query_opt(sql, &[&prev]).await,
            Some(e) => tx.query_opt(sql, &[&prev, &e]).await,
        }
        .map_err(storage)?;
        match row {
            Some(r) => out.push(r.get(0)),
            None => return Ok(out),
        }
    }
}
