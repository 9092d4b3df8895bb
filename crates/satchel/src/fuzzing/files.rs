//! The file store's decoders: satchel's JSON record and werkzeug's pickled dict.

use std::time::{Duration, SystemTime};

use crate::store::codecs;

/// The modification time the pickle target gives its files: 2023-11-14.
const PICKLE_MODIFIED_SECONDS: u64 = 1_700_000_000;

/// Decodes `data` as a satchel session file: a record that reads must encode, and read
/// back from those bytes as the same record, encoded the same way.
///
/// # Example
/// ```
/// satchel::fuzzing::session_file(br#"{"satchel":1,"data":{"n":1},"created_at":0}"#);
/// ```
pub fn session_file(data: &[u8]) {
    let Ok(record) = codecs::decode_satchel(data) else {
        return;
    };
    let bytes = codecs::encode_satchel(&record).expect("a record that reads encodes");
    let again = codecs::decode_satchel(&bytes).expect("what the store writes reads back");
    assert_eq!(again, record);
    assert_eq!(codecs::encode_satchel(&again).ok(), Some(bytes));
}

/// Decodes `data` as a werkzeug session file (the pickle reader, within its byte budget):
/// session data that reads must be written, and read back from those bytes and that
/// modification time as the same record.
///
/// # Example
/// ```
/// // pickle.dumps({"a": 1}, protocol=2)
/// satchel::fuzzing::pickle(b"\x80\x02}q\x00X\x01\x00\x00\x00aq\x01K\x01s.");
/// ```
pub fn pickle(data: &[u8]) {
    let modified = SystemTime::UNIX_EPOCH + Duration::from_secs(PICKLE_MODIFIED_SECONDS);
    let Ok(record) = codecs::decode_werkzeug(data, modified) else {
        return;
    };
    let (bytes, written) =
        codecs::encode_werkzeug(&record).expect("session data that reads can be written");
    assert_eq!(written, Some(modified), "the file keeps its deadline");
    let again = codecs::decode_werkzeug(&bytes, modified).expect("what the store writes reads");
    assert_eq!(again, record);
}
