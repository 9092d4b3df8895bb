//! The on-disk encodings: satchel's own versioned JSON record, and (with the `werkzeug`
//! feature) werkzeug's pickled dict, named by the raw id and timed by the file's mtime.

use std::fs::{File, OpenOptions};
use std::io::{self, Read as _};
use std::os::unix::fs::OpenOptionsExt as _;
use std::path::Path;
use std::time::SystemTime;

use serde::{Deserialize, Serialize};
#[cfg(feature = "werkzeug")]
use time::Duration;
use time::OffsetDateTime;

use crate::error::{Error, Result};
use crate::id_policy::IdPolicy;
use crate::record::Record;

/// Bumped when satchel's layout changes; older versions must keep loading.
const FORMAT_VERSION: u32 = 1;
/// A session file larger than this is treated as corrupt rather than read into memory.
const MAX_FILE_BYTES: u64 = 16 * 1024 * 1024;

/// How session files are written and named.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum FileFormat {
    /// `satchel_<sha256 of id>.json`: a versioned JSON record with its own timestamps.
    Satchel,
    /// `werkzeug_<id>.sess`: a pickled dict; a file lives `lifetime` past its mtime.
    #[cfg(feature = "werkzeug")]
    Werkzeug { lifetime: Duration },
}

#[derive(Serialize, Deserialize)]
struct RecordFile {
    satchel: u32,
    #[serde(flatten)]
    record: Record,
}

/// What reading a session file found.
#[derive(Debug)]
pub(super) enum Stored {
    Missing,
    /// Present but unusable: reported, and read as no session.
    Corrupt(String),
    Found(Record),
}

impl FileFormat {
    pub(super) fn default_template(self) -> &'static str {
        match self {
            Self::Satchel => "satchel_%s.json",
            #[cfg(feature = "werkzeug")]
            Self::Werkzeug { .. } => "werkzeug_%s.sess",
        }
    }

    /// werkzeug's own suffix for its format, so Python's `list()` skips our temp files too.
    pub(super) fn temp_suffix(self) -> &'static str {
        match self {
            Self::Satchel => ".__satchel",
            #[cfg(feature = "werkzeug")]
            Self::Werkzeug { .. } => ".__wz_sess",
        }
    }

    /// The ids this format names its files by.
    pub(super) fn ids(self) -> IdPolicy {
        match self {
            Self::Satchel => IdPolicy::new(),
            #[cfg(feature = "werkzeug")]
            Self::Werkzeug { .. } => IdPolicy::werkzeug(),
        }
    }

    /// The bytes to write for `record`, and the mtime the file must get (werkzeug keeps
    /// its deadline there).
    pub(super) fn encode(
        self,
        record: &Record,
        now: OffsetDateTime,
    ) -> Result<(Vec<u8>, Option<SystemTime>)> {
        let _ = now; // only formats without their own timestamps need it
        match self {
            Self::Satchel => {
                let file = RecordFile {
                    satchel: FORMAT_VERSION,
                    record: record.clone(),
                };
                Ok((serde_json::to_vec(&file).map_err(Error::Encode)?, None))
            }
            #[cfg(feature = "werkzeug")]
            Self::Werkzeug { .. } => {
                let bytes = super::pickle::encode(&record.data).map_err(Error::InvalidConfig)?;
                Ok((bytes, self.modified_for(record.expires_at, now)))
            }
        }
    }

    /// The mtime that stands for `expires_at` in formats that keep no deadline of their own.
    pub(super) fn modified_for(
        self,
        expires_at: Option<OffsetDateTime>,
        now: OffsetDateTime,
    ) -> Option<SystemTime> {
        let _ = (expires_at, now);
        match self {
            Self::Satchel => None,
            #[cfg(feature = "werkzeug")]
            Self::Werkzeug { lifetime } => {
                let written = expires_at
                    .and_then(|at| at.checked_sub(lifetime))
                    .unwrap_or(now);
                Some(written.into())
            }
        }
    }

    fn decode(self, bytes: &[u8], modified: SystemTime) -> std::result::Result<Record, String> {
        let _ = modified;
        match self {
            Self::Satchel => {
                let file: RecordFile =
                    serde_json::from_slice(bytes).map_err(|err| err.to_string())?;
                if file.satchel != FORMAT_VERSION {
                    return Err(format!("unknown format version {}", file.satchel));
                }
                Ok(file.record)
            }
            #[cfg(feature = "werkzeug")]
            Self::Werkzeug { lifetime } => {
                // werkzeug records no times: a file is as old as its last write.
                let seconds = match modified.duration_since(SystemTime::UNIX_EPOCH) {
                    Ok(after) => i64::try_from(after.as_secs()).ok(),
                    Err(before) => i64::try_from(before.duration().as_secs()).ok().map(|s| -s),
                };
                let written = seconds
                    .and_then(|s| OffsetDateTime::from_unix_timestamp(s).ok())
                    .ok_or("the file's modification time is out of range")?;
                Ok(Record {
                    data: super::pickle::decode(bytes)?,
                    created_at: written,
                    expires_at: Some(
                        written
                            .checked_add(lifetime)
                            .ok_or("the file's lifetime is out of range")?,
                    ),
                })
            }
        }
    }

    /// Reads a session file without following symlinks or blocking on FIFOs.
    pub(super) fn read(self, path: &Path) -> io::Result<Stored> {
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
        self.read_open(file)
    }

    fn read_open(self, mut file: File) -> io::Result<Stored> {
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
        Ok(match self.decode(&bytes, meta.modified()?) {
            Ok(record) => Stored::Found(record),
            Err(why) => Stored::Corrupt(why),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn satchel_records_round_trip() {
        let mut record = Record::new();
        record.data.insert("n".into(), 1.into());
        let (bytes, mtime) = FileFormat::Satchel
            .encode(&record, OffsetDateTime::now_utc())
            .unwrap();
        assert_eq!(mtime, None);
        let back = FileFormat::Satchel
            .decode(&bytes, SystemTime::now())
            .unwrap();
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
            assert!(FileFormat::Satchel.decode(bad, SystemTime::now()).is_err());
        }
    }
}
