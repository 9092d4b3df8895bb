//! Random bytes for session ids: the operating system's CSPRNG, fetched a block at a time.
//!
//! One `getrandom` system call per id cost about half a microsecond on the benchmark
//! machine, a few percent of a request that creates a session. Each thread keeps a block
//! of the OS's bytes instead, hands each byte out once and zeroes it as it goes, so what
//! an id was made of does not stay in memory.
//!
//! A forked child starts with a copy of its parent's block, which would give both the
//! same ids: the block remembers the process that drew it and is dropped in any other.
//! Only ids come from here. A store's `create` refuses an id that is taken, so even the
//! one case a process id cannot tell apart (a descendant that is handed its dead
//! ancestor's pid) costs a retry, not a shared session; cookie nonces and keys, where a
//! repeat would break the encryption, still come straight from the OS.

use std::cell::RefCell;

/// Bytes fetched per system call: 170 ids of 24 bytes.
const BLOCK: usize = 4096;

struct Block {
    bytes: Box<[u8; BLOCK]>,
    /// The first byte not handed out yet.
    next: usize,
    /// The process that drew `bytes`.
    pid: u32,
}

thread_local! {
    static BLOCK_OF_THREAD: RefCell<Option<Block>> = const { RefCell::new(None) };
}

/// Fills `out` with bytes from the OS CSPRNG, through this thread's block.
///
/// # Errors
/// The operating system cannot provide randomness; there is no weaker fallback.
pub(crate) fn fill(out: &mut [u8]) -> std::io::Result<()> {
    if out.len() > BLOCK / 8 {
        return os_fill(out);
    }
    // No block while the thread is being torn down, or if the block is somehow in use.
    let drawn = BLOCK_OF_THREAD.try_with(|cell| {
        let Ok(mut block) = cell.try_borrow_mut() else {
            return os_fill(out);
        };
        draw(&mut block, out)
    });
    drawn.unwrap_or_else(|_| os_fill(out))
}

fn draw(block: &mut Option<Block>, out: &mut [u8]) -> std::io::Result<()> {
    let pid = std::process::id();
    let usable = block
        .as_ref()
        .is_some_and(|block| block.pid == pid && BLOCK - block.next >= out.len());
    if !usable {
        let mut bytes = Box::new([0u8; BLOCK]);
        os_fill(&mut bytes[..])?;
        *block = Some(Block {
            bytes,
            next: 0,
            pid,
        });
    }
    let Some(block) = block.as_mut() else {
        return os_fill(out); // not reached: filled above
    };
    let taken = &mut block.bytes[block.next..block.next + out.len()];
    out.copy_from_slice(taken);
    taken.fill(0);
    block.next += out.len();
    Ok(())
}

fn os_fill(out: &mut [u8]) -> std::io::Result<()> {
    getrandom::fill(out).map_err(std::io::Error::from)
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;

    #[test]
    fn never_hands_out_the_same_bytes_twice() {
        let mut seen = HashSet::new();
        // Several blocks' worth, so refills are crossed too.
        for _ in 0..(3 * BLOCK / 24) {
            let mut id = [0u8; 24];
            fill(&mut id).unwrap();
            assert!(seen.insert(id), "a repeated draw");
        }
    }

    #[test]
    fn a_block_of_another_process_is_dropped() {
        let mut block = None;
        let mut first = [0u8; 24];
        draw(&mut block, &mut first).unwrap();
        let stale = block.as_mut().unwrap();
        stale.pid = stale.pid.wrapping_add(1); // as if drawn by the parent before a fork
        let left = stale.bytes[stale.next..stale.next + 24].to_vec();
        let mut next = [0u8; 24];
        draw(&mut block, &mut next).unwrap();
        assert_ne!(
            next.to_vec(),
            left,
            "the parent's bytes were handed out again"
        );
        assert_eq!(block.unwrap().next, 24, "a fresh block");
    }

    #[test]
    fn handed_out_bytes_are_zeroed() {
        let mut block = None;
        let mut out = [0u8; 24];
        draw(&mut block, &mut out).unwrap();
        assert!(block.unwrap().bytes[..24].iter().all(|&b| b == 0));
    }

    #[test]
    fn large_requests_go_to_the_os() {
        let mut big = [0u8; BLOCK];
        fill(&mut big).unwrap();
        assert!(big.iter().any(|&b| b != 0));
    }
}
