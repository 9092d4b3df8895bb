//! `RedisStore` from the app's own Redis client, connection manager or cluster client.

use redis::aio::ConnectionManager;
use redis::cluster::ClusterClient;

use super::RedisStore;
use super::connection::Target;

impl RedisStore {
    /// A store on the app's own `redis::Client` (redis-rs 1.x): its address, database,
    /// credentials and TLS, whatever way the app built it. The store makes its own
    /// connection manager from it on first use, with the store's timeouts, and remakes it
    /// after Redis restarts, as [`RedisStore::new`] does.
    ///
    /// # Example
    /// ```
    /// let client = redis::Client::open("redis://127.0.0.1:6379/0")?;
    /// let store = satchel::RedisStore::from_client(client).with_prefix("app:sessions:");
    /// assert_eq!(store.prefix(), "app:sessions:");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn from_client(client: redis::Client) -> Self {
        Self::from_target(Target::Server(Box::new(client)))
    }

    /// A store on the app's own Redis Cluster client (its nodes, credentials, TLS and
    /// read-from-replica settings); the store connects on first use, with its own
    /// timeouts, as [`RedisStore::new_cluster`] does.
    ///
    /// # Example
    /// ```
    /// let client = redis::cluster::ClusterClient::new(["redis://127.0.0.1:7000"])?;
    /// let store = satchel::RedisStore::from_cluster_client(client);
    /// assert_eq!(store.prefix(), "satchel:");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn from_cluster_client(client: ClusterClient) -> Self {
        Self::from_target(Target::Cluster(Box::new(client)))
    }

    /// A store on the app's own connection manager (redis-rs 1.x, the `connection-manager`
    /// feature), shared with the app's other commands: no second connection is made. Its
    /// own reconnect and response settings apply; each store operation is still bounded
    /// by the store's timeout (500 ms, or [`with_timeout`](RedisStore::with_timeout),
    /// which here changes only that bound).
    ///
    /// # Example
    /// ```no_run
    /// use satchel::{RedisStore, SessionStoreExt};
    ///
    /// # tokio::runtime::Runtime::new()?.block_on(async {
    /// let client = redis::Client::open("redis://127.0.0.1:6379")?;
    /// let manager = redis::aio::ConnectionManager::new(client).await?;
    /// let store = RedisStore::from_connection_manager(manager.clone());
    /// let mut session = store.new_session()?;
    /// session.insert("user", "alice")?;
    /// store.save(&mut session).await?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// # })?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn from_connection_manager(manager: ConnectionManager) -> Self {
        Self::from_target(Target::Manager(manager))
    }
}
