//! Group commit: one thread owns the write connection and commits the writes of
//! concurrent requests together, in one transaction and one fsync. Each request still
//! waits for the commit that holds its write, so every acknowledged save is durable.

use std::sync::mpsc;

use rusqlite::{Connection, TransactionBehavior};
use tokio::sync::oneshot;

use crate::error::{Error, Result};

/// The most writes one transaction carries; more wait for the next one.
const MAX_BATCH: usize = 256;

/// A write: runs inside the batch's transaction, returns a count (1/0 for yes/no).
pub(super) type Write = Box<dyn FnOnce(&Connection, i64) -> rusqlite::Result<u64> + Send>;

struct Job {
    write: Write,
    now: i64,
    done: oneshot::Sender<Result<u64>>,
}

/// The handle on the writer thread; the thread ends when the last handle is dropped.
#[derive(Debug)]
pub(super) struct Writer {
    jobs: mpsc::Sender<Job>,
}

impl Writer {
    /// Starts the thread that owns `connection`.
    pub(super) fn start(connection: Connection) -> Result<Self> {
        let (jobs, queue) = mpsc::channel();
        std::thread::Builder::new()
            .name("satchel-sqlite-writer".into())
            .spawn(move || serve(connection, &queue))?;
        Ok(Self { jobs })
    }

    /// Runs `write` in the next transaction at time `now`, answering once it is committed.
    pub(super) async fn write(&self, now: i64, write: Write) -> Result<u64> {
        let (done, answer) = oneshot::channel();
        self.jobs
            .send(Job { write, now, done })
            .map_err(|_| stopped())?;
        answer.await.map_err(|_| stopped())?
    }
}

fn stopped() -> Error {
    Error::Backend("the SQLite writer thread stopped".into())
}

fn serve(mut connection: Connection, queue: &mpsc::Receiver<Job>) {
    while let Ok(first) = queue.recv() {
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH {
            match queue.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        commit(&mut connection, batch);
    }
}

/// Runs every job of `batch` in one transaction, then answers each: its own result once
/// the commit is durable, or the error that kept the transaction from committing.
fn commit(connection: &mut Connection, batch: Vec<Job>) {
    let (writes, answers): (Vec<_>, Vec<_>) = batch
        .into_iter()
        .map(|job| ((job.write, job.now), job.done))
        .unzip();
    let results = match run(connection, writes) {
        Ok(results) => results,
        Err(err) => {
            let why = err.to_string();
            tracing::error!(error = %why, "a SQLite transaction failed; its writes are lost");
            (0..answers.len())
                .map(|_| Err(rusqlite_error(&why)))
                .collect()
        }
    };
    for (done, result) in answers.into_iter().zip(results) {
        // A request that gave up waiting is no reason to stop.
        let _ = done.send(result);
    }
}

fn run(
    connection: &mut Connection,
    writes: Vec<(Write, i64)>,
) -> rusqlite::Result<Vec<Result<u64>>> {
    let transaction = connection.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let mut results = Vec::with_capacity(writes.len());
    for (write, now) in writes {
        // A failed statement undoes itself; the others of the batch still commit, unless
        // the failure ended the whole transaction (then SQLite is back in autocommit).
        match write(&transaction, now) {
            Err(err) if transaction.is_autocommit() => return Err(err),
            result => results.push(result.map_err(|err| Error::Backend(Box::new(err)))),
        }
    }
    transaction.commit()?;
    Ok(results)
}

fn rusqlite_error(why: &str) -> Error {
    Error::Backend(format!("the SQLite transaction did not commit: {why}").into())
}
