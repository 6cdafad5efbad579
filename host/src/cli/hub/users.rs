//! `hub user ...`: the console's users. `add NAME --operator` or `--practice P`, the
//! password read from standard input (a prompt without echo on a terminal, or the first
//! line of a pipe), never from the command line where other users could read it.

use super::super::{exit, print_json};
use crate::hub::console::password;
use crate::hub::store::{HubStore, UserRole};
use crate::jobs::{Clock, SystemClock};
use anyhow::{bail, Context, Result};
use std::io::{BufRead, IsTerminal, Write};

/// `hub user ...`.
#[derive(clap::Subcommand, Debug)]
pub enum UserCommand {
    /// Add a console user (the password is asked for, or read from standard input).
    Add {
        /// The login name: lowercase letters, digits, dots, dashes, underscores.
        name: String,
        /// The hub's operator: sees every practice.
        #[arg(
            long,
            conflicts_with = "practice",
            required_unless_present = "practice"
        )]
        operator: bool,
        /// Someone at this practice: sees its agents and jobs only.
        #[arg(long)]
        practice: Option<String>,
    },
    /// List console users (never their passwords).
    List {
        /// Print as JSON.
        #[arg(long)]
        json: bool,
    },
}

/// Runs a `hub user` command on the store.
pub async fn run<S: HubStore>(s: &S, c: UserCommand) -> Result<i32> {
    match c {
        UserCommand::Add {
            name,
            operator,
            practice,
        } => {
            let role = match (operator, practice) {
                (true, _) => UserRole::Operator,
                (false, Some(practice_id)) => UserRole::Practice { practice_id },
                (false, None) => bail!("say who the user is: --operator or --practice P"),
            };
            let pw = read_password()?;
            let user = password::add_user(s, &name, role, &pw, SystemClock.now_ms()).await?;
            let sees = match &user.role {
                UserRole::Operator => "every practice".to_string(),
                UserRole::Practice { practice_id } => format!("practice {practice_id} only"),
            };
            println!(
                "console user {} added ({sees}); they log in at https://<hub>/console",
                user.name
            );
        }
        UserCommand::List { json } => {
            let users = s.users().await?;
            if json {
                print_json(&users)?;
            }
            for u in users.iter().filter(|_| !json) {
                let role = match &u.role {
                    UserRole::Operator => "operator".to_string(),
                    UserRole::Practice { practice_id } => format!("practice {practice_id}"),
                };
                println!("{:24} {role}", u.name);
            }
        }
    }
    Ok(exit::OK)
}

/// The password: typed twice without echo on a terminal, else the first line of stdin.
fn read_password() -> Result<String> {
    let stdin = std::io::stdin();
    if !stdin.is_terminal() {
        let mut line = String::new();
        stdin
            .lock()
            .read_line(&mut line)
            .context("cannot read the password from standard input")?;
        return Ok(line.trim_end_matches(['\r', '\n']).to_string());
    }
    let first = prompt("Password: ")?;
    let again = prompt("Password again: ")?;
    if first != again {
        bail!("the two passwords differ: nothing was changed, try again");
    }
    Ok(first)
}

fn prompt(label: &str) -> Result<String> {
    eprint!("{label}");
    std::io::stderr().flush()?;
    let _quiet = NoEcho::start();
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line)?;
    eprintln!();
    Ok(line.trim_end_matches(['\r', '\n']).to_string())
}

/// Turns the terminal's echo off while alive (on Unix; elsewhere the typing shows).
struct NoEcho {
    #[cfg(unix)]
    saved: Option<libc::termios>,
}

impl NoEcho {
    fn start() -> NoEcho {
        #[cfg(unix)]
        {
            // SAFETY: termios calls on stdin with a zeroed struct filled by tcgetattr.
            unsafe {
                let mut t: libc::termios = std::mem::zeroed();
                if libc::tcgetattr(0, &mut t) != 0 {
                    return NoEcho { saved: None };
                }
                let saved = t;
                t.c_lflag &= !libc::ECHO;
                libc::tcsetattr(0, libc::TCSANOW, &t);
                NoEcho { saved: Some(saved) }
            }
        }
        #[cfg(not(unix))]
        NoEcho {}
    }
}

impl Drop for NoEcho {
    fn drop(&mut self) {
        #[cfg(unix)]
        if let Some(t) = &self.saved {
            // SAFETY: restores the settings read in `start`.
            unsafe {
                libc::tcsetattr(0, libc::TCSANOW, t);
            }
        }
    }
}
