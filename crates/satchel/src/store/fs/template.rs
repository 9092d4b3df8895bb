//! The filename template: werkzeug's `filename_template`, one `%s` for the stored key.

use crate::{Error, Result, StorageKey};

use super::atomic::TEMP_SUFFIX;

/// A validated template such as `satchel_%s.json`, split around its `%s`.
#[derive(Clone, Debug)]
pub(super) struct FilenameTemplate {
    before: String,
    after: String,
}

impl FilenameTemplate {
    pub(super) const DEFAULT: &'static str = "satchel_%s.json";

    /// Exactly one `%s`, no other `%`, and nothing that could leave the directory.
    pub(super) fn parse(template: &str) -> Result<Self> {
        let invalid = |why: &str| {
            Err(Error::InvalidConfig(format!(
                "filename template `{template}`: {why}"
            )))
        };
        let Some((before, after)) = template.split_once("%s") else {
            return invalid("needs exactly one %s");
        };
        if before.contains('%') || after.contains('%') {
            return invalid("needs exactly one %s and no other %");
        }
        if template.contains(['/', '\\', '\0']) {
            return invalid("must be a file name, without path separators");
        }
        // werkzeug asserts the same: a template ending like a temp file would hide sessions.
        if template.ends_with(TEMP_SUFFIX) {
            return invalid("must not end with the temp-file suffix");
        }
        Ok(Self {
            before: before.to_owned(),
            after: after.to_owned(),
        })
    }

    pub(super) fn file_name(&self, key: &StorageKey) -> String {
        format!("{}{}{}", self.before, key.as_str(), self.after)
    }

    /// The stored key a directory entry holds, if its name fits the template.
    pub(super) fn key_of(&self, file_name: &str) -> Option<StorageKey> {
        if file_name.ends_with(TEMP_SUFFIX) {
            return None;
        }
        let middle = file_name
            .strip_prefix(&self.before)?
            .strip_suffix(&self.after)?;
        StorageKey::parse(middle)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_one_placeholder_only() {
        assert!(FilenameTemplate::parse("werkzeug_%s.sess").is_ok());
        assert!(FilenameTemplate::parse("%s").is_ok());
        for bad in [
            "none",
            "%s%s",
            "a%d_%s",
            "../%s",
            "dir/%s",
            "%s.__satchel",
            "a\0%s",
        ] {
            assert!(FilenameTemplate::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn names_round_trip_and_strangers_are_skipped() {
        let template = FilenameTemplate::parse(FilenameTemplate::DEFAULT).unwrap();
        let key = StorageKey::parse(&"ab".repeat(32)).unwrap();
        let name = template.file_name(&key);
        assert_eq!(template.key_of(&name), Some(key));
        assert_eq!(template.key_of("satchel_abcde.json"), None);
        assert_eq!(template.key_of(&format!("x{name}")), None);
        assert_eq!(template.key_of(&format!("{name}{TEMP_SUFFIX}")), None);
    }
}
