//! Which jobs a claim takes: the oldest due pending jobs that the filter allows, of EHR
//! groups (an EHR in a tenant) below the per-EHR limit (counted by [`Picking`]).
//!
//! Every query here costs the same whatever the number of jobs in the file: each group's
//! count comes from the claimed jobs (a handful); the oldest due jobs are read in
//! order, at most [`CLAIM_SCAN`]; only when all of those belong to groups that may not
//! be served is each group's oldest due job looked up through the `jobs_group_due`
//! index, one group at a time. Asking per candidate whether its group is at its limit
//! (a correlated `COUNT(*)`) made a claim read every pending job of a full EHR.

use super::{storage, Tx};
use crate::jobs::picking::{Head, Picking};
use crate::jobs::queue::{ClaimFilter, EhrGroup, QueueError, CLAIM_SCAN};
use rusqlite::{params, OptionalExtension};

/// The ids of up to `limit` jobs to claim at `now`, oldest first, as `picking` allows.
pub fn due(
    tx: &Tx<'_>,
    now: i64,
    picking: &mut Picking<'_>,
    limit: usize,
) -> Result<Vec<String>, QueueError> {
    let mut out = Vec::new();
    let filter = *picking.filter();
    // One tenant's claims (a hub's agents) go straight to that tenant's groups: the
    // oldest jobs of the whole queue are mostly other tenants'.
    if filter.scope.is_none() {
        let mut stmt = tx
            .prepare_cached(
                "SELECT id, ehr, scope FROM jobs WHERE status = 'pending' AND next_attempt_ms <= ?1
                 ORDER BY next_attempt_ms, created_ms LIMIT ?2",
            )
            .map_err(storage)?;
        let mut rows = stmt
            .query(params![now, CLAIM_SCAN as i64])
            .map_err(storage)?;
        let mut seen = 0;
        while let Some(row) = rows.next().map_err(storage)? {
            seen += 1;
            let ehr: String = row.get(1).map_err(storage)?;
            let scope: Option<String> = row.get(2).map_err(storage)?;
            if picking.take(&ehr, scope.as_deref()) {
                out.push(row.get(0).map_err(storage)?);
                if out.len() == limit {
                    break;
                }
            }
        }
        // What was found is claimed; the next claim reads past it.
        if seen < CLAIM_SCAN || !out.is_empty() {
            return Ok(out);
        }
    }
    // Each open group's oldest due job, oldest first (one per group: the next claim
    // finds the next one).
    let mut heads: Vec<Head> = Vec::new();
    for ehr in ehrs(tx, &filter)? {
        for scope in scopes(tx, &ehr, &filter)? {
            if !picking.open(&ehr, scope.as_deref()) {
                continue;
            }
            if let Some((next, created, id)) = oldest_due(tx, now, &ehr, scope.as_deref())? {
                heads.push((next, created, id, ehr.clone(), scope));
            }
        }
    }
    picking.take_oldest(heads, &mut out, limit);
    Ok(out)
}

/// The jobs each group has claimed now (only groups with any).
pub fn claimed(tx: &Tx<'_>) -> Result<Vec<(EhrGroup, u32)>, QueueError> {
    let mut stmt = tx
        .prepare_cached(
            "SELECT ehr, scope, COUNT(*) FROM jobs WHERE status = 'claimed' GROUP BY ehr, scope",
        )
        .map_err(storage)?;
    let rows = stmt
        .query_map([], |r| {
            Ok((
                EhrGroup {
                    ehr: r.get(0)?,
                    scope: r.get(1)?,
                },
                r.get(2)?,
            ))
        })
        .map_err(storage)?;
    rows.collect::<Result<_, _>>().map_err(storage)
}

