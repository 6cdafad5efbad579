//! The job worker end to end: a SQLite queue, the real revolution component and the
//! RevolutionEHR sandbox, with a clock the test moves. Checks the lifecycle users see
//! and that the EHR receives each job's data exactly once.

use ehr_e2e::{bearer, fixture, revolution_config, TestHome};
use ehr_host::jobs::worker::{step, Adapters, WorkerConfig};
use ehr_host::jobs::{
    Alert, Clock, ManualClock, NewJob, Queue, RetryPolicy, Sealer, SqliteQueue, Status, StoreHealth,
};
use ehr_host::remediation::RemediationKind;
use ehr_host::runtime::bindings::latest::{EncounterSnapshot, WriteResult};
use ehr_host::runtime::{CallError, JobControl, LoadedAdapter};
use ehr_sandbox::{Fault, FaultMode, Sandbox, SandboxConfig};
use std::sync::Arc;
use std::time::Duration;

struct One(Arc<LoadedAdapter>);

impl Adapters for One {
    async fn write(
        &self,
        ehr: &str,
        snapshot: EncounterSnapshot,
        control: Arc<JobControl>,
    ) -> Option<(Arc<LoadedAdapter>, Result<WriteResult, CallError>)> {
        if ehr != "revolution" {
            return None;
        }
        Some((self.0.clone(), self.0.write_job(snapshot, control).await))
    }
}

struct Rig {
    sandbox: Sandbox,
    _home: TestHome,
    queue: SqliteQueue,
    clock: Arc<ManualClock>,
    adapters: One,
    config: WorkerConfig,
}

async fn rig() -> Rig {
    let sandbox = Sandbox::start(SandboxConfig::default()).await.unwrap();
    let url = sandbox.url();
    let home = TestHome::new(&revolution_config(&url, &bearer(&url, "sandbox-token")));
    home.install("revolution").await;
    let adapter = Arc::new(home.host().load("revolution").unwrap());
    let clock = Arc::new(ManualClock::at(1_700_000_000_000));
    let queue = SqliteQueue::open(&home.dir.path().join("jobs.sqlite"), clock.clone()).unwrap();
    let config = WorkerConfig {
        host: "agent-1".into(),
        lease: Duration::from_secs(30),
        max_per_ehr: 4,
        policy: RetryPolicy {
            jitter: 0.0,
            ..RetryPolicy::default()
        },
        sealer: Arc::new(Sealer::new(&[9; 32])),
        retention: Duration::ZERO,
        health: Arc::new(StoreHealth::new("the test queue")),
        shutdown: Default::default(),
        audit: None,
    };
    Rig {
        sandbox,
        _home: home,
        queue,
        clock,
        adapters: One(adapter),
        config,
    }
}

fn snapshot() -> Vec<u8> {
    std::fs::read(fixture("snapshot-e5001.json")).unwrap()
}

impl Rig {
    async fn submit(&self) {
        let id = "J-2026-11-21-0001";
        let job = NewJob::new(
            id,
            "revolution",
            self.config.sealer.seal(id, &snapshot()).unwrap(),
        );
        self.queue.submit(job).await.unwrap();
    }

    async fn step(&self) -> Option<ehr_host::jobs::worker::Processed> {
        step(
            &self.queue,
            &self.adapters,
            &self.config,
            self.clock.as_ref() as &dyn Clock,
        )
        .await
        .unwrap()
    }
}

// A submitted job is written, recorded as succeeded with warnings (two fields skipped),
// its snapshot removed from the queue, and nothing more is due.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn job_is_written_and_recorded() {
    let r = rig().await;
    r.submit().await;
    let p = r.step().await.unwrap();
    assert_eq!((p.status, p.alert), (Status::SucceededWithWarnings, None));
    let job = r.queue.get(&p.id).await.unwrap();
    assert_eq!(job.payload, None);
    let report = job.report.unwrap();
    assert_eq!((report.encounter_id.as_str(), report.skipped), ("E5001", 2));
    assert!(r.step().await.is_none());
    assert_eq!(r.sandbox.state().encounters["E5001"].notes.len(), 1);
}

