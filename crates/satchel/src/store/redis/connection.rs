//! Reaching Redis: a single server through a connection manager, or a Redis Cluster with
//! its routing; and the store URLs that name them.

use std::time::Duration;

use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use redis::cluster::{ClusterClient, ClusterConfig};
use redis::cluster_async::ClusterConnection;
use redis::cluster_routing::{RoutingInfo, SingleNodeRoutingInfo};
use redis::{Cmd, FromRedisValue, RedisResult, ScriptInvocation, Value};

use crate::error::{Error, Result};

const CLUSTER_SCHEME: &str = "redis+cluster://";

/// What the store connects to.
#[derive(Clone)]
pub(super) enum Target {
    // Boxed, as the cluster client is: a client with TLS settings is a few hundred bytes.
    Server(Box<redis::Client>),
    Cluster(Box<ClusterClient>),
    /// The app's own connection manager, used as it is (it reconnects by itself).
    Manager(ConnectionManager),
}

/// A live connection to it.
#[derive(Clone)]
pub(super) enum Connection {
    Server(ConnectionManager),
    Cluster(ClusterConnection),
}

/// A cluster node by address, for the commands (SCAN) that must reach one node.
pub(super) type Node = Option<(String, u16)>;

impl Target {
    /// `redis://HOST:PORT[/DB]`, or `redis+cluster://HOST:PORT[,HOST:PORT...]`.
    pub(super) fn from_url(url: &str) -> Result<Self> {
        match url.strip_prefix(CLUSTER_SCHEME) {
            Some(nodes) => Self::cluster(cluster_node_urls(nodes)),
            None => redis::Client::open(url)
                .map(|client| Self::Server(Box::new(client)))
                .map_err(invalid_config),
        }
    }

    /// The cluster that `nodes` (one or more `redis://` URLs) belong to.
    pub(super) fn cluster(nodes: Vec<String>) -> Result<Self> {
        let client = ClusterClient::new(nodes).map_err(invalid_config)?;
        Ok(Self::Cluster(Box::new(client)))
    }

    pub(super) async fn connect(&self, timeout: Duration) -> RedisResult<Connection> {
        match self {
            Self::Server(client) => {
                let config = ConnectionManagerConfig::new()
                    .set_connection_timeout(Some(timeout))
                    // The store bounds each round trip itself: a second timer per command
                    // here would cost as much again and change nothing (a timed-out
                    // command is never a reason to reconnect, in the client nor here).
                    .set_response_timeout(None)
                    // One attempt per request: a request waits for no backoff while Redis
                    // is away, and the next request tries again.
                    .set_number_of_retries(0);
                let manager =
                    ConnectionManager::new_with_config((**client).clone(), config).await?;
                Ok(Connection::Server(manager))
            }
            Self::Cluster(client) => {
                let config = ClusterConfig::new()
                    .set_connection_timeout(timeout)
                    .set_response_timeout(timeout);
                let connection = client.get_async_connection_with_config(config).await?;
                Ok(Connection::Cluster(connection))
            }
            Self::Manager(manager) => Ok(Connection::Server(manager.clone())),
        }
    }
}

impl Connection {
    /// Sends `cmd` to the cluster node that `node` names, else where it belongs.
    pub(super) async fn send<T: FromRedisValue>(
        &mut self,
        cmd: &Cmd,
        node: &Node,
    ) -> RedisResult<T> {
        match (self, node) {
            (Self::Server(conn), _) => cmd.query_async(conn).await,
            (Self::Cluster(conn), None) => cmd.query_async(conn).await,
            (Self::Cluster(conn), Some((host, port))) => {
                let (host, port) = (host.clone(), *port);
                let routing =
                    RoutingInfo::SingleNode(SingleNodeRoutingInfo::ByAddress { host, port });
                let value = conn.route_command(cmd.clone(), routing).await?;
                Ok(redis::from_redis_value(value)?)
            }
        }
    }

    pub(super) async fn invoke(&mut self, invocation: &ScriptInvocation<'_>) -> RedisResult<bool> {
        match self {
            Self::Server(conn) => invocation.invoke_async(conn).await,
            Self::Cluster(conn) => invocation.invoke_async(conn).await,
        }
    }
}

/// The master of one range in a `CLUSTER SLOTS` reply: `[first, last, [host, port, ..], ..]`.
pub(super) fn slot_owner(range: &[Value]) -> Option<(String, u16)> {
    let master: Vec<Value> = redis::from_redis_value_ref(range.get(2)?).ok()?;
    let host = redis::from_redis_value_ref(master.first()?).ok()?;
    let port = redis::from_redis_value_ref(master.get(1)?).ok()?;
    Some((host, port))
}

/// `user:pass@h1:p1,h2:p2` as one `redis://` URL per node.
fn cluster_node_urls(nodes: &str) -> Vec<String> {
    let (credentials, hosts) = match nodes.rsplit_once('@') {
        Some((credentials, hosts)) => (format!("{credentials}@"), hosts),
        None => (String::new(), nodes),
    };
    hosts
        .split(',')
        .filter(|host| !host.is_empty())
        .map(|host| format!("redis://{credentials}{host}"))
        .collect()
}

fn invalid_config(err: redis::RedisError) -> Error {
    // The error, not the URL: the URL may hold a password.
    Error::InvalidConfig(format!("not a usable Redis URL: {err}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cluster_urls_name_every_node() {
        assert_eq!(
            cluster_node_urls("127.0.0.1:7000,127.0.0.1:7001"),
            ["redis://127.0.0.1:7000", "redis://127.0.0.1:7001"]
        );
        assert_eq!(
            cluster_node_urls("u:p@a@h:1,h:2"),
            ["redis://u:p@a@h:1", "redis://u:p@a@h:2"]
        );
    }

    #[test]
    fn the_owner_of_a_slot_range_is_its_master() {
        let node = |host: &str, port: i64| {
            Value::Array(vec![
                Value::BulkString(host.as_bytes().to_vec()),
                Value::Int(port),
                Value::BulkString(b"id".to_vec()),
            ])
        };
        let range = [
            Value::Int(0),
            Value::Int(5460),
            node("10.0.0.1", 7000),
            node("10.0.0.9", 7009),
        ];
        assert_eq!(slot_owner(&range), Some(("10.0.0.1".to_owned(), 7000)));
        assert_eq!(slot_owner(&range[..2]), None);
        assert_eq!(
            slot_owner(&[Value::Int(0), Value::Int(1), Value::Nil]),
            None
        );
    }
}
