//! satchel's errors as tower-sessions' store errors.

use tower_sessions_core::session_store::Error;

/// tower-sessions' store error for a satchel error: data that cannot be written (too
/// large, too deep, unencodable) is `Encode`, a stored record that cannot be read is
/// `Decode`, anything else the backend's. The message is satchel's, which never holds a
/// session id.
pub(crate) fn to_tower(error: satchel::Error) -> Error {
    match error {
        satchel::Error::Encode(_)
        | satchel::Error::TooLarge { .. }
        | satchel::Error::TooDeep { .. } => Error::Encode(error.to_string()),
        satchel::Error::Decode(_) => Error::Decode(error.to_string()),
        other => Error::Backend(other.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_are_kept() {
        let too_large = satchel::Error::TooLarge { size: 2, limit: 1 };
        assert!(matches!(to_tower(too_large), Error::Encode(_)));
        let io = satchel::Error::Io(std::io::Error::other("disk gone"));
        match to_tower(io) {
            Error::Backend(message) => assert!(message.contains("disk gone"), "{message}"),
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            to_tower(satchel::Error::Conflict),
            Error::Backend(_)
        ));
    }
}
