//! How a session is written: the one algorithm every store shares.

use super::SessionStore;
use crate::error::{Error, Result};
use crate::record::Record;
use crate::session::{Pending, Session};

/// How many fresh ids to try when `create` finds one taken (with 192-bit ids, one is plenty).
const CREATE_ATTEMPTS: usize = 4;

/// What [`SessionStoreExt::save`](super::SessionStoreExt::save) did; the middleware decides the cookie from it.
///
/// # Example
/// ```
/// use satchel::{MemoryStore, SessionStoreExt, store::SaveOutcome};
///
/// # tokio::runtime::Runtime::new()?.block_on(async {
/// let store = MemoryStore::new();
/// let mut session = store.new_session()?;
/// assert_eq!(store.save(&mut session).await?, SaveOutcome::Unchanged);
/// session.insert("a", 1)?;
/// assert_eq!(store.save(&mut session).await?, SaveOutcome::Created);
/// session.insert("b", 2)?;
/// assert_eq!(store.save(&mut session).await?, SaveOutcome::Updated);
/// # Ok::<(), satchel::Error>(())
/// # })?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum SaveOutcome {
    /// Nothing needed writing.
    Unchanged,
    /// A new record was created (the client needs the cookie).
    Created,
    /// The changes were applied to the stored record.
    Updated,
    /// A record under the new id was written and the old one deleted.
    Rotated,
    /// Only the expiry was written, for a session that was read but not changed (the
    /// middleware's sliding idle timeout; [`SessionStoreExt::save`](super::SessionStoreExt::save) never returns it).
    Touched,
    /// The session was destroyed and its record deleted.
    Deleted,
    /// The stored record was gone (deleted, rotated or expired meanwhile); nothing was
    /// written, so the session does not come back.
    Gone,
}

/// Writes what `session` needs written, as [`Session::pending`] says, once its data is
/// checked against its [`Limits`](crate::Limits).
pub(super) async fn save<S: SessionStore + ?Sized>(
    store: &S,
    session: &mut Session,
) -> Result<SaveOutcome> {
    let ids = store.ids();
    let writes = matches!(
        session.pending(),
        Pending::Create | Pending::CreateAdopted | Pending::Update | Pending::Rotate(_)
    );
    if writes {
        // Before anything is written: what a store accepts, it must be able to read.
        session.check_limits()?;
    }
    let outcome = match session.pending() {
        Pending::Nothing => return Ok(SaveOutcome::Unchanged),
        // Deleted or rotated elsewhere: saving again must not bring it back.
        Pending::Gone => return Ok(SaveOutcome::Gone),
        Pending::Delete(None) => SaveOutcome::Unchanged,
        // A session that was stored ends with a removal cookie even if another request
        // deleted it first: the browser must forget it either way.
        Pending::Delete(Some(stored)) => {
            store.delete(&ids.storage_key(stored)).await?;
            SaveOutcome::Deleted
        }
        Pending::Create => return create(store, session).await,
        Pending::CreateAdopted => return create_adopted(store, session).await,
        Pending::Update => {
            let updated = {
                let key = session.storage_key(&ids);
                store.update(&key, &session.changes()).await?
            };
            if updated {
                session.mark_saved();
                return Ok(SaveOutcome::Updated);
            }
            SaveOutcome::Gone
        }
        Pending::Rotate(previous) => {
            let previous = previous.clone();
            return rotate(store, session, &previous).await;
        }
    };
    session.mark_gone();
    Ok(outcome)
}

/// Writes the new record before deleting the old, so a failure loses nothing; re-reads the
/// old record so that changes other requests saved to it before carry over. A save to the
/// old id between that read and the delete is lost (the old id is ending), and a logout
/// in that window wins: the new record is removed too.
async fn rotate<S: SessionStore + ?Sized>(
    store: &S,
    session: &mut Session,
    previous: &crate::id::SessionId,
) -> Result<SaveOutcome> {
    let ids = store.ids();
    let old = ids.storage_key(previous);
    let now = store.clock().now();
    let Some(mut record) = store
        .load(&old)
        .await?
        .filter(|record| !record.is_expired(now))
    else {
        session.mark_gone();
        return Ok(SaveOutcome::Gone);
    };
    record.apply(&session.changes());
    insert_unique(store, session, &record).await?;
    if !store.delete(&old).await? {
        // The old session was deleted meanwhile (a logout): the rotated copy must not
        // outlive it.
        store.delete(&ids.storage_key(session.id())).await?;
        session.mark_gone();
        return Ok(SaveOutcome::Gone);
    }
    session.mark_saved();
    Ok(SaveOutcome::Rotated)
}

async fn create<S: SessionStore + ?Sized>(store: &S, session: &mut Session) -> Result<SaveOutcome> {
    insert_unique(store, session, &session.to_record()).await?;
    session.mark_saved();
    Ok(SaveOutcome::Created)
}

/// werkzeug's adopted id (renew_missing=False): another request may have created it.
async fn create_adopted<S: SessionStore + ?Sized>(
    store: &S,
    session: &mut Session,
) -> Result<SaveOutcome> {
    let key = store.ids().storage_key(session.id());
    if !store.create(&key, &session.to_record()).await?
        && !store.update(&key, &session.changes()).await?
    {
        session.mark_gone();
        return Ok(SaveOutcome::Gone);
    }
    session.mark_saved();
    Ok(SaveOutcome::Created)
}

/// Creates `record` under the session's id, moving to a fresh id if that one is taken:
/// never overwrite another session.
async fn insert_unique<S: SessionStore + ?Sized>(
    store: &S,
    session: &mut Session,
    record: &Record,
) -> Result<()> {
    let ids = store.ids();
    // `rotate_id` draws a satchel id; a store with ids of its own shape (werkzeug's files)
    // replaces it before the session is first stored.
    if !ids.accepts(session.id().as_str()) {
        session.replace_new_id(ids.generate()?);
    }
    for _ in 0..CREATE_ATTEMPTS {
        if store.create(&ids.storage_key(session.id()), record).await? {
            return Ok(());
        }
        tracing::warn!("session id collision on create; generating another id");
        session.replace_new_id(ids.generate()?);
    }
    Err(Error::Conflict)
}
