//! A MariaDB server of the test's own: a fresh data directory, a free loopback port, a
//! socket in the temp dir, started and waited for, stopped (or killed) by its PID. Never
//! the machine's system server. Loaded with the crystalpm schema and seed data, with a
//! `doctora` account whose password only the host's config knows.
//!
//! A missing MariaDB is a failure that says how to install it, never a skip.

use crate::TempDir;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The account the host connects as.
pub const USER: &str = "doctora";
/// Its password: it must never appear anywhere an adapter can see.
pub const PASSWORD: &str = "pw-Xq7-never-shown-to-guests";
/// The database holding the crystalpm schema.
pub const DATABASE: &str = "crystalpm";

/// A running (or deliberately stopped) MariaDB server.
pub struct MariaDb {
    dir: TempDir,
    port: u16,
    child: Option<Child>,
}

fn find(names: &[&str]) -> PathBuf {
    for name in names {
        for dir in ["/usr/sbin", "/usr/bin", "/usr/local/sbin", "/usr/local/bin"] {
            let p = Path::new(dir).join(name);
            if p.is_file() {
                return p;
            }
        }
    }
    panic!(
        "MariaDB is not installed (looked for {names:?}): run `bash tests/setup.sh` as root, \
         or `apt-get install -y mariadb-server mariadb-client`"
    )
}

/// A free TCP port on 127.0.0.1.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

impl MariaDb {
    /// Initialises a data directory, starts the server, and loads `schema.sql` and
    /// `seed.sql` from `sql_dir` into database [`DATABASE`].
    pub fn start(sql_dir: &Path) -> MariaDb {
        // Parallel bootstraps in one process collide on temporary tables: one at a time,
        // each with a temporary directory of its own.
        static BOOTSTRAP: std::sync::Mutex<()> = std::sync::Mutex::new(());
        let dir = TempDir::new("mariadb");
        std::fs::create_dir_all(dir.path().join("tmp")).unwrap();
        let guard = BOOTSTRAP.lock().unwrap_or_else(|e| e.into_inner());
        let out = Command::new(find(&["mariadb-install-db", "mysql_install_db"]))
            .args(["--no-defaults", "--user=root", "--skip-test-db"])
            .arg("--auth-root-authentication-method=normal")
            .arg(format!("--datadir={}", dir.path().join("data").display()))
            .arg(format!("--tmpdir={}", dir.path().join("tmp").display()))
            .output()
            .expect("running mariadb-install-db");
        drop(guard);
        assert!(
            out.status.success(),
            "mariadb-install-db failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let mut db = MariaDb {
            dir,
            port: free_port(),
            child: None,
        };
        db.restart();
        let mut setup = format!("CREATE DATABASE {DATABASE};");
        // The server may see a loopback client as `127.0.0.1` or as `localhost`.
        for host in ["127.0.0.1", "localhost"] {
            setup.push_str(&format!(
                "CREATE USER '{USER}'@'{host}' IDENTIFIED BY '{PASSWORD}'; \
                 GRANT SELECT, INSERT, UPDATE, DELETE ON {DATABASE}.* TO '{USER}'@'{host}';"
            ));
        }
        db.root_sql(&setup);
        for file in ["schema.sql", "seed.sql"] {
            let sql = std::fs::read_to_string(sql_dir.join(file))
                .unwrap_or_else(|e| panic!("{}: {e}", sql_dir.join(file).display()));
            db.sql(&sql);
        }
        db
    }

    /// The port it listens on.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Starts the server on the existing data directory and port, and waits until it
    /// answers (at most a minute, then fails with its error log).
    pub fn restart(&mut self) {
        assert!(self.child.is_none(), "the server is already running");
        let d = self.dir.path();
        let child = Command::new(find(&["mariadbd", "mysqld"]))
            .args(["--no-defaults", "--user=root", "--bind-address=127.0.0.1"])
            .args(["--skip-log-bin", "--innodb-buffer-pool-size=32M"])
            .arg(format!("--datadir={}", d.join("data").display()))
            .arg(format!("--tmpdir={}", d.join("tmp").display()))
            .arg(format!("--socket={}", d.join("mysqld.sock").display()))
            .arg(format!("--pid-file={}", d.join("mysqld.pid").display()))
            .arg(format!("--log-error={}", d.join("error.log").display()))
            .arg(format!("--port={}", self.port))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("starting mariadbd");
        self.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if self
                .client(&["-uroot"])
                .arg("-e")
                .arg("SELECT 1")
                .output()
                .is_ok_and(|o| o.status.success())
            {
                return;
            }
            if let Some(status) = self.child.as_mut().unwrap().try_wait().unwrap() {
                panic!("mariadbd exited with {status}: {}", self.error_log());
            }
            assert!(
                Instant::now() < deadline,
                "mariadbd did not answer within 60s: {}",
                self.error_log()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Kills the server at once (SIGKILL, like a crash or a pulled cable) and waits for
    /// it to be gone. Uncommitted transactions are rolled back on the next start.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    fn error_log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("error.log")).unwrap_or_default()
    }

    fn client(&self, auth: &[&str]) -> Command {
        let mut c = Command::new(find(&["mariadb", "mysql"]));
        c.args(["--no-defaults", "--protocol=tcp", "-h127.0.0.1", "-N", "-B"])
            .arg(format!("-P{}", self.port))
            .args(auth);
        c
    }

    fn root_sql(&self, sql: &str) -> String {
        self.run(&["-uroot"], sql)
    }

    fn run(&self, auth: &[&str], sql: &str) -> String {
        use std::io::Write;
        let mut child = self
            .client(auth)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("running the mariadb client");
        child
            .stdin
            .take()
            .unwrap()
            .write_all(sql.as_bytes())
            .unwrap();
        let out = child.wait_with_output().unwrap();
        assert!(
            out.status.success(),
            "SQL failed: {}\n{}",
            String::from_utf8_lossy(&out.stderr),
            sql.chars().take(300).collect::<String>()
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Runs SQL as root in [`DATABASE`]; returns the rows tab-separated, one per line.
    pub fn sql(&self, sql: &str) -> String {
        self.run(&["-uroot", DATABASE], sql)
    }

    /// The single value a query returns, as text.
    pub fn scalar(&self, sql: &str) -> String {
        self.sql(sql).trim().to_string()
    }

    /// The `[databases.crystalpm]` section of a host config for this server.
    pub fn config_section(&self, label: &str) -> String {
        format!(
            "[databases.{label}]\ndriver = \"mysql\"\nhost = \"127.0.0.1\"\nport = {}\ndatabase = \"{DATABASE}\"\nuser = \"{USER}\"\npassword = \"{PASSWORD}\"\nconnect_timeout_secs = 5\nquery_timeout_secs = 20\n",
            self.port
        )
    }
}

impl Drop for MariaDb {
    fn drop(&mut self) {
        self.kill();
    }
}
