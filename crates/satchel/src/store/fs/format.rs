//! The on-disk encodings behind one small trait: satchel's own versioned JSON record here,
//! and (with the `werkzeug` feature) werkzeug's pickled dict in [`super::werkzeug`].

use std::fs::{File, OpenOptions};
use std::io::{self, Read as _};
use std::os::unix::fs::OpenOptionsExt as _;
use std::path::Path;
use std::time::SystemTime;

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

#[cfg(feature = "werkzeug")]
use super::werkzeug::WerkzeugFormat;
use crate::error::{Error, Result};
use crate::id_policy::IdPolicy;
use crate::record::Record;

/// Bumped when satchel's layout changes; older versions must keep loading.
const FORMAT_VERSION: u32 = 1;
/// A session file larger than this is treated as corrupt rather than read into memory.
pub(in crate::store::fs) const MAX_FILE_BYTES: u64 = 16 * 1024 * 1024;

/// How one format names, writes and reads session files.
pub(super) trait Codec: Send + Sync {
    /// The filename template when none is configured.
    fn default_template(&self) -> &'static str;
    /// The suffix of temp files, which `list` skips.
    fn temp_suffix(&self) -> &'static str;
    /// The ids this format names its files by.
    fn ids(&self) -> IdPolicy;
    /// The bytes to write for `record` at `now`, and the mtime the file must get (for
    /// formats that keep their deadline there).
    fn encode(&self, record: &Record, now: OffsetDateTime)
    -> Result<(Vec<u8>, Option<SystemTime>)>;
    /// The record in a file's bytes, last modified at `modified`; `Err` says why not.
    fn decode(&self, bytes: &[u8], modified: SystemTime) -> std::result::Result<Record, String>;
    /// The mtime that stands for `expires_at`, for formats that keep no deadline of their
    /// own (a touch sets only that).
    fn modified_for(
        &self,
        expires_at: Option<OffsetDateTime>,
        now: OffsetDateTime,
    ) -> Option<SystemTime>;
}

/// The format a store was opened with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum FileFormat {
    /// `satchel_<sha256 of id>.json`: a versioned JSON record with its own timestamps.
    Satchel,
    /// `werkzeug_<id>.sess`: a pickled dict, timed by the file's mtime.
    #[cfg(feature = "werkzeug")]
    Werkzeug(WerkzeugFormat),
}

impl FileFormat {
    pub(super) fn codec(&self) -> &dyn Codec {
        match self {
            Self::Satchel => &SatchelFormat,
            #[cfg(feature = "werkzeug")]
            Self::Werkzeug(format) => format,
        }
    }
}

/// satchel's own files: the record and its times as versioned JSON.
struct SatchelFormat;

#[derive(Serialize, Deserialize)]
struct RecordFile {
    satchel: u32,
    #[serde(flatten)]
    record: Record,
}

impl Codec for SatchelFormat {
    fn default_template(&self) -> &'static str {
        "satchel_%s.json"
    }

    fn temp_suffix(&self) -> &'static str {
        ".__satchel"
    }

    fn ids(&self) -> IdPolicy {
        IdPolicy::new()
    }

    fn encode(&self, record: &Record, _: OffsetDateTime) -> Result<(Vec<u8>, Option<SystemTime>)> {
        let file = RecordFile {
            satchel: FORMAT_VERSION,
            record: record.clone(),
        };
        Ok((serde_json::to_vec(&file).map_err(Error::Encode)?, None))
    }

    fn decode(&self, bytes: &[u8], _: SystemTime) -> std::result::Result<Record, String> {
        let file: RecordFile = serde_json::from_slice(bytes).map_err(|err| err.to_string())?;
        if file.satchel != FORMAT_VERSION {
            return Err(format!("unknown format version {}", file.satchel));
        }
        Ok(file.record)
    }

    fn modified_for(&self, _: Option<OffsetDateTime>, _: OffsetDateTime) -> Option<SystemTime> {
        None
    }
}

/// What reading a session file found.
#[derive(Debug)]
pub(super) enum Stored {
    Missing,
    /// Present but unusable: reported, and read as no session.
    Corrupt(String),
    Found(Record),
}

/// Reads a session file without following symlinks or blocking on FIFOs.
pub(super) fn read(codec: &dyn Codec, path: &Path) -> io::Result<Stored> {
    let flags = rustix::fs::OFlags::NOFOLLOW | rustix::fs::OFlags::NONBLOCK;
    let file = match OpenOptions::new()
        .read(true)
        .custom_flags(flags.bits() as i32)
        .open(path)
    {
        Ok(file) => file,
        Err(err) if err.kind() == io::ErrorKind::NotFound => return Ok(Stored::Missing),
        Err(err) if err.raw_os_error() == Some(rustix::io::Errno::LOOP.raw_os_error()) => {
            return Ok(Stored::Corrupt("is a symbolic link".into()));
        }
        Err(err) => return Err(err),
    };
    read_open(codec, file)
}

fn read_open(codec: &dyn Codec, mut file: File) -> io::Result<Stored> {
    let meta = file.metadata()?;
    if !meta.is_file() {
        return Ok(Stored::Corrupt("is not a regular file".into()));
    }
    if meta.len() > MAX_FILE_BYTES {
        return Ok(Stored::Corrupt(format!(
            "is larger than {MAX_FILE_BYTES} bytes"
        )));
    }
    let mut bytes = Vec::new();
    file.read_to_end(&mut bytes)?;
    Ok(match codec.decode(&bytes, meta.modified()?) {
        Ok(record) => Stored::Found(record),
        Err(why) => Stored::Corrupt(why),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn satchel_records_round_trip() {
        let mut record = Record::new();
        record.data.insert("n".into(), 1.into());
        let (bytes, mtime) = SatchelFormat
            .encode(&record, OffsetDateTime::now_utc())
            .unwrap();
        assert_eq!(mtime, None);
        let back = SatchelFormat.decode(&bytes, SystemTime::now()).unwrap();
        assert_eq!(back, record);
    }

    #[test]
    fn garbage_and_other_versions_are_corrupt() {
        for bad in [
            &b""[..],
            b"{",
            b"null",
            b"{\"satchel\":2,\"data\":{},\"created_at\":0}",
            b"\xff\xfe",
        ] {
            assert!(SatchelFormat.decode(bad, SystemTime::now()).is_err());
        }
    }
}
