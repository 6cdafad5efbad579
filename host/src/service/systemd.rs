//! The systemd unit that runs the agent on Linux: restarted when it fails, stopped with
//! SIGTERM and given time to finish the job in hand, its home private to its user.

use std::path::Path;

/// How long systemd waits after SIGTERM before killing the agent: longer than the default
/// job lease (60 s), so a write in progress finishes and is recorded.
pub const STOP_TIMEOUT_SECS: u32 = 120;

/// The unit file's name.
pub fn file_name() -> String {
    format!("{}.service", super::NAME)
}

/// The unit text for the agent binary `exe` with home `home`, run as `user` (a system
/// user made for it), or as root when `None`.
pub fn unit(exe: &Path, home: &Path, user: Option<&str>) -> String {
    let user_line = user.map_or(String::new(), |u| format!("User={u}\nGroup={u}\n"));
    format!(
        "\
# {name}: the ehr-host agent, run unattended (written by `ehr-host service install`).
[Unit]
Description=ehr-host agent: writes AI-scribe encounter data into the practice's EHR
Wants=network-online.target
After=network-online.target

[Service]
Type=simple
ExecStart={exe} --home {home} run
{user_line}Environment=EHR_HOST_LOG=info
# Secrets in the home (device key, job key, API token) stay private to this user.
UMask=0077
# SIGTERM asks the agent to stop: the job in hand is finished and recorded first.
KillSignal=SIGTERM
TimeoutStopSec={timeout}
Restart=on-failure
RestartSec=5

[Install]
WantedBy=multi-user.target
",
        name = file_name(),
        exe = quote(exe),
        home = quote(home),
        timeout = STOP_TIMEOUT_SECS,
    )
}

/// A path as one systemd command-line word (quoted when it holds spaces or quotes).
fn quote(p: &Path) -> String {
    let s = p.display().to_string();
    if s.chars()
        .any(|c| c.is_whitespace() || c == '"' || c == '\\')
    {
        format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""))
    } else {
        s
    }
}

/// The commands that act on the installed unit, for the verbs systemd carries out.
pub fn command(verb: &str) -> String {
    match verb {
        "install" => format!(
            "systemctl daemon-reload && systemctl enable --now {}",
            super::NAME
        ),
        "uninstall" => format!("systemctl disable --now {}", super::NAME),
        other => format!("systemctl {other} {}", super::NAME),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // The unit runs `ehr-host --home HOME run`, restarts on failure, stops with SIGTERM
    // and waits longer than a job lease, starts at boot, and keeps the home private.
    #[test]
    fn unit_runs_the_agent_and_stops_cleanly() {
        let u = unit(
            Path::new("/usr/local/bin/ehr-host"),
            Path::new("/var/lib/ehr-host"),
            Some("ehr-host"),
        );
        let lines: Vec<&str> = u.lines().collect();
        for want in [
            "ExecStart=/usr/local/bin/ehr-host --home /var/lib/ehr-host run",
            "User=ehr-host",
            "KillSignal=SIGTERM",
            "TimeoutStopSec=120",
            "Restart=on-failure",
            "UMask=0077",
            "WantedBy=multi-user.target",
            "After=network-online.target",
        ] {
            assert!(lines.contains(&want), "missing {want:?} in\n{u}");
        }
        let sections: Vec<&&str> = lines.iter().filter(|l| l.starts_with('[')).collect();
        assert_eq!(sections, [&"[Unit]", &"[Service]", &"[Install]"]);
    }

    // Paths with spaces are quoted into one word; without a user the line is absent.
    #[test]
    fn paths_with_spaces_are_quoted() {
        let u = unit(
            Path::new("/opt/ehr host/ehr-host"),
            Path::new("/srv/a b"),
            None,
        );
        assert!(
            u.contains("ExecStart=\"/opt/ehr host/ehr-host\" --home \"/srv/a b\" run"),
            "{u}"
        );
        assert!(!u.contains("User="), "{u}");
    }

    // The printed commands name the unit.
    #[test]
    fn commands_name_the_unit() {
        assert_eq!(
            command("install"),
            "systemctl daemon-reload && systemctl enable --now ehr-host"
        );
        assert_eq!(command("stop"), "systemctl stop ehr-host");
        assert_eq!(command("uninstall"), "systemctl disable --now ehr-host");
    }
}