/// The EHRs with pending jobs that the filter names (or all of them), one index step each.
fn ehrs(tx: &Tx<'_>, filter: &ClaimFilter<'_>) -> Result<Vec<String>, QueueError> {
    if let Some(named) = filter.ehrs {
        return Ok(named.to_vec());
    }
    walk(
        tx,
        "SELECT ehr FROM jobs INDEXED BY jobs_group_due WHERE status = 'pending' ORDER BY ehr LIMIT 1",
        "SELECT ehr FROM jobs INDEXED BY jobs_group_due WHERE status = 'pending' AND ehr > ?1 ORDER BY ehr LIMIT 1",
        None,
    )
    .map(|v| v.into_iter().flatten().collect())
}

/// The tenants with pending jobs of `ehr` (the filter's one, or all of them, `None` for
/// jobs outside any tenant).
fn scopes(
    tx: &Tx<'_>,
    ehr: &str,
    filter: &ClaimFilter<'_>,
) -> Result<Vec<Option<String>>, QueueError> {
    if let Some(scope) = filter.scope {
        return Ok(vec![Some(scope.to_string())]);
    }
    let mut out = vec![None];
    out.extend(walk(
        tx,
        "SELECT scope FROM jobs INDEXED BY jobs_group_due WHERE status = 'pending' AND ehr = ?2 AND scope IS NOT NULL
         ORDER BY scope LIMIT 1",
        "SELECT scope FROM jobs INDEXED BY jobs_group_due WHERE status = 'pending' AND ehr = ?2 AND scope > ?1
         ORDER BY scope LIMIT 1",
        Some(ehr),
    )?);
    Ok(out)
}

/// The distinct values `first` then `after` (given the previous value as `?1`, and
/// `ehr` as `?2`) step through, each found by one index lookup.
fn walk(
    tx: &Tx<'_>,
    first: &str,
    after: &str,
    ehr: Option<&str>,
) -> Result<Vec<Option<String>>, QueueError> {
    let mut out: Vec<Option<String>> = Vec::new();
    loop {
        let sql = if out.is_empty() { first } else { after };
        let prev = out.last().cloned().flatten();
        let mut stmt = tx.prepare_cached(sql).map_err(storage)?;
        let next: Option<String> = match ehr {
            None if out.is_empty() => stmt.query_row([], |r| r.get(0)),
            None => stmt.query_row([prev], |r| r.get(0)),
            Some(e) => stmt.query_row(params![prev, e], |r| r.get(0)),
        }
        .optional()
        .map_err(storage)?;
        match next {
            Some(v) => out.push(Some(v)),
            None => return Ok(out),
        }
    }
}

/// The oldest job of one group due at `now`: `(next_attempt_ms, created_ms, id)`.
fn oldest_due(
    tx: &Tx<'_>,
    now: i64,
    ehr: &str,
    scope: Option<&str>,
) -> Result<Option<(i64, i64, String)>, QueueError> {
    // `scope IS ?` would not be matched against the index; the two forms are.
    let sql = match scope {
        None => {
            "SELECT next_attempt_ms, created_ms, id FROM jobs INDEXED BY jobs_group_due
             WHERE status = 'pending' AND ehr = ?1 AND scope IS NULL AND next_attempt_ms <= ?2
             ORDER BY next_attempt_ms, created_ms LIMIT 1"
        }
        Some(_) => {
            "SELECT next_attempt_ms, created_ms, id FROM jobs INDEXED BY jobs_group_due
             WHERE status = 'pending' AND ehr = ?1 AND scope = ?3 AND next_attempt_ms <= ?2
             ORDER BY next_attempt_ms, created_ms LIMIT 1"
        }
    };
    let mut stmt = tx.prepare_cached(sql).map_err(storage)?;
    let head = |r: &rusqlite::Row<'_>| Ok((r.get(0)?, r.get(1)?, r.get(2)?));
    match scope {
        None => stmt.query_row(params![ehr, now], head),
        Some(s) => stmt.query_row(params![ehr, now, s], head),
    }
    .optional()
    .map_err(storage)
}
