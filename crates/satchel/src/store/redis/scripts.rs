//! The Lua scripts that make each check-and-write one atomic step on the Redis server,
//! kept as `.lua` files beside this one and compiled in.

use std::sync::LazyLock;

use redis::Script;

/// Shared by every script: `is_live`, `each_slice` and `write`.
const HELPERS: &str = include_str!("helpers.lua");

pub(super) static CREATE: LazyLock<Script> = LazyLock::new(|| script(include_str!("create.lua")));
pub(super) static UPDATE: LazyLock<Script> = LazyLock::new(|| script(include_str!("update.lua")));
pub(super) static DELETE_EXPIRED: LazyLock<Script> =
    LazyLock::new(|| script(include_str!("delete_expired.lua")));

fn script(body: &str) -> Script {
    Script::new(&format!("{HELPERS}{body}"))
}
