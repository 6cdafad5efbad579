//! Which jobs a claim takes: the oldest due pending jobs that the filter allows, of EHR
//! groups (an EHR in a tenant) below the per-EHR limit (counted by [`Picking`]). The same
//! plan as the SQLite store's (`sqlite/pick.rs`), so a claim's cost does not grow with the
//! queue: each group's count comes from the claimed jobs; the oldest due jobs are read in
//! order, at most [`CLAIM_SCAN`]; only when all of those may not be served is each group's
//! oldest due job looked up through the `jobs_group_due` index.
//!
//! The claim lock, the counts and the oldest jobs are asked for together ([`read`]): the
//! server answers them in order, so the reads happen under the lock, in one round trip.

use super::connection::{storage, Statements};
use crate::jobs::picking::{Head, Picking};
use crate::jobs::queue::{EhrGroup, QueueError, CLAIM_SCAN};
use tokio_postgres::{Client, Row};

/// Any fixed number: the advisory lock that serialises claims across hosts.
const CLAIM_LOCK: i64 = 0x6568_725f_636c_6169;

/// What a claim reads first, under the claim lock.
pub struct Seen {
    /// The jobs each group has claimed now (only groups with any).
    pub claimed: Vec<(EhrGroup, u32)>,
    /// The oldest due jobs (`id, ehr, scope`), at most [`CLAIM_SCAN`]; not read for one
    /// tenant's claims.
    oldest: Option<Vec<Row>>,
}

/// Takes the claim lock (again: it is held until the transaction ends) and reads
/// [`Seen`] at `now`, in one round trip, in the transaction open on `tx`.
pub async fn read(
    tx: &Client,
    st: &mut Statements,
    now: i64,
    scoped: bool,
) -> Result<Seen, QueueError> {
    let lock = st.get(tx, "SELECT pg_advisory_xact_lock($1)").await?;
    let counts = st
        .get(
            tx,
            "SELECT ehr, scope, count(*) FROM jobs WHERE status = 'claimed' GROUP BY ehr, scope",
        )
        .await?;
    let oldest = st
        .get(
            tx,
            "SELECT id, ehr, scope FROM jobs WHERE status = 'pending' AND next_attempt_ms <= $1
             ORDER BY next_attempt_ms, created_ms LIMIT $2",
        )
        .await?;
    let scan = [
        &now as &(dyn tokio_postgres::types::ToSql + Sync),
        &(CLAIM_SCAN as i64),
    ];
    let (_, counts, oldest) = tokio::try_join!(
        tx.execute(&lock, &[&CLAIM_LOCK]),
        tx.query(&counts, &[]),
        async {
            match scoped {
                true => Ok(None),
                false => tx.query(&oldest, &scan).await.map(Some),
            }
        },
    )
    .map_err(storage)?;
    let claimed = counts
        .iter()
        .map(|r| {
            let group = EhrGroup {
                ehr: r.get(0),
                scope: r.get(1),
            };
            (group, r.get::<_, i64>(2) as u32)
        })
        .collect();
    Ok(Seen { claimed, oldest })
}

/// The ids of up to `limit` jobs to claim at `now`, oldest first, as `picking` allows,
/// given what was `seen`. Runs under the claim lock.
pub async fn due(
    tx: &Client,
    seen: &Seen,
    now: i64,
    picking: &mut Picking<'_>,
    limit: usize,
) -> Result<Vec<String>, QueueError> {
    let mut out = Vec::new();
    let filter = *picking.filter();
    // One tenant's claims (a hub's agents) go straight to that tenant's groups: the
    // oldest jobs of the whole queue are mostly other tenants'.
    if let Some(rows) = &seen.oldest {
        for row in rows {
            let (ehr, scope): (String, Option<String>) = (row.get(1), row.get(2));
            if out.len() < limit && picking.take(&ehr, scope.as_deref()) {
                out.push(row.get(0));
            }
        }
        // What was found is claimed; the next claim reads past it.
        if rows.len() < CLAIM_SCAN || !out.is_empty() {
            return Ok(out);
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
    // Each open group's oldest due job, oldest first (one per group: the next claim
    // finds the next one).
    let mut heads: Vec<Head> = Vec::new();
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
            if !picking.open(&ehr, scope.as_deref()) {
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
            if let Some((next, created, id)) = head {
                heads.push((next, created, id, ehr.clone(), scope));
            }
        }
    }
    picking.take_oldest(heads, &mut out, limit);
    Ok(out)
}

/// The distinct values `sql` steps through, given the previous one as `$1` (NULL at
/// first) and `ehr` as `$2`: one index lookup each.
async fn distinct(tx: &Client, sql: &str, ehr: Option<&str>) -> Result<Vec<String>, QueueError> {
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
