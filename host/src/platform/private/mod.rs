//! Files that hold secrets (the device key, the job key, the API token, a config with
//! inline credentials): only their owner may open them: mode 600 on Unix; on Windows a
//! protected access list granting the owner, SYSTEM and Administrators only (the service
//! runs as SYSTEM; nothing is inherited from the folder, which under ProgramData lets
//! every user read). The protection is in place from creation, never added after the
//! secret is written, and a file found more open is reported with the command that fixes
//! it.

use std::fs::File;
use std::io;
use std::path::Path;

#[cfg(unix)]
mod unix;
#[cfg(unix)]
use unix as imp;
#[cfg(windows)]
mod windows;
#[cfg(windows)]
use windows as imp;

/// Who besides the owner can open a private file, and how to stop that.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Exposure {
    /// Who else can read or change it, in the system's words ("mode 644";
    /// "Everyone, BUILTIN\Users").
    pub others: String,
    /// The command that makes it private again.
    pub fix: String,
}

/// Creates `path`, which must not exist, open for writing and private from creation.
pub fn create_new(path: &Path) -> io::Result<File> {
    imp::create_new(path)
}

/// Creates the directory `path` (and its parents) private to its owner, SYSTEM and
/// Administrators: what is created inside inherits that. An existing one is left as is.
pub fn create_dir(path: &Path) -> io::Result<()> {
    if path.is_dir() {
        return Ok(());
    }
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)?;
    }
    imp::create_dir(path)
}

/// Who besides the owner can open `path`; `None` when it is private.
pub fn exposure(path: &Path) -> io::Result<Option<Exposure>> {
    imp::exposure(path)
}

/// Makes an existing file private (what [`Exposure::fix`] does by hand).
pub fn restrict(path: &Path) -> io::Result<()> {
    imp::restrict(path)
}

/// Opens `path` to every user of the computer, for tests of the exposure check.
#[cfg(test)]
pub(crate) fn open_to_everyone(path: &Path) -> io::Result<()> {
    imp::open_to_everyone(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    // Created private; opened to everyone it is reported with a fix; restricted again
    // it is private. A second create of the same path fails rather than overwriting.
    #[test]
    fn private_from_creation_and_checked() {
        let dir = std::env::temp_dir().join(format!("ehr-private-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        create_dir(&dir).unwrap();
        let path = dir.join("device.key");
        {
            use std::io::Write as _;
            let mut f = create_new(&path).unwrap();
            f.write_all(b"secret").unwrap();
        }
        assert_eq!(std::fs::read(&path).unwrap(), b"secret");
        assert_eq!(exposure(&path).unwrap(), None);
        assert!(
            create_new(&path).is_err(),
            "an existing file must not be reused"
        );
        open_to_everyone(&path).unwrap();
        let e = exposure(&path)
            .unwrap()
            .expect("a file open to everyone is exposed");
        assert!(e.fix.contains("device.key"), "{e:?}");
        restrict(&path).unwrap();
        assert_eq!(exposure(&path).unwrap(), None);
        let _ = std::fs::remove_dir_all(&dir);
    }
}
