//! How `MemoryStore` keeps a session key's name: inline when short, as nearly all are.
//!
//! A `Box<str>` per name is an allocation of at least 32 bytes for a name of a few
//! characters, written on every create and followed on every load. Names up to 22 bytes
//! sit in the pair itself, which stays 24 bytes wide either way.

/// The longest name kept inline.
const INLINE: usize = 22;

/// A session key's name.
#[derive(Debug)]
pub(super) enum Name {
    Inline { len: u8, bytes: [u8; INLINE] },
    Boxed(Box<str>),
}

impl Name {
    pub(super) fn new(text: &str) -> Self {
        match u8::try_from(text.len()) {
            Ok(len) if text.len() <= INLINE => {
                let mut bytes = [0; INLINE];
                bytes[..text.len()].copy_from_slice(text.as_bytes());
                Self::Inline { len, bytes }
            }
            _ => Self::Boxed(Box::from(text)),
        }
    }

    /// The name's UTF-8; they order as the `str`s do.
    pub(super) fn as_bytes(&self) -> &[u8] {
        match self {
            Self::Inline { len, bytes } => &bytes[..usize::from(*len)],
            Self::Boxed(text) => text.as_bytes(),
        }
    }

    pub(super) fn len(&self) -> usize {
        self.as_bytes().len()
    }

    /// The name as a `String` again.
    pub(super) fn to_owned_string(&self) -> String {
        match self {
            // Lossless: the bytes were a `str`'s.
            Self::Inline { .. } => String::from_utf8_lossy(self.as_bytes()).into_owned(),
            Self::Boxed(text) => String::from(&**text),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_of_every_length_come_back_unchanged() {
        assert_eq!(size_of::<Name>(), 24);
        for len in [0, 1, 21, 22, 23, 200] {
            let text: String = "é€x".chars().cycle().take(len).collect();
            let name = Name::new(&text);
            assert_eq!(name.to_owned_string(), text);
            assert_eq!(name.as_bytes(), text.as_bytes());
            assert_eq!(matches!(name, Name::Inline { .. }), text.len() <= INLINE);
        }
    }
}
