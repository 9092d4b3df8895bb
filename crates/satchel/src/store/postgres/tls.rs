//! TLS to PostgreSQL: `sslmode=require`, `verify-ca` and `verify-full` connect through
//! rustls and verify the server's certificate and host name against the system's roots
//! (`SSL_CERT_FILE` names others). Unlike libpq, `require` verifies too: a session store
//! holds logins, and an unverified connection is open to whoever sits in between. Without
//! `sslmode`, or with `disable` or `prefer`, the connection is plain text (satchel never
//! falls back from TLS silently).

use std::sync::Arc;

use deadpool_postgres::{Manager, ManagerConfig};
use tokio_postgres::config::SslMode;
use tokio_postgres::{Config, NoTls};
use tokio_postgres_rustls::MakeRustlsConnect;

use crate::error::{Error, Result};

/// The connection settings in `url`, with libpq's `verify-ca` and `verify-full` read as
/// `require` (tokio-postgres knows only `disable`, `prefer` and `require`; all three
/// verify here anyway).
pub(super) fn parse(url: &str) -> Result<Config> {
    let url = url
        .replace("sslmode=verify-full", "sslmode=require")
        .replace("sslmode=verify-ca", "sslmode=require");
    url.parse()
        .map_err(|err| Error::InvalidConfig(format!("PostgreSQL URL: {err}")))
}

/// A connection manager for `config`: through rustls when it asks for TLS.
pub(super) fn manager(config: Config, manager: ManagerConfig) -> Result<Manager> {
    if config.get_ssl_mode() != SslMode::Require {
        return Ok(Manager::from_config(config, NoTls, manager));
    }
    let tls = MakeRustlsConnect::new(client_config()?);
    Ok(Manager::from_config(config, tls, manager))
}

/// rustls with the system's roots (`SSL_CERT_FILE` and `SSL_CERT_DIR` honoured).
fn client_config() -> Result<rustls::ClientConfig> {
    let mut roots = rustls::RootCertStore::empty();
    let found = rustls_native_certs::load_native_certs();
    for certificate in found.certs {
        // A root the system holds but rustls cannot parse is no root we could verify by.
        let _ = roots.add(certificate);
    }
    if roots.is_empty() {
        return Err(Error::InvalidConfig(
            "sslmode asks for TLS, but no trusted root certificates were found (set SSL_CERT_FILE)"
                .into(),
        ));
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|err| Error::InvalidConfig(format!("TLS: {err}")))?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(config)
}
