//! How large a snapshot and its parts may be. Checked at submission (CLI, job API, hub)
//! so nothing oversized is ever queued; each refusal names the limit.

/// The whole snapshot document. A full optometry exam with a long note is a few tens of
/// kilobytes; a megabyte leaves room for any real one.
pub const MAX_SNAPSHOT_BYTES: usize = 1024 * 1024;
/// One text field (the longest clinical note the scribe produces is well under this).
pub const MAX_TEXT_CHARS: usize = 20_000;
/// Ids: job, patient, encounter, template, provider.
pub const MAX_ID_CHARS: usize = 128;
/// A patient's first or last name.
pub const MAX_NAME_CHARS: usize = 200;
/// Diagnoses or procedures in one list.
pub const MAX_LIST_ITEMS: usize = 50;
/// A diagnosis description.
pub const MAX_DESCRIPTION_CHARS: usize = 500;
