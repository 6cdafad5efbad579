//! Private files on Windows: a protected access list (nothing inherited from the folder)
//! granting full control to the account that creates the file, SYSTEM (the service) and
//! Administrators, and nobody else.

use super::Exposure;
use std::ffi::c_void;
use std::fs::File;
use std::io;
use std::os::windows::ffi::OsStrExt;
use std::os::windows::io::FromRawHandle;
use std::path::Path;
use std::ptr::null_mut;
use windows_sys::Win32::Foundation::{
    CloseHandle, GetLastError, LocalFree, ERROR_ALREADY_EXISTS, ERROR_SUCCESS, GENERIC_READ,
    GENERIC_WRITE, HANDLE, INVALID_HANDLE_VALUE,
};
use windows_sys::Win32::Security::Authorization::{
    ConvertSidToStringSidW, ConvertStringSecurityDescriptorToSecurityDescriptorW,
    GetNamedSecurityInfoW, SetNamedSecurityInfoW, SDDL_REVISION_1, SE_FILE_OBJECT,
};
use windows_sys::Win32::Security::{
    EqualSid, GetAce, GetSecurityDescriptorDacl, GetTokenInformation, IsWellKnownSid,
    LookupAccountSidW, TokenUser, WinBuiltinAdministratorsSid, WinLocalSystemSid,
    ACCESS_ALLOWED_ACE, ACE_HEADER, ACL, DACL_SECURITY_INFORMATION, OWNER_SECURITY_INFORMATION,
    PROTECTED_DACL_SECURITY_INFORMATION, PSECURITY_DESCRIPTOR, PSID, SECURITY_ATTRIBUTES,
    TOKEN_QUERY, TOKEN_USER,
};
use windows_sys::Win32::Storage::FileSystem::{
    CreateDirectoryW, CreateFileW, CREATE_NEW, FILE_ATTRIBUTE_NORMAL, FILE_SHARE_DELETE,
    FILE_SHARE_READ, FILE_SHARE_WRITE,
};
use windows_sys::Win32::System::Threading::{GetCurrentProcess, OpenProcessToken};

/// An access-allowed entry (the only kind that opens a file to someone).
const ACCESS_ALLOWED_ACE_TYPE: u8 = 0;
/// An entry that only passes on to children and says nothing about this file.
const INHERIT_ONLY_ACE: u8 = 0x08;
/// Rights that let someone read or change the file or its access list: read, write and
/// append data, WRITE_DAC, WRITE_OWNER, GENERIC_ALL, GENERIC_WRITE, GENERIC_READ.
const OPENING_RIGHTS: u32 =
    0x1 | 0x2 | 0x4 | 0x4_0000 | 0x8_0000 | 0x1000_0000 | 0x4000_0000 | 0x8000_0000;

/// A security descriptor allocated by Windows, freed on drop.
struct Descriptor(PSECURITY_DESCRIPTOR);

impl Drop for Descriptor {
    fn drop(&mut self) {
        if !self.0.is_null() {
            // SAFETY: allocated by Windows with LocalAlloc, freed once.
            unsafe { LocalFree(self.0) };
        }
    }
}

/// `s` as a NUL-terminated UTF-16 string.
fn wide(s: impl AsRef<std::ffi::OsStr>) -> Vec<u16> {
    s.as_ref().encode_wide().chain(Some(0)).collect()
}

/// A NUL-terminated UTF-16 string Windows allocated, as a `String`; freed.
///
/// SAFETY: `p` must be a NUL-terminated string from LocalAlloc.
unsafe fn take_wide(p: *mut u16) -> String {
    // SAFETY: the caller upholds this function's contract (above).
    unsafe {
        let mut len = 0;
        while *p.add(len) != 0 {
            len += 1;
        }
        let s = String::from_utf16_lossy(std::slice::from_raw_parts(p, len));
        LocalFree(p.cast());
        s
    }
}

/// The SID of `sid` as text (S-1-5-…).
///
/// SAFETY: `sid` must point to a valid SID.
unsafe fn sid_text(sid: PSID) -> io::Result<String> {
    // SAFETY: the caller upholds this function's contract (above).
    unsafe {
        let mut s = null_mut();
        if ConvertSidToStringSidW(sid, &mut s) == 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(take_wide(s))
    }
}

