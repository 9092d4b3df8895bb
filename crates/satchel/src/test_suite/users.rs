//! The per-user index: tie, rotate, list, end one, end all, end all but one, expiry and
//! prune, and ending everything while writers race.

use std::sync::Arc;

use serde_json::json;
use time::Duration;

use super::{key_of, now_clock, reload};
use crate::clock::Clock;
use crate::error::Error;
use crate::owner::{Handle, Owner, UserKey};
use crate::session::Session;
use crate::store::{Progress, SaveOutcome, SessionStore, SessionStoreExt, UserSessions};

/// Every case, each on a fresh store; stores without a place for a user (werkzeug's
/// files) must refuse instead.
pub(super) async fn run<S: SessionStore>(make: &impl Fn(Clock) -> S) {
    if make(now_clock()).ids().stores_raw_ids() {
        a_tie_is_refused_clearly(&make(now_clock())).await;
        return;
    }
    ties_are_listed_and_move_with_rotation(&make(now_clock())).await;
    ending_one_ends_only_that_one(&make(now_clock())).await;
    ending_all_but_one_keeps_that_one(&make(now_clock())).await;
    let clock = now_clock();
    expired_sessions_leave_the_list(&make(clock.clone()), &clock).await;
    ending_everything_wins_against_racing_writers(Arc::new(make(now_clock()))).await;
}

fn alice() -> UserKey {
    UserKey::hashed("alice")
}

async fn owned<S: SessionStore>(store: &S, user: &UserKey, label: &str) -> Session {
    let mut session = store.new_session().unwrap();
    session.insert("user", label).unwrap();
    session.set_owner(Some(Owner::new(user.clone()).with_label(label)));
    assert_eq!(
        store.save(&mut session).await.unwrap(),
        SaveOutcome::Created
    );
    session
}

fn handle_of<S: SessionStore>(store: &S, session: &Session) -> Handle {
    Handle::of(&key_of(store, session.id()))
}

async fn handles<S: SessionStore>(store: &S, user: &UserKey) -> Vec<Handle> {
    let mut handles: Vec<Handle> = store
        .sessions_of(user)
        .await
        .unwrap()
        .iter()
        .map(|listed| listed.handle().clone())
        .collect();
    handles.sort();
    handles
}

async fn a_tie_is_refused_clearly<S: SessionStore>(store: &S) {
    let mut session = store.new_session().unwrap();
    session.insert("a", 1).unwrap();
    session.set_owner(Some(Owner::new(alice())));
    let refused = store.save(&mut session).await;
    assert!(matches!(refused, Err(Error::Unsupported(_))), "{refused:?}");
    assert!(
        store.list().await.unwrap().is_empty(),
        "a refused tie wrote something"
    );
    let listed = store.sessions_of(&alice()).await;
    assert!(matches!(listed, Err(Error::Unsupported(_))), "{listed:?}");
}

async fn ties_are_listed_and_move_with_rotation<S: SessionStore>(store: &S) {
    let laptop = owned(store, &alice(), "laptop").await;
    let mut anonymous = store.new_session().unwrap();
    anonymous.insert("n", 1).unwrap();
    store.save(&mut anonymous).await.unwrap();
    owned(store, &UserKey::hashed("bob"), "bob's").await;

    let listed = store.sessions_of(&alice()).await.unwrap();
    assert_eq!(listed.len(), 1, "alice has one session");
    assert_eq!(listed[0].handle(), &handle_of(store, &laptop));
    assert_eq!(listed[0].label(), Some("laptop"));
    assert_eq!(listed[0].created_at(), laptop.created_at());
    assert_ne!(listed[0].handle().as_str(), laptop.id().as_str());

    // Rotation (at login) moves the tie to the new id and drops the old one.
    let mut rotated = reload(store, &laptop).await;
    rotated.rotate_id().unwrap();
    rotated.insert("rotated", true).unwrap();
    assert_eq!(
        store.save(&mut rotated).await.unwrap(),
        SaveOutcome::Rotated
    );
    assert_eq!(handles(store, &alice()).await, [handle_of(store, &rotated)]);
    assert_eq!(
        reload(store, &rotated).await.owner().map(Owner::user),
        Some(&alice())
    );

    // Untying (or tying to someone else) takes it out of the list.
    let mut untied = reload(store, &rotated).await;
    untied.set_owner(Some(Owner::new(UserKey::hashed("carol"))));
    store.save(&mut untied).await.unwrap();
    assert!(handles(store, &alice()).await.is_empty());
    assert_eq!(handles(store, &UserKey::hashed("carol")).await.len(), 1);
    let mut untied = reload(store, &untied).await;
    untied.set_owner(None);
    store.save(&mut untied).await.unwrap();
    assert!(handles(store, &UserKey::hashed("carol")).await.is_empty());
    assert!(reload(store, &untied).await.owner().is_none());
    assert_eq!(
        reload(store, &untied).await.get_value("rotated"),
        Some(&json!(true))
    );
}

