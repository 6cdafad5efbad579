//! What one claim may still take, counted as it picks jobs: a claim takes several jobs at
//! once ([`crate::jobs::Queue::claim_many`]), so the per-EHR limit counts the jobs each
//! group has claimed already (by every host) plus those this claim picked, and a group
//! whose EHR is written one job at a time gives a claim one job at most. Both stores pick
//! through this, so they agree on what a claim may take.

use super::queue::{ClaimFilter, EhrGroup};

/// A group's oldest due job, as a store looks it up: `(next_attempt_ms, created_ms, id,
/// ehr, scope)`.
pub(crate) type Head = (i64, i64, String, String, Option<String>);

/// The counting of one claim.
pub(crate) struct Picking<'a> {
    filter: ClaimFilter<'a>,
    max_per_ehr: u32,
    /// Each group seen: its jobs claimed (before this claim and by it), and picked by it.
    groups: Vec<(EhrGroup, u32, u32)>,
}

impl<'a> Picking<'a> {
    /// A claim under `filter` and `max_per_ehr`, given the jobs each group has claimed
    /// now (groups with none may be left out).
    pub fn new(
        filter: ClaimFilter<'a>,
        max_per_ehr: u32,
        claimed: impl IntoIterator<Item = (EhrGroup, u32)>,
    ) -> Picking<'a> {
        Picking {
            filter,
            max_per_ehr,
            groups: claimed.into_iter().map(|(g, n)| (g, n, 0)).collect(),
        }
    }

    /// The filter this claim runs under.
    pub fn filter(&self) -> &ClaimFilter<'a> {
        &self.filter
    }

    /// Whether a job of `ehr` in `scope` may still be picked.
    pub fn open(&self, ehr: &str, scope: Option<&str>) -> bool {
        if !self.filter.allows(ehr, scope) {
            return false;
        }
        let (claimed, picked) = self
            .find(ehr, scope)
            .map_or((0, 0), |i| (self.groups[i].1, self.groups[i].2));
        claimed < self.max_per_ehr && !(picked > 0 && self.filter.one_each_of(ehr))
    }

    /// Picks a job of `ehr` in `scope` if it [may be](Picking::open); whether it was.
    pub fn take(&mut self, ehr: &str, scope: Option<&str>) -> bool {
        if !self.open(ehr, scope) {
            return false;
        }
        match self.find(ehr, scope) {
            Some(i) => {
                self.groups[i].1 += 1;
                self.groups[i].2 += 1;
            }
            None => self.groups.push((EhrGroup::of(ehr, scope), 1, 1)),
        }
        true
    }

    /// Picks from `heads` (each open group's oldest due job) into `out`, oldest first,
    /// until `out` holds `limit`.
    pub fn take_oldest(&mut self, mut heads: Vec<Head>, out: &mut Vec<String>, limit: usize) {
        heads.sort();
        for (_, _, id, ehr, scope) in heads {
            if out.len() < limit && self.take(&ehr, scope.as_deref()) {
                out.push(id);
            }
        }
    }

    fn find(&self, ehr: &str, scope: Option<&str>) -> Option<usize> {
        self.groups
            .iter()
            .position(|(g, _, _)| g.ehr == ehr && g.scope.as_deref() == scope)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_limit_counts_what_was_claimed_and_what_this_claim_picked() {
        let mut p = Picking::new(ClaimFilter::default(), 3, [(EhrGroup::of("a", None), 1)]);
        assert!(p.take("a", None));
        assert!(p.take("a", None));
        assert!(
            !p.take("a", None),
            "1 claimed before, 2 picked: at the limit of 3"
        );
        assert!(
            p.take("a", Some("pa")),
            "another tenant's group counts apart"
        );
        assert!(p.take("b", None));
    }

    #[test]
    fn an_ehr_written_one_at_a_time_gives_a_claim_one_job_per_group() {
        let local = ["crystalpm".to_string()];
        let filter = ClaimFilter {
            one_each: &local,
            ..ClaimFilter::default()
        };
        let mut p = Picking::new(filter, 8, []);
        assert!(p.take("crystalpm", None));
        assert!(!p.take("crystalpm", None));
        assert!(p.take("crystalpm", Some("pa")));
        assert!(p.take("revolution", None));
        assert!(
            p.take("revolution", None),
            "a cloud EHR keeps the per-EHR limit"
        );
    }

    #[test]
    fn the_filter_still_refuses() {
        let paused = [EhrGroup::of("a", None)];
        let filter = ClaimFilter {
            except: &paused,
            ..ClaimFilter::default()
        };
        let mut p = Picking::new(filter, 8, []);
        assert!(!p.take("a", None));
        assert!(p.take("a", Some("pa")));
    }
}
