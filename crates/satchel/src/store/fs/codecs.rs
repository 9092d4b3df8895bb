//! The file store's two decoders and encoders, reachable from `crate::fuzzing`: the same
//! [`Codec`] calls the store makes, at a fixed modification time.

use std::time::SystemTime;

use time::{Duration, OffsetDateTime};

use super::format::FileFormat;
use super::werkzeug::WerkzeugFormat;
use crate::error::Result;
use crate::record::Record;

/// A werkzeug store whose sessions live a day past their last write.
const WERKZEUG: FileFormat = FileFormat::Werkzeug(WerkzeugFormat {
    lifetime: Duration::DAY,
});

/// The record in a satchel session file, or why it is corrupt.
pub(crate) fn decode_satchel(bytes: &[u8]) -> std::result::Result<Record, String> {
    FileFormat::Satchel
        .codec()
        .decode(bytes, SystemTime::UNIX_EPOCH)
}

/// The bytes the store writes for `record`.
pub(crate) fn encode_satchel(record: &Record) -> Result<Vec<u8>> {
    let (bytes, _) = FileFormat::Satchel
        .codec()
        .encode(record, OffsetDateTime::UNIX_EPOCH)?;
    Ok(bytes)
}

/// The record in a werkzeug session file last written at `modified`.
pub(crate) fn decode_werkzeug(
    bytes: &[u8],
    modified: SystemTime,
) -> std::result::Result<Record, String> {
    WERKZEUG.codec().decode(bytes, modified)
}

/// The bytes the store writes for `record`, and the modification time it gives the file.
pub(crate) fn encode_werkzeug(record: &Record) -> Result<(Vec<u8>, Option<SystemTime>)> {
    WERKZEUG.codec().encode(record, OffsetDateTime::UNIX_EPOCH)
}
