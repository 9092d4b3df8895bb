//! `PostgresStore` on the app's own connections: its deadpool pool, or its tokio-postgres
//! configuration.

use std::sync::Arc;

use deadpool_postgres::Pool;

use super::{DEFAULT_PRUNE_BATCH, DEFAULT_TIMEOUT, PostgresStore, pool};
use crate::clock::Clock;
use crate::error::Result;

impl PostgresStore {
    /// A store on the app's own deadpool-postgres 0.14 pool: its connections, size,
    /// timeouts and TLS (the URL constructors connect without TLS). Sessions go in
    /// `satchel_sessions` unless [`with_table`](PostgresStore::with_table) says otherwise;
    /// the table is created on first use, as with [`PostgresStore::new`].
    ///
    /// Each operation still fails after the store's timeout (500 ms, or
    /// [`with_timeout`](PostgresStore::with_timeout)); for this store that sets the
    /// operations' bound only and leaves the pool, and its own timeouts, as the app built it.
    ///
    /// # Example
    /// ```no_run
    /// use deadpool_postgres::{Manager, Pool};
    /// use satchel::{PostgresStore, SessionStoreExt};
    ///
    /// # tokio::runtime::Runtime::new()?.block_on(async {
    /// // The pool the app already has for its own queries.
    /// let config: tokio_postgres::Config = "postgres://postgres@127.0.0.1:5432/test".parse()?;
    /// let manager = Manager::new(config, tokio_postgres::NoTls);
    /// let pool = Pool::builder(manager).max_size(8).build()?;
    ///
    /// let store = PostgresStore::from_pool(pool.clone()).with_table("web_sessions")?;
    /// let mut session = store.new_session()?;
    /// session.insert("user", "alice")?;
    /// store.save(&mut session).await?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// # })?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn from_pool(pool: Pool) -> Self {
        Self::on(pool, None)
    }

    /// A store for the database a tokio-postgres configuration names (built in code rather
    /// than parsed from a URL), with the store's own pool as [`PostgresStore::new`] makes it.
    ///
    /// # Errors
    /// [`Error::InvalidConfig`](crate::Error::InvalidConfig) when the pool cannot be built.
    ///
    /// # Example
    /// ```
    /// let mut config = tokio_postgres::Config::new();
    /// config.host("127.0.0.1").port(5432).user("postgres").dbname("test");
    /// let store = satchel::PostgresStore::from_config(config)?;
    /// assert_eq!(store.table(), "satchel_sessions");
    /// # Ok::<(), satchel::Error>(())
    /// ```
    pub fn from_config(config: tokio_postgres::Config) -> Result<Self> {
        let pool = pool(config.clone(), DEFAULT_TIMEOUT)?;
        Ok(Self::on(pool, Some(Arc::new(config))))
    }

    fn on(pool: Pool, config: Option<Arc<tokio_postgres::Config>>) -> Self {
        Self {
            config,
            pool,
            table: "satchel_sessions".into(),
            schema_ready: Arc::default(),
            clock: Clock::system(),
            timeout: DEFAULT_TIMEOUT,
            prune_batch: DEFAULT_PRUNE_BATCH,
        }
    }
}
