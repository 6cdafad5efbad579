//! A person's cancel while a job is being written, at each step of the write, on both
//! cloud adapters and a local one; and a write that fails part-way. In every case the job
//! ends saying exactly what is in the chart, checked against the EHR itself.

use ehr_e2e::cloud::{self, Auth, Target, EYEFINITY, REVOLUTION};
use ehr_e2e::mariadb::MariaDb;
use ehr_e2e::{fixture, root, TestHome};
use ehr_host::jobs::worker::{step, Adapters, Processed, WorkerConfig};
use ehr_host::jobs::{
    CancelOutcome, Clock, NewJob, Queue, RetryPolicy, Sealer, SqliteQueue, Status, StoreHealth,
    SystemClock,
};
use ehr_host::report::{FieldOutcome, Landed, Outcome, WriteReport};
use ehr_host::runtime::bindings::latest::{EncounterSnapshot, WriteResult};
use ehr_host::runtime::{CallError, JobControl, LoadedAdapter};
use ehr_sandbox::{Fault, FaultMode, Sandbox};
use std::sync::Arc;
use std::time::{Duration, Instant};

struct One(Arc<LoadedAdapter>);

impl Adapters for One {
    async fn write(
        &self,
        _: &str,
        s: EncounterSnapshot,
        control: Arc<JobControl>,
    ) -> Option<(Arc<LoadedAdapter>, Result<WriteResult, CallError>)> {
        Some((self.0.clone(), self.0.write_job(s, control).await))
    }
}

/// A queue with one job for `ehr` holding `snapshot`, and a worker for it.
struct Rig {
    queue: Arc<SqliteQueue>,
    adapters: Arc<One>,
    config: WorkerConfig,
    _home: TestHome,
}

impl Rig {
    async fn new(home: TestHome, ehr: &str, snapshot: &str) -> Rig {
        let adapter = Arc::new(home.host().load(ehr).unwrap());
        let queue = Arc::new(
            SqliteQueue::open(&home.dir.path().join("jobs.sqlite"), Arc::new(SystemClock)).unwrap(),
        );
        let config = WorkerConfig {
            host: "agent".into(),
            lease: Duration::from_secs(30),
            max_per_ehr: 4,
            policy: RetryPolicy::default(),
            sealer: Arc::new(Sealer::new(&[3; 32])),
            retention: Duration::ZERO,
            health: Arc::new(StoreHealth::new("the test queue")),
            shutdown: Default::default(),
            audit: None,
        };
        let text = std::fs::read_to_string(snapshot).unwrap();
        let id = ehr_host::snapshot::parse(&text).unwrap().job_id;
        let payload = config.sealer.seal(&id, text.as_bytes()).unwrap();
        queue.submit(NewJob::new(id, ehr, payload)).await.unwrap();
        Rig {
            queue,
            adapters: Arc::new(One(adapter)),
            config,
            _home: home,
        }
    }

    /// Runs one step in the background.
    fn start(&self) -> tokio::task::JoinHandle<Processed> {
        let (queue, adapters, config) = (
            self.queue.clone(),
            self.adapters.clone(),
            self.config.clone(),
        );
        tokio::spawn(async move {
            step(queue.as_ref(), adapters.as_ref(), &config, &SystemClock)
                .await
                .unwrap()
                .unwrap()
        })
    }

    async fn job_id(&self) -> String {
        self.queue.list(None).await.unwrap()[0].id.clone()
    }

    /// Waits until the job is being written (and `then` longer), then cancels it: a
    /// request, not yet a fact.
    async fn cancel_while_claimed(&self, then: Duration) {
        let id = self.job_id().await;
        wait_until(|| async { self.queue.get(&id).await.unwrap().status == Status::Claimed }).await;
        tokio::time::sleep(then).await;
        assert_eq!(
            self.queue.cancel(&id).await.unwrap(),
            CancelOutcome::Requested
        );
    }

    /// The job ended cancelled with nothing in the chart: its report says so, or it has
    /// none because the cancel came before the adapter was called.
    async fn expect_cancelled_with_nothing_written(&self) {
        let id = self.job_id().await;
        let job = self.queue.get(&id).await.unwrap();
        assert_eq!(
            job.error.unwrap().kind,
            ehr_host::remediation::RemediationKind::Cancelled
        );
        if let Some(report) = job.report {
            assert_eq!(
                (report.outcome, report.landed, report.written),
                (Outcome::Cancelled, Landed::Nothing, 0)
            );
            assert!(report
                .fields
                .iter()
                .all(|f| f.outcome == FieldOutcome::NotWritten));
        }
    }

