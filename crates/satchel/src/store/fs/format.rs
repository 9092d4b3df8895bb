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
    let (mut file, meta) = match open(path)? {
        Opened::File(file, meta) => (file, meta),
        Opened::Done(stored) => return Ok(stored),
    };
    let mut bytes = Vec::new();
    file.read_to_end(&mut bytes)?;
    decode(codec, &bytes, &meta)
}

/// [`read`] for the calling thread: `None` where the file's bytes are not all in the page
/// cache, so reading them would wait for the disk (`preadv2` with `RWF_NOWAIT`).
#[cfg(target_os = "linux")]
pub(super) fn read_cached(codec: &dyn Codec, path: &Path) -> io::Result<Option<Stored>> {
    use rustix::io::{Errno, ReadWriteFlags, preadv2};
    let (file, meta) = match open(path)? {
        Opened::File(file, meta) => (file, meta),
        Opened::Done(stored) => return Ok(Some(stored)),
    };
    // One byte more than the file holds: a file that grew since `fstat` still reads whole.
    let mut bytes = vec![0; usize::try_from(meta.len()).unwrap_or(0) + 1];
    let mut filled = 0;
    loop {
        if filled as u64 > MAX_FILE_BYTES {
            break; // `decode` reports it
        }
        if filled == bytes.len() {
            bytes.resize(filled * 2, 0);
        }
        let mut slices = [io::IoSliceMut::new(&mut bytes[filled..])];
        match preadv2(&file, &mut slices, filled as u64, ReadWriteFlags::NOWAIT) {
            Ok(0) => break,
            Ok(read) => filled += read,
            // Not in the cache; or a file system (tmpfs, say) or kernel without
            // RWF_NOWAIT: the blocking read decides.
            Err(Errno::AGAIN | Errno::OPNOTSUPP | Errno::NOSYS | Errno::INVAL) => return Ok(None),
            Err(Errno::INTR) => {}
            Err(err) => return Err(err.into()),
        }
    }
    bytes.truncate(filled);
    decode(codec, &bytes, &meta).map(Some)
}

/// A session file opened for reading, or why there is nothing to read.
pub(super) enum Opened {
    File(File, std::fs::Metadata),
    /// Nothing to decode: missing, or not something a session file can be.
    Done(Stored),
}

/// Opens a session file without following a symlink or blocking on a FIFO, refusing what
/// is not a regular file or is past [`MAX_FILE_BYTES`].
pub(super) fn open(path: &Path) -> io::Result<Opened> {
    let flags = rustix::fs::OFlags::NOFOLLOW | rustix::fs::OFlags::NONBLOCK;
    let file = match OpenOptions::new()
        .read(true)
        .custom_flags(flags.bits() as i32)
        .open(path)
    {
        Ok(file) => file,
        Err(err) if err.kind() == io::ErrorKind::NotFound => {
            return Ok(Opened::Done(Stored::Missing));
        }
        Err(err) if err.raw_os_error() == Some(rustix::io::Errno::LOOP.raw_os_error()) => {
            return Ok(Opened::Done(Stored::Corrupt("is a symbolic link".into())));
        }
        Err(err) => return Err(err),
    };
    let meta = file.metadata()?;
    if !meta.is_file() {
        return Ok(Opened::Done(Stored::Corrupt(
            "is not a regular file".into(),
        )));
    }
    if meta.len() > MAX_FILE_BYTES {
        return Ok(Opened::Done(Stored::Corrupt(format!(
            "is larger than {MAX_FILE_BYTES} bytes"
        ))));
    }
    Ok(Opened::File(file, meta))
}

fn decode(codec: &dyn Codec, bytes: &[u8], meta: &std::fs::Metadata) -> io::Result<Stored> {
    if bytes.len() as u64 > MAX_FILE_BYTES {
        return Ok(Stored::Corrupt(format!(
            "is larger than {MAX_FILE_BYTES} bytes"
        )));
    }
    Ok(match codec.decode(bytes, meta.modified()?) {
        Ok(record) => Stored::Found(record),
        Err(why) => Stored::Corrupt(why),
    })
}

