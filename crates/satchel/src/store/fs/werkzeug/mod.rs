//! werkzeug's session file format: a pickled dict named by the raw id (see
//! [`IdPolicy::werkzeug`]), with no times of its own, so a file lives a lifetime past its
//! modification time.

mod budget;
mod opcode;
mod pickle;
mod text;
mod unpickle;

use std::time::SystemTime;

use time::{Duration, OffsetDateTime};

use super::format::Codec;
use crate::error::{Error, Result};
use crate::id_policy::IdPolicy;
use crate::owner::WERKZEUG_HAS_NO_OWNERS;
use crate::record::Record;

/// werkzeug's files, valid `lifetime` past their last write.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct WerkzeugFormat {
    pub(super) lifetime: Duration,
}

impl Codec for WerkzeugFormat {
    fn default_template(&self) -> &'static str {
        "werkzeug_%s.sess"
    }

    /// werkzeug's own suffix for temp files, so Python's `list()` skips ours too.
    fn temp_suffix(&self) -> &'static str {
        ".__wz_sess"
    }

    fn ids(&self) -> IdPolicy {
        IdPolicy::werkzeug()
    }

    fn encode(
        &self,
        record: &Record,
        now: OffsetDateTime,
    ) -> Result<(Vec<u8>, Option<SystemTime>)> {
        if record.owner.is_some() {
            // A pickled dict and a file name: no place for an index that Python would keep.
            return Err(Error::Unsupported(WERKZEUG_HAS_NO_OWNERS));
        }
        let bytes = pickle::encode(&record.data).map_err(Error::InvalidConfig)?;
        Ok((bytes, self.modified_for(record.expires_at, now)))
    }

    fn decode(&self, bytes: &[u8], modified: SystemTime) -> std::result::Result<Record, String> {
        // werkzeug records no times: a file is as old as its last write.
        let seconds = match modified.duration_since(SystemTime::UNIX_EPOCH) {
            Ok(after) => i64::try_from(after.as_secs()).ok(),
            Err(before) => i64::try_from(before.duration().as_secs()).ok().map(|s| -s),
        };
        let written = seconds
            .and_then(|s| OffsetDateTime::from_unix_timestamp(s).ok())
            .ok_or("the file's modification time is out of range")?;
        Ok(Record {
            data: pickle::decode(bytes)?,
            created_at: written,
            expires_at: Some(
                written
                    .checked_add(self.lifetime)
                    .ok_or("the file's lifetime is out of range")?,
            ),
            owner: None,
        })
    }

    fn modified_for(
        &self,
        expires_at: Option<OffsetDateTime>,
        now: OffsetDateTime,
    ) -> Option<SystemTime> {
        let written = expires_at
            .and_then(|at| at.checked_sub(self.lifetime))
            .unwrap_or(now);
        Some(written.into())
    }
}