    async fn report(&self) -> WriteReport {
        let id = self.job_id().await;
        self.queue.get(&id).await.unwrap().report.expect("a report")
    }
}

async fn wait_until<F: std::future::Future<Output = bool>>(mut cond: impl FnMut() -> F) {
    let until = Instant::now() + Duration::from_secs(30);
    while !cond().await {
        assert!(Instant::now() < until, "timed out waiting");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

fn written_fields(r: &WriteReport) -> Vec<String> {
    r.fields
        .iter()
        .filter(|f| f.is_written())
        .map(|f| f.field.clone())
        .collect()
}

async fn cloud_rig(target: &Target, fault: Fault) -> (Sandbox, Rig) {
    let (sandbox, home) = cloud::setup(target, Auth::Bearer, None).await;
    sandbox.set_fault(fault);
    let rig = Rig::new(
        home,
        target.adapter,
        fixture(target.fixture).to_str().unwrap(),
    )
    .await;
    (sandbox, rig)
}

// Step 1, before anything is written (the encounter is still being read): the job ends
// cancelled, nothing is in the chart, and the EHR got no write. The cancel may also land
// before the adapter was even called (then there is no report: nothing was sent).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancel_before_any_write() {
    for target in [&REVOLUTION, &EYEFINITY] {
        println!("{}", target.adapter);
        let slow_read =
            Fault::new(FaultMode::Slow { delay_ms: 1500 }).on_path(target.encounter_path);
        let (sandbox, rig) = cloud_rig(target, slow_read).await;
        let running = rig.start();
        rig.cancel_while_claimed(Duration::from_millis(300)).await;
        assert_eq!(running.await.unwrap().status, Status::Cancelled);
        rig.expect_cancelled_with_nothing_written().await;
        let applied: u32 = sandbox
            .state()
            .encounters
            .values()
            .map(|e| e.applied_writes)
            .sum();
        assert_eq!(applied, 0, "{}: a write reached the EHR", target.adapter);
    }
}

// Step 2, between sections (RevolutionEHR writes section by section): the write stops
// before its next section; the report names exactly the fields of the sections that
// landed, and they are the sections the EHR has.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancel_between_sections_reports_what_landed() {
    let slow_writes = Fault::new(FaultMode::Slow { delay_ms: 600 }).on_path(REVOLUTION.write_path);
    let (sandbox, rig) = cloud_rig(&REVOLUTION, slow_writes).await;
    let running = rig.start();
    wait_until(|| async { sandbox.state().encounters["E5001"].applied_writes >= 1 }).await;
    let id = rig.job_id().await;
    assert_eq!(
        rig.queue.cancel(&id).await.unwrap(),
        CancelOutcome::Requested
    );
    assert_eq!(running.await.unwrap().status, Status::Cancelled);
    let report = rig.report().await;
    assert_eq!(
        (report.outcome, report.landed),
        (Outcome::Cancelled, Landed::Partly)
    );
    let e = &sandbox.state().encounters["E5001"];
    let written = written_fields(&report);
    assert!(!written.is_empty() && report.not_written > 0, "{report:#?}");
    for f in &report.fields {
        let section = match &f.outcome {
            FieldOutcome::Written { target } => target
                .as_deref()
                .unwrap()
                .split('.')
                .next()
                .unwrap()
                .to_string(),
            _ => continue,
        };
        assert!(
            e.sections.contains_key(&section),
            "{} reported written but {section} is not in the EHR",
            f.field
        );
    }
    assert!(
        e.notes.is_empty(),
        "the note (the last write) must not have been sent"
    );
    assert!(
        report.render().contains("Part of this job is in the chart"),
        "{}",
        report.render()
    );
}

