//! The job runner (`ehr_host::jobs::runner`) with a writer that writes nothing
//! (`ehr_e2e::noop`): several jobs really are in flight at once, the per-EHR limit still
//! bounds each EHR, a practice's own EHR database is written one job at a time, an EHR
//! that answers "too many requests" is left alone until it said, a job given back while
//! the attempt that failed it is still ending is written at once, and the queue's work
//! per job does not grow with the number of jobs queued.

use ehr_e2e::gives_back::GivesBack;
use ehr_e2e::noop::Noop;
use ehr_e2e::{bearer, fixture, revolution_config, TestHome};
use ehr_host::jobs::runner::{self, RunnerConfig};
use ehr_host::jobs::worker::WorkerConfig;
use ehr_host::jobs::{
    NewJob, Queue, RetryPolicy, Sealer, SqliteQueue, Status, StoreHealth, SystemClock,
};
use std::sync::Arc;
use std::time::{Duration, Instant};

struct Rig {
    home: TestHome,
    adapter: Arc<ehr_host::runtime::LoadedAdapter>,
    sealer: Arc<Sealer>,
    snapshot: serde_json::Value,
}

async fn rig() -> Rig {
    // The adapter is only named in reports; nothing is written to this address.
    let url = "http://127.0.0.1:9";
    let home = TestHome::new(&revolution_config(url, &bearer(url, "unused")));
    home.install("revolution").await;
    Rig {
        adapter: Arc::new(home.host().load("revolution").unwrap()),
        home,
        sealer: Arc::new(Sealer::new(&[3; 32])),
        snapshot: serde_json::from_str(
            &std::fs::read_to_string(fixture("snapshot-e5001.json")).unwrap(),
        )
        .unwrap(),
    }
}

impl Rig {
    fn queue(&self, name: &str) -> Arc<SqliteQueue> {
        Arc::new(
            SqliteQueue::open(&self.home.dir.path().join(name), Arc::new(SystemClock)).unwrap(),
        )
    }

    async fn submit(&self, q: &SqliteQueue, id: &str, ehr: &str) {
        let mut s = self.snapshot.clone();
        s["job_id"] = id.into();
        let payload = self.sealer.seal(id, s.to_string().as_bytes()).unwrap();
        q.submit(NewJob::new(id, ehr, payload)).await.unwrap();
    }

    /// Submits `n` jobs of `ehr`, 64 at a time (the store commits those together).
    async fn submit_many(&self, q: &Arc<SqliteQueue>, n: usize, ehr: &str) {
        let mut wave = tokio::task::JoinSet::new();
        for i in 0..n {
            let id = format!("G-{i:06}");
            let mut s = self.snapshot.clone();
            s["job_id"] = id.clone().into();
            let payload = self.sealer.seal(&id, s.to_string().as_bytes()).unwrap();
            let (q, ehr) = (q.clone(), ehr.to_string());
            wave.spawn(async move { q.submit(NewJob::new(id, ehr, payload)).await });
            if wave.len() == 64 {
                while let Some(r) = wave.join_next().await {
                    r.unwrap().unwrap();
                }
            }
        }
        while let Some(r) = wave.join_next().await {
            r.unwrap().unwrap();
        }
    }

    fn worker(&self, max_per_ehr: u32) -> WorkerConfig {
        WorkerConfig {
            host: "runner-test".into(),
            lease: Duration::from_secs(30),
            max_per_ehr,
            policy: RetryPolicy {
                jitter: 0.0,
                ..RetryPolicy::default()
            },
            sealer: self.sealer.clone(),
            retention: Duration::ZERO,
            health: Arc::new(StoreHealth::new("the test queue")),
            shutdown: Default::default(),
            audit: None,
        }
    }
}

/// Runs `noop` over `q` with `concurrency` and `max_per_ehr` until every job succeeded
/// (or `limit` passed), then stops the runner; the time it took.
async fn run_until_done<Q: Queue + 'static>(
    rig: &Rig,
    q: &Arc<Q>,
    noop: &Arc<Noop>,
    concurrency: usize,
    max_per_ehr: u32,
    jobs: usize,
    limit: Duration,
) -> Duration {
    let worker = rig.worker(max_per_ehr);
    let shutdown = worker.shutdown.clone();
    let done = Arc::new(tokio::sync::Notify::new());
    let count = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let (d, c) = (done.clone(), count.clone());
    let t = Instant::now();
    let task = tokio::spawn(runner::run(
        q.clone(),
        noop.clone(),
        worker,
        RunnerConfig::new(concurrency, Duration::from_millis(50)),
        move |p| {
            if p.status == Status::Succeeded
                && c.fetch_add(1, std::sync::atomic::Ordering::SeqCst) + 1 == jobs
            {
                d.notify_one();
            }
        },
    ));
    let _ = tokio::time::timeout(limit, done.notified()).await;
    let took = t.elapsed();
    shutdown.cancel();
    task.await.unwrap();
    took
}

