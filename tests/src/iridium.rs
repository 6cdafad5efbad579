//! An `iridium_server` (a SQL Server emulator speaking TDS, from crates.io) of the test's
//! own: a fresh data directory (persistent, so a killed server restarts with exactly
//! what was committed), a free loopback port, started and waited for, stopped or killed
//! by its PID. Loaded with the officemate schema and seed data, with a `doctora` account
//! whose password only the host's config knows.
//!
//! The test side talks to it through the host's own SQL Server driver (tiberius), so
//! every check also exercises that driver. A missing server binary is a failure that
//! says how to install it, never a skip.

use crate::mariadb::free_port;
use crate::{root, TempDir};
use ehr_host::capabilities::sql::databases::{Database, Databases};
use ehr_host::capabilities::sql::{SqlValue, Want};
use ehr_host::config::DatabaseConfig;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The account the host connects as.
pub const USER: &str = "doctora";
/// Its password: it must never appear anywhere an adapter can see.
pub const PASSWORD: &str = "pw-Om4-never-shown-to-guests";
/// The database holding the officemate schema.
pub const DATABASE: &str = "officemate";

/// A running (or deliberately stopped) emulator.
pub struct Iridium {
    dir: TempDir,
    port: u16,
    child: Option<Child>,
    client: Databases,
}

fn binary() -> PathBuf {
    let p = root().join("tests/.tools/iridium/bin/iridium-server");
    assert!(
        p.is_file(),
        "iridium_server is not installed at {}: run `bash tests/setup.sh` (it runs \
         `cargo install --locked iridium_server --root tests/.tools/iridium`)",
        p.display()
    );
    p
}

impl Iridium {
    /// Starts a server on a fresh data directory and loads `schema.sql` and `seed.sql`
    /// from `sql_dir`.
    pub async fn start(sql_dir: &Path) -> Iridium {
        let dir = TempDir::new("iridium");
        let port = free_port();
        let mut db = Iridium {
            client: Databases::from_config(&[("check".to_string(), config(port, PASSWORD))].into()),
            dir,
            port,
            child: None,
        };
        db.restart().await;
        for file in ["schema.sql", "seed.sql"] {
            let path = sql_dir.join(file);
            let sql = std::fs::read_to_string(&path)
                .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            for statement in statements(&sql) {
                db.try_sql(&statement)
                    .await
                    .unwrap_or_else(|e| panic!("{}: {e}\n{statement:.300}", path.display()));
            }
        }
        db
    }

    /// Starts the server on the existing data directory and port, and waits until it
    /// accepts a login (at most a minute, then fails with its log).
    pub async fn restart(&mut self) {
        assert!(self.child.is_none(), "the server is already running");
        let log = std::fs::File::create(self.dir.path().join("server.log")).unwrap();
        let child = Command::new(binary())
            .args(["--host", "127.0.0.1", "--no-tls"])
            .args(["--port", &self.port.to_string()])
            .arg("--data-dir")
            .arg(self.dir.path().join("data"))
            .args(["-u", USER, "-P", PASSWORD, "-d", DATABASE])
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("starting iridium-server");
        self.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if self.try_sql("SELECT 1").await.is_ok() {
                return;
            }
            if let Some(status) = self.child.as_mut().unwrap().try_wait().unwrap() {
                panic!("iridium-server exited with {status}: {}", self.log());
            }
            assert!(
                Instant::now() < deadline,
                "iridium-server did not accept a login within 60s: {}",
                self.log()
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Kills the server at once (SIGKILL, like a crash or a pulled cable) and waits for
    /// it to be gone. What was not committed is gone with it.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("server.log")).unwrap_or_default()
    }

    async fn try_sql(&self, sql: &str) -> Result<Vec<Vec<SqlValue>>, String> {
        let Database::Mssql(db) = self.client.get("check").map_err(|e| e.to_string())? else {
            unreachable!("the test client is configured as SQL Server")
        };
        db.run(None, Want::Rows, sql, &[])
            .await
            .map(|(rows, _)| rows.rows)
            .map_err(|e| e.to_string())
    }

    /// Runs one statement; returns the rows tab-separated, one per line (NULL as `NULL`).
    pub async fn sql(&self, sql: &str) -> String {
        let rows = self
            .try_sql(sql)
            .await
            .unwrap_or_else(|e| panic!("SQL failed: {e}\n{sql:.300}"));
        rows.iter()
            .map(|r| r.iter().map(cell).collect::<Vec<_>>().join("\t"))
            .collect::<Vec<_>>()
            .join("\n")
    }

    /// The single value (or tab-separated row) a query returns.
    pub async fn scalar(&self, sql: &str) -> String {
        self.sql(sql).await.trim().to_string()
    }

    /// The `[databases.<label>]` section of a host config for this server.
    pub fn config_section(&self, label: &str) -> String {
        format!(
            "[databases.{label}]\ndriver = \"mssql\"\nhost = \"127.0.0.1\"\nport = {}\ndatabase = \"{DATABASE}\"\nuser = \"{USER}\"\npassword = \"{PASSWORD}\"\n# iridium_server has no TLS in this set-up; real OfficeMate servers keep the default.\nencryption = \"none\"\nconnect_timeout_secs = 5\nquery_timeout_secs = 20\n",
            self.port
        )
    }
}

fn config(port: u16, password: &str) -> DatabaseConfig {
    serde_json::from_value(serde_json::json!({
        "driver": "mssql", "host": "127.0.0.1", "port": port, "database": DATABASE,
        "user": USER, "password": password, "encryption": "none", "connect_timeout_secs": 2,
    }))
    .expect("a valid database config")
}

/// The statements of a SQL file: split at `;` ending a line, comments dropped.
fn statements(sql: &str) -> Vec<String> {
    let text: String = sql
        .lines()
        .filter(|l| !l.trim_start().starts_with("--"))
        .collect::<Vec<_>>()
        .join("\n");
    text.split(";\n")
        .map(|s| s.trim().trim_end_matches(';').trim().to_string())
        .filter(|s| !s.is_empty())
        .collect()
}

fn cell(v: &SqlValue) -> String {
    match v {
        SqlValue::Null => "NULL".into(),
        SqlValue::Int(i) => i.to_string(),
        SqlValue::Float(f) => f.to_string(),
        SqlValue::Boolean(b) => u8::from(*b).to_string(),
        SqlValue::Bytes(b) => format!("{b:?}"),
        SqlValue::Decimal(s) | SqlValue::Text(s) | SqlValue::Date(s) | SqlValue::Datetime(s) => {
            s.clone()
        }
    }
}

impl Drop for Iridium {
    fn drop(&mut self) {
        self.kill();
    }
}