// Step 3, around the last request (Eyefinity writes one document, slowly): a request
// already sent cannot be called back. Whichever side of it the cancel falls, the job's
// answer matches the EHR: succeeded with the document there, or cancelled with nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancel_around_the_last_write_never_claims_what_did_not_happen() {
    let slow_doc = Fault::new(FaultMode::Slow { delay_ms: 2000 }).on_path(EYEFINITY.write_path);
    let (sandbox, rig) = cloud_rig(&EYEFINITY, slow_doc).await;
    let running = rig.start();
    let id = rig.job_id().await;
    wait_until(|| async { rig.queue.get(&id).await.unwrap().status == Status::Claimed }).await;
    tokio::time::sleep(Duration::from_millis(700)).await;
    let requested = rig.queue.cancel(&id).await;
    let status = running.await.unwrap().status;
    let applied = sandbox.state().encounters["V-9001"].applied_writes;
    let report = rig.report().await;
    match status {
        Status::Succeeded | Status::SucceededWithWarnings => {
            assert!(applied > 0, "reported written, but the EHR has nothing");
            assert_eq!(report.landed, Landed::Complete);
        }
        Status::Cancelled => {
            assert_eq!(
                applied, 0,
                "reported cancelled with nothing written, but the EHR has the document"
            );
            assert_eq!(report.landed, Landed::Nothing);
        }
        other => panic!("unexpected {other:?} (cancel: {requested:?})"),
    }
}

// A local EHR: the cancel arrives while the adapter is inside its transaction (paused after
// its first statement): the transaction is rolled back, the job ends cancelled with
// nothing in the chart, and the database holds no row of it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancel_inside_a_local_transaction_rolls_back() {
    let db = MariaDb::start(&root().join("adapters/crystalpm/sql"));
    let config = format!(
        "[limits]\ntimeout_secs = 60\n\n{}\n[adapters.crystalpm]\ndatabases = [\"crystalpm\"]\n\n[adapters.crystalpm.settings]\ndebug_pause_after_first_write_secs = \"3\"\n",
        db.config_section("crystalpm")
    );
    let home = TestHome::new(&config);
    home.install("crystalpm").await;
    let rows = || {
        db.sql("SELECT * FROM ehr_va; SELECT * FROM ehr_iop; SELECT * FROM ehr_refraction; SELECT * FROM ehr_diagnoses; SELECT ehr_id, chief_complaint, hpi FROM ehr_file")
    };
    let before = rows();
    let rig = Rig::new(
        home,
        "crystalpm",
        fixture("snapshot-local-5001.json").to_str().unwrap(),
    )
    .await;
    let running = rig.start();
    // The adapter pauses 3 s inside its transaction after the first statement.
    rig.cancel_while_claimed(Duration::from_millis(1500)).await;
    assert_eq!(running.await.unwrap().status, Status::Cancelled);
    rig.expect_cancelled_with_nothing_written().await;
    assert_eq!(db.scalar("SELECT COUNT(*) FROM doctora_jobs"), "0");
    assert_eq!(
        rows(),
        before,
        "a row of the cancelled job is in the database"
    );
}

// A write that fails after some sections landed (the EHR down for the last request): the
// report lists what is in the chart and what is not, says so in plain words, and the
// retry writes the rest without writing anything twice.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failure_part_way_says_what_is_in_the_chart() {
    let note_down = Fault::new(FaultMode::Unavailable).on_path(REVOLUTION.last_write_path);
    let (sandbox, rig) = cloud_rig(&REVOLUTION, note_down).await;
    assert_eq!(
        rig.start().await.unwrap().status,
        Status::Pending,
        "a 503 is retried"
    );
    let report = rig.report().await;
    assert_eq!(
        (report.outcome, report.landed),
        (Outcome::Failed, Landed::Partly)
    );
    let missing: Vec<&str> = report
        .fields
        .iter()
        .filter(|f| f.outcome == FieldOutcome::NotWritten)
        .map(|f| f.field.as_str())
        .collect();
    assert!(missing.contains(&"notes"), "{missing:?}");
    let text = report.render();
    assert!(
        text.contains("Part of this job is in the chart")
            && text.contains("A retry writes the rest"),
        "{text}"
    );
    let applied = sandbox.state().encounters["E5001"].applied_writes;
    sandbox.clear_fault();
    let id = rig.job_id().await;
    let job = rig.queue.get(&id).await.unwrap();
    // Run the retry now rather than after the backoff.
    let due = job.next_attempt_ms;
    wait_until(|| async { SystemClock.now_ms() >= due }).await;
    assert!(matches!(
        rig.start().await.unwrap().status,
        Status::Succeeded | Status::SucceededWithWarnings
    ));
    let e = &sandbox.state().encounters["E5001"];
    assert_eq!(e.notes.len(), 1);
    assert_eq!(
        e.applied_writes,
        applied + 1,
        "only the note was written by the retry"
    );
}
