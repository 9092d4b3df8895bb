//! The command line, and turning it into settings the library takes.

use clap::Parser;
use satchel::CookieConfig;
use satchel::time::Duration;

/// The satchel demo: a small web app whose sessions live in a satchel store.
#[derive(Debug, Parser)]
#[command(version, about)]
pub(crate) struct Args {
    /// Address to listen on (host:port).
    #[arg(long, default_value = "127.0.0.1:3000")]
    pub(crate) addr: String,
    /// Where sessions are kept: file:DIR, werkzeug:DIR, memory:, sqlite:PATH,
    /// redis://HOST:PORT, postgres://USER@HOST:PORT/DB or cookie: (key in SATCHEL_KEY).
    #[arg(long, value_name = "URL", default_value = "file:./sessions")]
    pub(crate) store: String,
    /// End a session after this long without use, e.g. 30m.
    #[arg(long, value_name = "DURATION", value_parser = humantime::parse_duration)]
    pub(crate) idle_timeout: Option<std::time::Duration>,
    /// End a session this long after it began, whatever its use, e.g. 12h.
    #[arg(long, value_name = "DURATION", value_parser = humantime::parse_duration)]
    pub(crate) absolute_timeout: Option<std::time::Duration>,
    /// Send the cookie without Secure, for plain HTTP on a host other than localhost.
    #[arg(long)]
    pub(crate) insecure_cookies: bool,
}

impl Args {
    /// The cookie settings: satchel's hardened defaults, minus Secure if asked.
    pub(crate) fn cookie(&self) -> CookieConfig {
        CookieConfig::new().with_secure(!self.insecure_cookies)
    }

    /// `--idle-timeout`, checked.
    ///
    /// # Errors
    /// The duration is zero or too long, with a message naming the option.
    pub(crate) fn idle_timeout(&self) -> Result<Option<Duration>, String> {
        self.idle_timeout
            .map(|d| timeout("--idle-timeout", d))
            .transpose()
    }

    /// `--absolute-timeout`, checked.
    ///
    /// # Errors
    /// As [`Args::idle_timeout`].
    pub(crate) fn absolute_timeout(&self) -> Result<Option<Duration>, String> {
        self.absolute_timeout
            .map(|d| timeout("--absolute-timeout", d))
            .transpose()
    }

    /// The store URL as it may be printed: every password in it is replaced by `***`.
    pub(crate) fn shown_store(&self) -> String {
        satchel::store::MaskedUrl::new(&self.store).to_string()
    }
}

/// The longest timeout taken: ten years is past any session, and far from the calendar's end.
const MAX_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10 * 366 * 24 * 3600);

/// A timeout as the library's duration type; zero would end every session at once.
fn timeout(option: &str, duration: std::time::Duration) -> Result<Duration, String> {
    if duration.is_zero() {
        return Err(format!("{option} must be longer than zero"));
    }
    if duration > MAX_TIMEOUT {
        return Err(format!("{option} must be at most ten years"));
    }
    Duration::try_from(duration).map_err(|_| {
        format!(
            "{option} {} is too long",
            humantime::format_duration(duration)
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_in_store_urls_are_not_shown() {
        let shown = |store: &str| Args::parse_from(["demo", "--store", store]).shown_store();
        assert_eq!(
            shown("postgres://app:s3cret@db:5432/x"),
            "postgres://app:***@db:5432/x"
        );
        assert_eq!(
            shown("redis://:pw@127.0.0.1:6379/0"),
            "redis://:***@127.0.0.1:6379/0"
        );
        assert_eq!(
            shown("postgres://app@db/x?password=s3cret"),
            "postgres://app@db/x?password=***"
        );
        assert_eq!(
            shown("redis://127.0.0.1:6379/0?pass=s3cret"),
            "redis://127.0.0.1:6379/0?pass=***"
        );
        assert_eq!(shown("host=db password=s3cret"), "host=db password=***");
        assert_eq!(shown("postgres://app@db/x"), "postgres://app@db/x");
        assert_eq!(shown("file:./sessions"), "file:./sessions");
    }
}
