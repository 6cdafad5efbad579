//! Private files on Unix: mode 600 (directories 700).

use super::Exposure;
use std::fs::{File, OpenOptions, Permissions};
use std::io;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
use std::path::Path;

pub fn create_new(path: &Path) -> io::Result<File> {
    OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
}

pub fn create_dir(path: &Path) -> io::Result<()> {
    match std::fs::DirBuilder::new().mode(0o700).create(path) {
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => Ok(()),
        other => other,
    }
}

pub fn exposure(path: &Path) -> io::Result<Option<Exposure>> {
    let mode = std::fs::metadata(path)?.permissions().mode();
    Ok((mode & 0o077 != 0).then(|| Exposure {
        others: format!("mode {:o}", mode & 0o777),
        fix: format!("chmod 600 {}", path.display()),
    }))
}

pub fn restrict(path: &Path) -> io::Result<()> {
    std::fs::set_permissions(path, Permissions::from_mode(0o600))
}

#[cfg(test)]
pub fn open_to_everyone(path: &Path) -> io::Result<()> {
    std::fs::set_permissions(path, Permissions::from_mode(0o644))
}