// A 503 is retried automatically after the backoff delay, not before; one alert when it
// starts failing and one when it recovers; the chart receives the note once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retryable_failure_backs_off_then_recovers() {
    let r = rig().await;
    r.sandbox
        .set_fault(Fault::once(FaultMode::Unavailable).on_path("/exam/"));
    r.submit().await;
    let p = r.step().await.unwrap();
    assert_eq!((p.status, p.alert), (Status::Pending, Some(Alert::Failing)));
    let job = r.queue.get(&p.id).await.unwrap();
    let error = job.error.unwrap();
    assert_eq!(error.kind, RemediationKind::EhrInternal);
    assert!(
        matches!(
            error.next,
            ehr_host::remediation::NextStep::RetryAutomatically { attempt: 1, .. }
        ),
        "{error:?}"
    );
    assert!(r.step().await.is_none(), "retried before its backoff delay");
    r.clock.advance(RetryPolicy::default().base_delay);
    let p = r.step().await.unwrap();
    assert_eq!(
        (p.status, p.alert),
        (Status::SucceededWithWarnings, Some(Alert::Recovered))
    );
    assert_eq!(r.queue.get(&p.id).await.unwrap().attempts, 2);
    assert_eq!(r.sandbox.state().encounters["E5001"].notes.len(), 1);
}

// An expired session needs a person: the job waits in failed with the seed's advice;
// after the person fixes it and presses retry, it is written.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn session_expired_waits_for_a_person() {
    let r = rig().await;
    r.sandbox.expire_tokens();
    r.submit().await;
    let p = r.step().await.unwrap();
    assert_eq!(p.status, Status::Failed);
    let job = r.queue.get(&p.id).await.unwrap();
    let error = job.error.unwrap();
    assert!(error.advice.contains("Replace the token"), "{error:?}");
    assert_eq!(error.next, ehr_host::remediation::NextStep::WaitForPerson);
    r.clock.advance(Duration::from_secs(3600));
    assert!(
        r.step().await.is_none(),
        "a needs-a-person failure is not retried on its own"
    );
    r.sandbox.reset();
    r.queue.retry(&p.id).await.unwrap();
    assert_eq!(
        r.step().await.unwrap().status,
        Status::SucceededWithWarnings
    );
}

// The host dies after its write landed but before it recorded success: the lease lapses,
// another host takes the job over, and the EHR does not get the data twice (the job id
// is the idempotency key), while the job ends succeeded.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn takeover_after_a_crash_writes_once() {
    let r = rig().await;
    r.submit().await;
    let dead = r
        .queue
        .claim("agent-dead", Duration::from_secs(30), 4)
        .await
        .unwrap()
        .unwrap();
    let plain = r
        .config
        .sealer
        .open(&dead.id, dead.payload.as_deref().unwrap())
        .unwrap();
    let snapshot = ehr_host::snapshot::parse(&String::from_utf8(plain).unwrap()).unwrap();
    r.adapters.0.write_encounter(snapshot).await.unwrap();
    let applied = r.sandbox.state().encounters["E5001"].applied_writes;
    r.clock.advance(Duration::from_secs(31));
    let p = r.step().await.unwrap();
    assert_eq!(p.status, Status::SucceededWithWarnings);
    let job = r.queue.get(&p.id).await.unwrap();
    assert_eq!(job.attempts, 2);
    assert!(job.report.unwrap().replayed);
    let e = &r.sandbox.state().encounters["E5001"];
    assert_eq!((e.applied_writes, e.notes.len()), (applied, 1));
}

// A job cancelled while pending is never attempted; a job for an EHR with no adapter
// waits for a person with advice naming the adapter; a payload that does not open fails
// the job with nothing written.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancelled_and_missing_adapter() {
    let r = rig().await;
    r.submit().await;
    r.queue.cancel("J-2026-11-21-0001").await.unwrap();
    assert!(r.step().await.is_none());
    assert!(r.sandbox.state().requests.is_empty());

    let job = NewJob::new(
        "J-2",
        "officemate",
        r.config.sealer.seal("J-2", &snapshot()).unwrap(),
    );
    r.queue.submit(job).await.unwrap();
    let p = r.step().await.unwrap();
    assert_eq!(p.status, Status::Failed);
    let error = r.queue.get("J-2").await.unwrap().error.unwrap();
    assert!(
        error.advice.contains("Install the `officemate` adapter"),
        "{error:?}"
    );

    // A payload that is not sealed (or was altered) fails the job, nothing written.
    let job = NewJob::new("J-3", "revolution", snapshot());
    r.queue.submit(job).await.unwrap();
    assert_eq!(r.step().await.unwrap().status, Status::Failed);
    let error = r.queue.get("J-3").await.unwrap().error.unwrap();
    assert_eq!(error.kind, RemediationKind::SnapshotUnreadable);
    assert!(error.detail.contains("not sealed"), "{error:?}");
    assert!(r.sandbox.state().requests.is_empty());
}