/// The account this process runs as, as SID text.
fn current_account() -> io::Result<String> {
    // SAFETY: the token handle is opened and closed here; the buffer is sized by the
    // first call and 8-byte aligned for TOKEN_USER.
    unsafe {
        let mut token: HANDLE = null_mut();
        if OpenProcessToken(GetCurrentProcess(), TOKEN_QUERY, &mut token) == 0 {
            return Err(io::Error::last_os_error());
        }
        let mut len = 0u32;
        GetTokenInformation(token, TokenUser, null_mut(), 0, &mut len);
        let mut buf = vec![0u64; (len as usize).div_ceil(8).max(1)];
        let ok = GetTokenInformation(token, TokenUser, buf.as_mut_ptr().cast(), len, &mut len);
        let err = io::Error::last_os_error();
        CloseHandle(token);
        if ok == 0 {
            return Err(err);
        }
        let user = &*(buf.as_ptr() as *const TOKEN_USER);
        sid_text(user.User.Sid)
    }
}

/// The private descriptor: full control for this account, SYSTEM and Administrators,
/// protected from inheritance; `inherit` passes it on to what a directory holds.
fn private_descriptor(inherit: bool) -> io::Result<Descriptor> {
    let flags = if inherit { "OICI" } else { "" };
    let me = current_account()?;
    let sddl = format!("D:P(A;{flags};FA;;;{me})(A;{flags};FA;;;SY)(A;{flags};FA;;;BA)");
    descriptor(&sddl)
}

/// The descriptor an SDDL string describes.
fn descriptor(sddl: &str) -> io::Result<Descriptor> {
    let mut sd: PSECURITY_DESCRIPTOR = null_mut();
    // SAFETY: `sddl` is NUL-terminated; Windows allocates the descriptor (freed on drop).
    let ok = unsafe {
        ConvertStringSecurityDescriptorToSecurityDescriptorW(
            wide(sddl).as_ptr(),
            SDDL_REVISION_1,
            &mut sd,
            null_mut(),
        )
    };
    if ok == 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(Descriptor(sd))
}

fn attributes(sd: &Descriptor) -> SECURITY_ATTRIBUTES {
    SECURITY_ATTRIBUTES {
        nLength: std::mem::size_of::<SECURITY_ATTRIBUTES>() as u32,
        lpSecurityDescriptor: sd.0,
        bInheritHandle: 0,
    }
}

pub fn create_new(path: &Path) -> io::Result<File> {
    let sd = private_descriptor(false)?;
    let sa = attributes(&sd);
    // SAFETY: NUL-terminated path, valid attributes; the handle is owned by the File.
    unsafe {
        let h = CreateFileW(
            wide(path).as_ptr(),
            GENERIC_READ | GENERIC_WRITE,
            // As std opens files: others may rename or link it (the atomic publish).
            FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE,
            &sa,
            CREATE_NEW,
            FILE_ATTRIBUTE_NORMAL,
            null_mut(),
        );
        if h == INVALID_HANDLE_VALUE {
            return Err(io::Error::last_os_error());
        }
        Ok(File::from_raw_handle(h))
    }
}

pub fn create_dir(path: &Path) -> io::Result<()> {
    let sd = private_descriptor(true)?;
    let sa = attributes(&sd);
    // SAFETY: NUL-terminated path, valid attributes.
    unsafe {
        if CreateDirectoryW(wide(path).as_ptr(), &sa) == 0 {
            if GetLastError() == ERROR_ALREADY_EXISTS {
                return Ok(());
            }
            return Err(io::Error::last_os_error());
        }
    }
    Ok(())
}

/// The account `sid` names (DOMAIN\name), else its SID text.
///
/// SAFETY: `sid` must point to a valid SID.
unsafe fn account_name(sid: PSID) -> String {
    // SAFETY: the caller upholds this function's contract (above).
    unsafe {
        let mut name = [0u16; 256];
        let mut domain = [0u16; 256];
        let (mut n, mut d, mut kind) = (256u32, 256u32, 0);
        let found = LookupAccountSidW(
            std::ptr::null(),
            sid,
            name.as_mut_ptr(),
            &mut n,
            domain.as_mut_ptr(),
            &mut d,
            &mut kind,
        ) != 0;
        if !found {
            return sid_text(sid).unwrap_or_else(|_| "an unknown account".into());
        }
        let name = String::from_utf16_lossy(&name[..n as usize]);
        let domain = String::from_utf16_lossy(&domain[..d as usize]);
        if domain.is_empty() {
            name
        } else {
            format!("{domain}\\{name}")
        }
    }
}