async fn succeeded(q: &SqliteQueue) -> usize {
    q.list(Some(Status::Succeeded)).await.unwrap().len()
}

// Up to `concurrency` writes run at once; each EHR stays within the per-EHR limit.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn many_jobs_in_flight_within_the_per_ehr_limit() {
    let rig = rig().await;
    let hold = Duration::from_millis(100);

    // Two EHRs, at most 3 each: 6 in flight although 8 are allowed.
    let q = rig.queue("two-ehrs.sqlite");
    for i in 0..24 {
        rig.submit(&q, &format!("A-{i}"), "alpha").await;
        rig.submit(&q, &format!("B-{i}"), "beta").await;
    }
    let noop = Arc::new(Noop::new(rig.adapter.clone(), hold));
    run_until_done(&rig, &q, &noop, 8, 3, 48, Duration::from_secs(30)).await;
    assert_eq!(succeeded(&q).await, 48);
    assert_eq!(noop.writes(), 48, "each job written once");
    assert_eq!(noop.most_in_flight_of("alpha"), 3, "alpha within its limit");
    assert_eq!(noop.most_in_flight_of("beta"), 3, "beta within its limit");
    assert_eq!(noop.most_in_flight(), 6, "both EHRs at their limit at once");

    // One EHR with room for more: the runner's own bound, 8.
    let q = rig.queue("one-ehr.sqlite");
    for i in 0..40 {
        rig.submit(&q, &format!("C-{i}"), "alpha").await;
    }
    let noop = Arc::new(Noop::new(rig.adapter.clone(), hold));
    let took = run_until_done(&rig, &q, &noop, 8, 16, 40, Duration::from_secs(30)).await;
    assert_eq!(succeeded(&q).await, 40);
    assert_eq!(noop.most_in_flight(), 8, "8 writes in flight at once");
    // 40 writes of 100 ms, 8 at a time: about 0.5 s; one at a time would be 4 s.
    assert!(took < Duration::from_secs(2), "took {took:?}");

    // An EHR database on the practice network: one at a time, beside a cloud EHR at 4.
    let q = rig.queue("local.sqlite");
    for i in 0..12 {
        rig.submit(&q, &format!("L-{i}"), "local").await;
        rig.submit(&q, &format!("M-{i}"), "alpha").await;
    }
    let noop = Arc::new(Noop::new(rig.adapter.clone(), hold));
    noop.one_at_a_time_for("local");
    run_until_done(&rig, &q, &noop, 8, 4, 24, Duration::from_secs(30)).await;
    assert_eq!(succeeded(&q).await, 24);
    assert_eq!(
        noop.most_in_flight_of("local"),
        1,
        "the local EHR one at a time"
    );
    assert_eq!(
        noop.most_in_flight_of("alpha"),
        4,
        "the cloud EHR beside it"
    );
}