async fn ending_one_ends_only_that_one<S: SessionStore>(store: &S) {
    let phone = owned(store, &alice(), "phone").await;
    let laptop = owned(store, &alice(), "laptop").await;
    let mallory = UserKey::hashed("mallory");
    let handle = handle_of(store, &phone);
    assert!(
        !store.end_session_of(&mallory, &handle).await.unwrap(),
        "another user's handle ended a session"
    );
    assert!(store.end_session_of(&alice(), &handle).await.unwrap());
    assert!(!store.end_session_of(&alice(), &handle).await.unwrap());
    assert!(
        reload(store, &phone).await.is_new(),
        "an ended session came back"
    );
    assert_eq!(handles(store, &alice()).await, [handle_of(store, &laptop)]);
    // A request that loaded it before it ended cannot bring it back.
    let mut stale = reload(store, &laptop).await;
    assert!(
        store
            .end_session_of(&alice(), &handle_of(store, &laptop))
            .await
            .unwrap()
    );
    stale.insert("late", 1).unwrap();
    assert_eq!(store.save(&mut stale).await.unwrap(), SaveOutcome::Gone);
    assert!(store.list().await.unwrap().is_empty());
}

async fn ending_all_but_one_keeps_that_one<S: SessionStore>(store: &S) {
    let mut sessions = Vec::new();
    for n in 0..5 {
        sessions.push(owned(store, &alice(), &format!("device {n}")).await);
    }
    let bob = owned(store, &UserKey::hashed("bob"), "bob's").await;
    let keep = handle_of(store, &sessions[2]);
    assert_eq!(
        store.end_sessions_of(&alice(), Some(&keep)).await.unwrap(),
        4
    );
    assert_eq!(handles(store, &alice()).await, [keep]);
    for (n, session) in sessions.iter().enumerate() {
        assert_eq!(reload(store, session).await.is_new(), n != 2);
    }
    assert!(
        !reload(store, &bob).await.is_new(),
        "another user's session ended"
    );
    assert_eq!(store.end_sessions_of(&alice(), None).await.unwrap(), 1);
    assert!(handles(store, &alice()).await.is_empty());
    assert_eq!(store.end_sessions_of(&alice(), None).await.unwrap(), 0);
}

async fn expired_sessions_leave_the_list<S: SessionStore>(store: &S, clock: &Clock) {
    let mut short = store.new_session().unwrap();
    short.set_owner(Some(Owner::new(alice())));
    short.set_expires_at(Some(clock.now() + Duration::seconds(5)));
    store.save(&mut short).await.unwrap();
    let long = owned(store, &alice(), "long").await;
    clock.advance(Duration::seconds(5));
    assert_eq!(handles(store, &alice()).await, [handle_of(store, &long)]);
    assert_eq!(store.prune(&Progress::none()).await.unwrap(), 1);
    assert_eq!(handles(store, &alice()).await, [handle_of(store, &long)]);
    let listed = store.sessions_of(&alice()).await.unwrap();
    assert_eq!(listed[0].expires_at(), None);
}

/// 100 writers change, and some rotate, a user's ten sessions while every one of them is
/// ended: afterwards none is stored and none can be loaded.
async fn ending_everything_wins_against_racing_writers<S: SessionStore>(store: Arc<S>) {
    let mut ids = Vec::new();
    for n in 0..10 {
        ids.push(
            owned(&*store, &alice(), &format!("device {n}"))
                .await
                .id()
                .clone(),
        );
    }
    let mut writers = tokio::task::JoinSet::new();
    for writer in 0..100 {
        let (store, id) = (store.clone(), ids[writer % ids.len()].clone());
        writers.spawn(async move {
            let mut session = store.get(id.as_str()).await.unwrap();
            if session.is_new() {
                return None;
            }
            session.insert(format!("writer {writer}"), writer).unwrap();
            if writer % 7 == 0 {
                session.rotate_id().unwrap();
            }
            store.save(&mut session).await.unwrap();
            Some(session.id().clone())
        });
    }
    store.end_sessions_of(&alice(), None).await.unwrap();
    let mut written = ids.clone();
    while let Some(outcome) = writers.join_next().await {
        written.extend(outcome.unwrap());
    }
    // Writers that loaded before the end and saved after it found the record gone.
    assert!(
        handles(&*store, &alice()).await.is_empty(),
        "a session survived"
    );
    for id in &written {
        assert!(
            store.get(id.as_str()).await.unwrap().is_new(),
            "an ended session came back"
        );
    }
    assert!(store.list().await.unwrap().is_empty(), "a record survived");
}