pub fn exposure(path: &Path) -> io::Result<Option<Exposure>> {
    let me = current_account()?;
    let mut owner: PSID = null_mut();
    let mut dacl: *mut ACL = null_mut();
    let mut sd: PSECURITY_DESCRIPTOR = null_mut();
    // SAFETY: out-pointers point into the descriptor Windows allocates (freed by the
    // guard); entries are read within the list's own count.
    let others = unsafe {
        let rc = GetNamedSecurityInfoW(
            wide(path).as_ptr(),
            SE_FILE_OBJECT,
            OWNER_SECURITY_INFORMATION | DACL_SECURITY_INFORMATION,
            &mut owner,
            null_mut(),
            &mut dacl,
            null_mut(),
            &mut sd,
        );
        if rc != ERROR_SUCCESS {
            return Err(io::Error::from_raw_os_error(rc as i32));
        }
        let _guard = Descriptor(sd);
        if dacl.is_null() {
            vec!["Everyone (the file has no access list)".to_string()]
        } else {
            let mut others = Vec::new();
            for i in 0..u32::from((*dacl).AceCount) {
                let mut ace: *mut c_void = null_mut();
                if GetAce(dacl, i, &mut ace) == 0 {
                    continue;
                }
                let header = &*(ace as *const ACE_HEADER);
                if header.AceType != ACCESS_ALLOWED_ACE_TYPE
                    || header.AceFlags & INHERIT_ONLY_ACE != 0
                {
                    continue;
                }
                let allowed = &*(ace as *const ACCESS_ALLOWED_ACE);
                if allowed.Mask & OPENING_RIGHTS == 0 {
                    continue;
                }
                let sid = std::ptr::addr_of!(allowed.SidStart) as PSID;
                let trusted = (!owner.is_null() && EqualSid(sid, owner) != 0)
                    || IsWellKnownSid(sid, WinLocalSystemSid) != 0
                    || IsWellKnownSid(sid, WinBuiltinAdministratorsSid) != 0
                    || sid_text(sid).is_ok_and(|s| s == me);
                if !trusted {
                    others.push(account_name(sid));
                }
            }
            others
        }
    };
    if others.is_empty() {
        return Ok(None);
    }
    let removes: String = others
        .iter()
        .filter(|o| !o.contains(' '))
        .map(|o| format!(" /remove \"{o}\""))
        .collect();
    Ok(Some(Exposure {
        others: others.join(", "),
        fix: format!(
            "icacls \"{}\" /inheritance:r /grant:r \"%USERNAME%:F\" /grant:r SYSTEM:F /grant:r Administrators:F{removes}",
            path.display()
        ),
    }))
}

/// Replaces the access list of `path` with the one `sd` holds.
fn set_dacl(path: &Path, sd: &Descriptor, protected: bool) -> io::Result<()> {
    let mut present = 0;
    let mut defaulted = 0;
    let mut dacl: *mut ACL = null_mut();
    // SAFETY: `sd` is a valid descriptor; the list pointer points into it.
    unsafe {
        if GetSecurityDescriptorDacl(sd.0, &mut present, &mut dacl, &mut defaulted) == 0 {
            return Err(io::Error::last_os_error());
        }
        let info = if protected {
            DACL_SECURITY_INFORMATION | PROTECTED_DACL_SECURITY_INFORMATION
        } else {
            DACL_SECURITY_INFORMATION
                | windows_sys::Win32::Security::UNPROTECTED_DACL_SECURITY_INFORMATION
        };
        let rc = SetNamedSecurityInfoW(
            wide(path).as_ptr(),
            SE_FILE_OBJECT,
            info,
            null_mut(),
            null_mut(),
            dacl,
            std::ptr::null(),
        );
        if rc != ERROR_SUCCESS {
            return Err(io::Error::from_raw_os_error(rc as i32));
        }
    }
    Ok(())
}

pub fn restrict(path: &Path) -> io::Result<()> {
    set_dacl(path, &private_descriptor(false)?, true)
}

#[cfg(test)]
pub fn open_to_everyone(path: &Path) -> io::Result<()> {
    set_dacl(path, &descriptor("D:(A;;FA;;;WD)")?, false)
}
