//! The filename template: werkzeug's `filename_template`, one `%s` for the stored key.

use crate::error::{Error, Result};
use crate::id::StorageKey;

/// Temp-file suffixes of every format: a template ending in one would hide its sessions.
const TEMP_SUFFIXES: [&str; 2] = [".__satchel", ".__wz_sess"];

/// A validated template such as `satchel_%s.json`, split around its `%s`.
#[derive(Clone, Debug)]
pub(super) struct FilenameTemplate {
    before: String,
    after: String,
}

impl FilenameTemplate {
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
        if TEMP_SUFFIXES
            .iter()
            .any(|suffix| template.ends_with(suffix))
        {
            return invalid("must not end with a temp-file suffix");
        }
        Ok(Self {
            before: before.to_owned(),
            after: after.to_owned(),
        })
    }

    pub(super) fn file_name(&self, key: &StorageKey) -> String {
        format!("{}{}{}", self.before, key.as_str(), self.after)
    }

    /// The `%s` part of a directory entry's name, if the name fits the template.
    pub(super) fn part_of<'a>(&self, file_name: &'a str) -> Option<&'a str> {
        file_name
            .strip_prefix(&self.before)?
            .strip_suffix(&self.after)
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
            "%s.__wz_sess",
            "a\0%s",
        ] {
            assert!(FilenameTemplate::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn names_round_trip_and_strangers_are_skipped() {
        let template = FilenameTemplate::parse("satchel_%s.json").unwrap();
        let key = StorageKey::parse(&"ab".repeat(32)).unwrap();
        let name = template.file_name(&key);
        assert_eq!(template.part_of(&name), Some(key.as_str()));
        assert_eq!(template.part_of(&format!("x{name}")), None);
        assert_eq!(template.part_of("satchel_abc.jsonx"), None);
    }
}
