//! satchel's own file format: a versioned JSON record.

use std::fs::{File, OpenOptions};
use std::io::{self, Read as _};
use std::os::unix::fs::OpenOptionsExt as _;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::{Error, Record, Result};

/// Bumped when the layout changes; older versions must keep loading.
const FORMAT_VERSION: u32 = 1;
/// A session file larger than this is treated as corrupt rather than read into memory.
const MAX_FILE_BYTES: u64 = 16 * 1024 * 1024;

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

pub(super) fn encode(record: &Record) -> Result<Vec<u8>> {
    let file = RecordFile {
        satchel: FORMAT_VERSION,
        record: record.clone(),
    };
    serde_json::to_vec(&file).map_err(Error::Encode)
}

fn decode(bytes: &[u8]) -> std::result::Result<Record, String> {
    let file: RecordFile = serde_json::from_slice(bytes).map_err(|err| err.to_string())?;
    if file.satchel != FORMAT_VERSION {
        return Err(format!("unknown format version {}", file.satchel));
    }
    Ok(file.record)
}

/// Reads a session file without following symlinks or blocking on FIFOs.
pub(super) fn read(path: &Path) -> io::Result<Stored> {
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
    read_open(file)
}

fn read_open(mut file: File) -> io::Result<Stored> {
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
    Ok(match decode(&bytes) {
        Ok(record) => Stored::Found(record),
        Err(why) => Stored::Corrupt(why),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip() {
        let mut record = Record::new();
        record.data.insert("n".into(), 1.into());
        let bytes = encode(&record).unwrap();
        let back = decode(&bytes).unwrap();
        assert_eq!(back.data, record.data);
        assert_eq!(
            back.created_at.unix_timestamp(),
            record.created_at.unix_timestamp()
        );
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
            assert!(decode(bad).is_err());
        }
    }
}