#[cfg(test)]
#[allow(clippy::disallowed_methods)] // fixtures are written plainly, not as sessions
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

    /// fuzz/artifacts/session_file: without serde_json's `float_roundtrip`, this number
    /// read one ulp off, and read differently again once written back.
    #[test]
    fn numbers_past_u64_read_back_as_written() {
        let file = br#"{"satchel":1,"data":{"big":184467442073709553615},"created_at":0}"#;
        let record = SatchelFormat.decode(file, SystemTime::now()).unwrap();
        // Rust's own parser rounds correctly.
        let exact: f64 = "184467442073709553615".parse().unwrap();
        assert_eq!(record.data["big"].as_f64(), Some(exact));
        let (bytes, _) = SatchelFormat
            .encode(&record, OffsetDateTime::now_utc())
            .unwrap();
        assert_eq!(
            SatchelFormat.decode(&bytes, SystemTime::now()).unwrap(),
            record
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
            assert!(SatchelFormat.decode(bad, SystemTime::now()).is_err());
        }
    }

    /// What both readers make of `path`, compared by their `Debug` text.
    #[cfg(target_os = "linux")]
    fn both(path: &Path) -> (String, String) {
        let blocking = format!("{:?}", read(&SatchelFormat, path).unwrap());
        let cached = read_cached(&SatchelFormat, path).unwrap().unwrap();
        (blocking, format!("{cached:?}"))
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn the_cached_reader_finds_what_the_blocking_one_does() {
        let dir = tempfile::tempdir().unwrap();
        let mut record = Record::new();
        record.data.insert("n".into(), 1.into());
        let (bytes, _) = SatchelFormat
            .encode(&record, OffsetDateTime::now_utc())
            .unwrap();
        std::fs::write(dir.path().join("good"), &bytes).unwrap();
        std::fs::write(dir.path().join("corrupt"), b"{not json").unwrap();
        std::fs::write(dir.path().join("empty"), b"").unwrap();
        let big = vec![b' '; usize::try_from(MAX_FILE_BYTES).unwrap() + 1];
        std::fs::write(dir.path().join("big"), big).unwrap();
        std::os::unix::fs::symlink(dir.path().join("good"), dir.path().join("link")).unwrap();
        std::fs::create_dir(dir.path().join("dir")).unwrap();
        rustix::fs::mknodat(
            rustix::fs::CWD,
            dir.path().join("fifo"),
            rustix::fs::FileType::Fifo,
            rustix::fs::Mode::from_raw_mode(0o600),
            0,
        )
        .unwrap();
        for name in [
            "good", "corrupt", "empty", "big", "link", "dir", "fifo", "missing",
        ] {
            let (blocking, cached) = both(&dir.path().join(name));
            assert_eq!(blocking, cached, "{name}");
        }
        assert!(both(&dir.path().join("good")).0.starts_with("Found"));
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn the_cached_reader_declines_a_file_the_page_cache_dropped() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("cold");
        let (bytes, _) = SatchelFormat
            .encode(&Record::new(), OffsetDateTime::now_utc())
            .unwrap();
        std::fs::write(&path, bytes).unwrap();
        let file = File::open(&path).unwrap();
        file.sync_all().unwrap(); // clean pages are the ones the kernel may drop
        rustix::fs::fadvise(&file, 0, None, rustix::fs::Advice::DontNeed).unwrap();
        match read_cached(&SatchelFormat, &path).unwrap() {
            None => assert!(matches!(
                read(&SatchelFormat, &path).unwrap(),
                Stored::Found(_)
            )),
            Some(_) => eprintln!("skipped: this filesystem kept the file in memory (tmpfs?)"),
        }
    }
}