// An EHR answering 429 with Retry-After is left alone for that long: none of its waiting
// jobs is claimed (each would spend an attempt on the same refusal), while another EHR's
// jobs carry on.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rate_limited_ehr_is_left_alone_until_it_says() {
    let rig = rig().await;
    let q = rig.queue("limited.sqlite");
    for i in 0..10 {
        rig.submit(&q, &format!("S-{i:02}"), "slow").await;
    }
    for i in 0..10 {
        rig.submit(&q, &format!("F-{i:02}"), "fast").await;
    }
    let noop = Arc::new(Noop::new(rig.adapter.clone(), Duration::from_millis(20)));
    noop.rate_limit("slow", Some(2));
    let n = noop.clone();
    let serve_again = tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(1000)).await;
        n.rate_limit("slow", None);
    });
    let t0 = Instant::now();
    run_until_done(&rig, &q, &noop, 4, 4, 20, Duration::from_secs(30)).await;
    serve_again.await.unwrap();
    assert_eq!(succeeded(&q).await, 20, "all written in the end");
    let fast = noop.started("fast");
    assert!(
        fast.iter()
            .all(|t| t.duration_since(t0) < Duration::from_millis(1500)),
        "the other EHR was not held back"
    );
    let slow = noop.started("slow");
    let first = slow[0];
    let (burst, later): (Vec<&Instant>, Vec<&Instant>) = slow
        .iter()
        .partition(|t| t.duration_since(first) < Duration::from_millis(500));
    assert!(
        !burst.is_empty() && burst.len() <= 4,
        "only the first claims reached the EHR before it answered: {}",
        burst.len()
    );
    assert!(
        later
            .iter()
            .all(|t| t.duration_since(first) >= Duration::from_millis(1900)),
        "a job of the paused EHR was claimed before its Retry-After passed: {:?}",
        later
            .iter()
            .map(|t| t.duration_since(first))
            .collect::<Vec<_>>()
    );
}

// A job that failed as an adapter bug and was given back (its version rolled back) while
// the task of the attempt that failed it had not ended yet is claimed again at once; that
// claim waits for the earlier attempt to end and then writes the job, rather than leaving
// it claimed until its lease lapses.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_job_given_back_before_its_failed_attempt_ended_is_written() {
    let rig = rig().await;
    let path = rig.home.dir.path().join("given-back.sqlite");
    let q = Arc::new(GivesBack::new(
        SqliteQueue::open(&path, Arc::new(SystemClock)).unwrap(),
        "alpha",
        &rig.adapter.hash,
        Duration::from_millis(500),
    ));
    rig.submit(q.inner(), "GB-1", "alpha").await;
    let noop = Arc::new(Noop::new(rig.adapter.clone(), Duration::ZERO));
    noop.crash_next_write_of("alpha");
    // The rig's lease is 30 s: a claim left alone would hold the job that long.
    let took = run_until_done(&rig, &q, &noop, 4, 4, 1, Duration::from_secs(10)).await;
    let job = q.inner().get("GB-1").await.unwrap();
    assert_eq!(
        (job.status, job.given_back, job.attempts),
        (Status::Succeeded, true, 2),
        "written on its second attempt, after {took:?}; still {:?} by {:?}",
        job.status,
        job.claimed_by
    );
    assert_eq!(noop.writes(), 2, "written once more, not twice more");
}

/// The SQLite virtual machine steps per job of a run of `jobs` no-op jobs.
async fn steps_per_job(rig: &Rig, jobs: usize) -> f64 {
    let q = rig.queue(&format!("growth-{jobs}.sqlite"));
    rig.submit_many(&q, jobs, "alpha").await;
    let steps = q.count_steps();
    let noop = Arc::new(Noop::new(rig.adapter.clone(), Duration::ZERO));
    // More in flight than the per-EHR limit: claims meet the EHR at its limit with every
    // other job still pending, the case that once read them all.
    let t = Instant::now();
    run_until_done(rig, &q, &noop, 8, 4, jobs, Duration::from_secs(120)).await;
    let took = t.elapsed();
    assert_eq!(succeeded(&q).await, jobs);
    let per_job = steps.load(std::sync::atomic::Ordering::Relaxed) as f64 / jobs as f64;
    println!(
        "{jobs:6} jobs: {per_job:8.0} SQLite steps per job, {:.0} µs per job",
        took.as_secs_f64() * 1e6 / jobs as f64
    );
    per_job
}

// The queue's work per job stays flat as the queue grows: 300 and 3,000 jobs queued at
// once cost the same SQLite steps per job, within noise; with `JOBS_GROWTH_30000` set,
// 30,000 too (39 s in a debug build on an idle machine, 130 s beside other builds, so
// not by default; the jobs bench runs 30,000 every time).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn queue_work_per_job_does_not_grow_with_the_queue() {
    let rig = rig().await;
    let small = steps_per_job(&rig, 300).await;
    let mut sizes = vec![3_000];
    if std::env::var_os("JOBS_GROWTH_30000").is_some() {
        sizes.push(30_000);
    }
    for jobs in sizes {
        let big = steps_per_job(&rig, jobs).await;
        assert!(
            big < small * 1.5,
            "{jobs} jobs cost {big:.0} SQLite steps per job against {small:.0} for 300: the queue's work grows with its size"
        );
    }
}
