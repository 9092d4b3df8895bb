//! satchel's errors as tower-sessions' store errors.

/// A store error in the three kinds every tower-sessions release has: data that cannot be
/// written (too large, too deep, unencodable), a stored record that cannot be read, and
/// anything else the backend's. The message is satchel's, which never holds a session id.
#[derive(Debug)]
pub(crate) enum StoreError {
    Encode(String),
    Decode(String),
    Backend(String),
}

impl From<satchel::Error> for StoreError {
    fn from(error: satchel::Error) -> Self {
        match error {
            satchel::Error::Encode(_)
            | satchel::Error::TooLarge { .. }
            | satchel::Error::TooDeep { .. } => Self::Encode(error.to_string()),
            satchel::Error::Decode(_) => Self::Decode(error.to_string()),
            other => Self::Backend(other.to_string()),
        }
    }
}

impl From<StoreError> for tower_sessions_core::session_store::Error {
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::Encode(message) => Self::Encode(message),
            StoreError::Decode(message) => Self::Decode(message),
            StoreError::Backend(message) => Self::Backend(message),
        }
    }
}

#[cfg(feature = "tower-sessions-0-15")]
impl From<StoreError> for tower_sessions_core_0_15::session_store::Error {
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::Encode(message) => Self::Encode(message),
            StoreError::Decode(message) => Self::Decode(message),
            StoreError::Backend(message) => Self::Backend(message),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_are_kept() {
        let too_large = satchel::Error::TooLarge { size: 2, limit: 1 };
        assert!(matches!(StoreError::from(too_large), StoreError::Encode(_)));
        let io = satchel::Error::Io(std::io::Error::other("disk gone"));
        match StoreError::from(io) {
            StoreError::Backend(message) => assert!(message.contains("disk gone"), "{message}"),
            other => panic!("{other:?}"),
        }
        let conflict = StoreError::from(satchel::Error::Conflict);
        let tower = tower_sessions_core::session_store::Error::from(conflict);
        assert!(matches!(
            tower,
            tower_sessions_core::session_store::Error::Backend(_)
        ));
    }
}
