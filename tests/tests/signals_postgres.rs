//! The alert store on PostgreSQL, against a server the test starts: the same suite the
//! SQLite alert store passes (one alert per incident, resolved once, a second opener
//! refused by the unique index, dismissals that return when worse, the webhook outbox).

use ehr_e2e::postgres::PostgresServer;
use ehr_host::alerts::store::{conformance, PgAlerts};
use std::sync::atomic::{AtomicU32, Ordering};

static DB: AtomicU32 = AtomicU32::new(0);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn alert_store_conformance() {
    let server = PostgresServer::start();
    let server = &server;
    conformance::run_all(|| async move {
        let conn = server
            .fresh_database(&format!("alerts_{}", DB.fetch_add(1, Ordering::Relaxed)))
            .await;
        PgAlerts::connect(&conn).await.unwrap()
    })
    .await;
}
