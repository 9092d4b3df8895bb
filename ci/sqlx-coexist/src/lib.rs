//! Nothing here: the check is `tests/coexist.rs`.
