//! Password policy and password hashing (argon2id, PHC strings).
//!
//! Hashing a password is the one CPU-heavy thing the crate does: with the default parameters an
//! argon2id hash takes tens of milliseconds of one core and 19 MiB of working memory. A
//! [`PasswordHasher`] bounds both for a whole process: it keeps one working buffer per slot
//! (allocated once, reused for every hash), lets at most one hash run per slot, and lets a short
//! queue wait for a slot. Everything beyond that is refused at once with TooManyRequestsException.

use crate::config::PasswordPolicy;
use crate::error::{Error, Exception, messages};
use crate::user::PasswordHash;
use argon2::Block;
use argon2::password_hash::PasswordHasher as _;
use argon2::password_hash::phc;
use std::collections::VecDeque;
use std::fmt;
use std::num::NonZeroUsize;
use std::sync::{Arc, Condvar, Mutex, MutexGuard, OnceLock, PoisonError};
use std::time::{Duration, Instant};

/// The characters Cognito counts as symbols.
const SYMBOLS: &str = "^$*.[]{}()?\"!@#%&/\\,><':;|_~`=+-";

/// Checks a password against the pool's policy, in the order of the policy's members.
///
/// # Errors
/// InvalidPasswordException with Cognito's message for the first rule broken.
pub fn check_policy(policy: &PasswordPolicy, password: &str) -> Result<(), Error> {
    let fail = |what: &str| {
        Err(Error::new(
            Exception::InvalidPassword,
            format!("Password did not conform with policy: {what}"),
        ))
    };
    let len = u32::try_from(password.chars().count()).unwrap_or(u32::MAX);
    if len < policy.minimum_length {
        return fail("Password not long enough");
    }
    if policy.require_uppercase && !password.chars().any(char::is_uppercase) {
        return fail("Password must have uppercase characters");
    }
    if policy.require_lowercase && !password.chars().any(char::is_lowercase) {
        return fail("Password must have lowercase characters");
    }
    if policy.require_numbers && !password.chars().any(|c| c.is_ascii_digit()) {
        return fail("Password must have numeric characters");
    }
    if policy.require_symbols && !password.chars().any(|c| SYMBOLS.contains(c)) {
        return fail("Password must have symbol characters");
    }
    Ok(())
}

/// Argon2id parameters for password hashing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PasswordHashing {
    /// Memory in KiB.
    pub memory_kib: u32,
    /// Iterations.
    pub iterations: u32,
    /// Lanes.
    pub parallelism: u32,
}

impl Default for PasswordHashing {
    /// OWASP's argon2id baseline: 19 MiB, 2 iterations, 1 lane.
    fn default() -> Self {
        Self {
            memory_kib: 19 * 1024,
            iterations: 2,
            parallelism: 1,
        }
    }
}

impl PasswordHashing {
    /// The cheapest parameters argon2 accepts: for tests only.
    #[must_use]
    pub const fn insecure_fast_for_tests() -> Self {
        Self {
            memory_kib: 8,
            iterations: 1,
            parallelism: 1,
        }
    }

    /// Hashes a password with a 16-byte salt into a PHC string.
    ///
    /// This allocates the whole working memory (`memory_kib` KiB) afresh on every call and bounds
    /// nothing: a host that hashes more than now and then uses a [`PasswordHasher`], which gives
    /// the same PHC string from memory it keeps.
    ///
    /// # Errors
    /// InternalErrorException if the parameters are out of argon2's range.
    pub fn hash(&self, password: &str, salt: [u8; 16]) -> Result<PasswordHash, Error> {
        let hash = self
            .argon2()?
            .hash_password_with_salt(password.as_bytes(), &salt)
            .map_err(internal)?;
        Ok(PasswordHash::from_phc(hash.to_string()))
    }

    /// The argon2id context of these parameters.
    fn argon2(&self) -> Result<argon2::Argon2<'static>, Error> {
        let params = argon2::Params::new(self.memory_kib, self.iterations, self.parallelism, None)
            .map_err(internal)?;
        Ok(argon2::Argon2::new(
            argon2::Algorithm::Argon2id,
            argon2::Version::V0x13,
            params,
        ))
    }
}

fn internal(e: impl fmt::Display) -> Error {
    Error::internal(e.to_string().into())
}

/// The answer when no slot is free and the queue is full, or a waiter waited too long: the same
/// TooManyRequestsException and message as the request-rate throttle.
fn throttled() -> Error {
    Error::new(Exception::TooManyRequests, messages::RATE_EXCEEDED)
}

/// Locks a mutex whether or not a panicking thread poisoned it. The hasher's state is a free
/// list and a queue of tickets that no panic leaves half-changed, and a slot's buffer is
/// overwritten whole by every hash, so a poisoned lock holds nothing unusable.
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The number of cores, asked once per process (on Linux, asking reads cgroup files).
fn cores() -> usize {
    static CORES: OnceLock<usize> = OnceLock::new();
    *CORES.get_or_init(|| std::thread::available_parallelism().map_or(1, NonZeroUsize::get))
}

/// The slots free to take and the tickets of the threads waiting for one, first come first.
#[derive(Debug)]
struct Slots {
    free: Vec<usize>,
    waiting: VecDeque<u64>,
    next_ticket: u64,
}

/// Password hashing with bounded memory and bounded concurrency, shared by a whole process.
///
/// **Hashing is CPU-heavy**: with [`PasswordHashing::default`] one hash takes tens of
/// milliseconds of one core and 19 MiB of working memory. SignUp asks the host to hash its
/// password with a [`Need::Hash`](crate::ops::Need::Hash), answered through a hasher; every other
/// step of every operation takes microseconds.
///
/// The hasher has a number of **slots** (by default one per core,
/// [`std::thread::available_parallelism`]). Each slot owns a working buffer of `memory_kib` KiB,
/// allocated the first time the slot hashes and kept, reused by every later hash, until the
/// hasher is dropped; so the hasher's memory never exceeds slots × `memory_kib` KiB, however many
/// passwords it hashes. One hash at a time runs in a slot, so at most `slots` hashes run at once.
///
/// A hash that finds every slot busy may wait in a short **queue** (by default as long as the
/// number of slots), first come first served, for at most [`max_wait`](Self::max_wait) (by
/// default one second). A hash that finds the queue full, or that waits longer than that, fails
/// at once with TooManyRequestsException "Rate exceeded", the answer of the request-rate
/// throttle: the host is past its capacity, nothing has been changed, and clients retry that
/// exception with back-off.
///
/// # Synchronous hosts
///
/// Share one hasher (an `Arc`) between the threads that run operations and answer each
/// [`Need::Hash`](crate::ops::Need::Hash) with
/// [`HashPassword::hash_with`](crate::ops::HashPassword::hash_with); the
/// [`Driver`](crate::Driver) does this with its own hasher. [`hash`](Self::hash) takes a slot
/// (waiting in the queue if need be), hashes and frees the slot.
///
/// # Asynchronous hosts
///
/// The hash must not run on the executor's threads. Take a slot without blocking with
/// [`try_acquire`](Self::try_acquire) and answer the need on the blocking pool with
/// [`HashPassword::hash_with_permit`](crate::ops::HashPassword::hash_with_permit) (the
/// continuation is `Send + 'static`), or run [`hash_with`](crate::ops::HashPassword::hash_with)
/// there (`spawn_blocking`, or `block_in_place` on a multi-threaded runtime); the hasher bounds
/// how many of them hash at once and how many wait. To hash directly:
///
/// ```
/// use cognito_signup::{PasswordHasher, PasswordHashing};
/// use std::sync::Arc;
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// # let hashing = PasswordHashing::insecure_fast_for_tests();
/// // let hashing = PasswordHashing::default();
/// let hasher = Arc::new(PasswordHasher::new(hashing));
/// // On the executor: never blocks. Every slot busy: TooManyRequestsException at once.
/// let permit = hasher.try_acquire()?;
/// // On the blocking pool: the tens of milliseconds of CPU. The slot is freed when the permit
/// // is dropped, also if the closure panics.
/// let phc = tokio::task::spawn_blocking(move || permit.hash("Corr3ct-Horse", [7; 16])).await??;
/// assert!(phc.as_phc().starts_with("$argon2id$v=19$"));
/// # Ok(())
/// # }
/// ```
///
/// [`try_acquire`](Self::try_acquire) never waits; a host that wants the queue as well calls
/// [`acquire`](Self::acquire) on the blocking pool instead.
pub struct PasswordHasher {
    hashing: PasswordHashing,
    /// One working buffer per slot; a slot's buffer is locked only by the holder of that slot.
    buffers: Box<[Mutex<Vec<Block>>]>,
    queue: usize,
    max_wait: Duration,
    slots: Mutex<Slots>,
    freed: Condvar,
}

impl fmt::Debug for PasswordHasher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (busy, waiting) = {
            let slots = lock(&self.slots);
            (
                self.buffers.len().saturating_sub(slots.free.len()),
                slots.waiting.len(),
            )
        };
        f.debug_struct("PasswordHasher")
            .field("hashing", &self.hashing)
            .field("slots", &self.buffers.len())
            .field("queue", &self.queue)
            .field("max_wait", &self.max_wait)
            .field("busy", &busy)
            .field("waiting", &waiting)
            .finish()
    }
}

impl Default for PasswordHasher {
    /// [`PasswordHashing::default`], one slot per core, a queue as long.
    fn default() -> Self {
        Self::new(PasswordHashing::default())
    }
}

impl PasswordHasher {
    /// The default wait in the queue: one second.
    pub const DEFAULT_MAX_WAIT: Duration = Duration::from_secs(1);

    /// A hasher with these parameters, one slot per core
    /// ([`std::thread::available_parallelism`], 1 if unknown), a queue as long as the number of
    /// slots, and [`DEFAULT_MAX_WAIT`](Self::DEFAULT_MAX_WAIT). No memory is allocated until a
    /// slot first hashes.
    #[must_use]
    pub fn new(hashing: PasswordHashing) -> Self {
        let cores = cores();
        Self {
            hashing,
            buffers: Box::new([]),
            queue: cores,
            max_wait: Self::DEFAULT_MAX_WAIT,
            slots: Mutex::new(Slots {
                free: Vec::new(),
                waiting: VecDeque::new(),
                next_ticket: 0,
            }),
            freed: Condvar::new(),
        }
        .with_slots(cores)
    }

    /// Sets the number of slots: how many hashes run at once, and how many working buffers the
    /// hasher keeps. At least 1 (0 is taken as 1).
    #[must_use]
    pub fn with_slots(mut self, slots: usize) -> Self {
        let slots = slots.max(1);
        self.buffers = (0..slots).map(|_| Mutex::new(Vec::new())).collect();
        let state = self.slots.get_mut().unwrap_or_else(PoisonError::into_inner);
        state.free = (0..slots).rev().collect();
        self
    }

    /// Sets how many hashes may wait for a slot when every slot is busy (0: none waits).
    #[must_use]
    pub fn with_queue(mut self, queue: usize) -> Self {
        self.queue = queue;
        self
    }

    /// Sets how long a hash waits in the queue before it fails with TooManyRequestsException.
    #[must_use]
    pub fn with_max_wait(mut self, max_wait: Duration) -> Self {
        self.max_wait = max_wait;
        self
    }

    /// The argon2id parameters.
    #[must_use]
    pub fn hashing(&self) -> PasswordHashing {
        self.hashing
    }

    /// The number of slots.
    #[must_use]
    pub fn slots(&self) -> usize {
        self.buffers.len()
    }

    /// How many hashes may wait for a slot.
    #[must_use]
    pub fn queue(&self) -> usize {
        self.queue
    }

    /// How long a hash waits for a slot at most.
    #[must_use]
    pub fn max_wait(&self) -> Duration {
        self.max_wait
    }

    /// How many slots are taken now.
    #[must_use]
    pub fn busy(&self) -> usize {
        let slots = lock(&self.slots);
        self.buffers.len().saturating_sub(slots.free.len())
    }

    /// How many hashes are waiting for a slot now.
    #[must_use]
    pub fn waiting(&self) -> usize {
        lock(&self.slots).waiting.len()
    }

    /// Takes a free slot without waiting.
    ///
    /// Never blocks, so it may be called on an async executor. A slot is free only when no
    /// earlier hash is waiting for one.
    ///
    /// # Errors
    /// TooManyRequestsException "Rate exceeded" when no slot is free.
    pub fn try_acquire(self: &Arc<Self>) -> Result<HashPermit, Error> {
        let slot = self.take(false)?;
        Ok(HashPermit {
            hasher: Arc::clone(self),
            slot,
        })
    }

    /// Takes a slot, waiting in the queue if every slot is busy.
    ///
    /// Blocks the calling thread for at most [`max_wait`](Self::max_wait): call it from a thread
    /// that may block (a blocking pool), never on an async executor.
    ///
    /// # Errors
    /// TooManyRequestsException "Rate exceeded", at once when every slot is busy and the queue
    /// is full, or after [`max_wait`](Self::max_wait) in the queue.
    pub fn acquire(self: &Arc<Self>) -> Result<HashPermit, Error> {
        let slot = self.take(true)?;
        Ok(HashPermit {
            hasher: Arc::clone(self),
            slot,
        })
    }

    /// Hashes a password with a 16-byte salt into a PHC string
    /// (`$argon2id$v=19$m=…,t=…,p=…$<salt>$<hash>`), exactly as [`PasswordHashing::hash`] does:
    /// takes a slot as [`acquire`](Self::acquire) does, hashes in the slot's buffer, frees the
    /// slot.
    ///
    /// CPU-heavy (tens of milliseconds with the default parameters) and may wait for a slot:
    /// call it from a thread that may block, never on an async executor.
    ///
    /// # Errors
    /// TooManyRequestsException "Rate exceeded" as for [`acquire`](Self::acquire);
    /// InternalErrorException if the parameters are out of argon2's range.
    pub fn hash(&self, password: &str, salt: [u8; 16]) -> Result<PasswordHash, Error> {
        let held = Held {
            hasher: self,
            slot: self.take(true)?,
        };
        self.hash_in(held.slot, password, salt)
    }

    /// Takes a free slot: at once if one is free and nobody waits, else (if `wait`) after the
    /// earlier waiters, within `max_wait`.
    fn take(&self, wait: bool) -> Result<usize, Error> {
        let mut slots = lock(&self.slots);
        if slots.waiting.is_empty() {
            if let Some(slot) = slots.free.pop() {
                return Ok(slot);
            }
        }
        if !wait || slots.waiting.len() >= self.queue {
            return Err(throttled());
        }
        let ticket = slots.next_ticket;
        slots.next_ticket = slots.next_ticket.wrapping_add(1);
        slots.waiting.push_back(ticket);
        let deadline = Instant::now().checked_add(self.max_wait);
        loop {
            if slots.waiting.front() == Some(&ticket) {
                if let Some(slot) = slots.free.pop() {
                    slots.waiting.pop_front();
                    if !slots.free.is_empty() && !slots.waiting.is_empty() {
                        // The next waiter may take the next free slot.
                        self.freed.notify_all();
                    }
                    return Ok(slot);
                }
            }
            slots = match deadline {
                None => self
                    .freed
                    .wait(slots)
                    .unwrap_or_else(PoisonError::into_inner),
                Some(deadline) => {
                    let left = deadline.saturating_duration_since(Instant::now());
                    if left.is_zero() {
                        slots.waiting.retain(|t| *t != ticket);
                        // If this was the first waiter, the next one is now.
                        self.freed.notify_all();
                        return Err(throttled());
                    }
                    self.freed
                        .wait_timeout(slots, left)
                        .unwrap_or_else(PoisonError::into_inner)
                        .0
                }
            };
        }
    }

    /// Frees a slot taken by [`take`](Self::take).
    fn release(&self, slot: usize) {
        lock(&self.slots).free.push(slot);
        // Every waiter checks whether it is first; the queue is short.
        self.freed.notify_all();
    }

    /// Hashes in the buffer of a slot the caller holds.
    fn hash_in(&self, slot: usize, password: &str, salt: [u8; 16]) -> Result<PasswordHash, Error> {
        let argon = self.hashing.argon2()?;
        let params = argon.params();
        let blocks = params.block_count();
        let Some(buffer) = self.buffers.get(slot) else {
            return Err(internal("password hasher slot out of range"));
        };
        let mut buffer = lock(buffer);
        if buffer.len() < blocks {
            // Once per slot: every later hash with these parameters reuses the buffer.
            buffer.resize(blocks, Block::new());
        }
        let mut out = [0u8; argon2::Params::DEFAULT_OUTPUT_LEN];
        argon
            .hash_password_into_with_memory(
                password.as_bytes(),
                &salt,
                &mut out,
                buffer.as_mut_slice(),
            )
            .map_err(internal)?;
        drop(buffer);
        let phc = phc::PasswordHash {
            algorithm: argon2::Algorithm::Argon2id.ident(),
            version: Some(argon2::Version::V0x13.into()),
            params: phc::ParamsString::try_from(params).map_err(internal)?,
            salt: Some(phc::Salt::new(&salt).map_err(internal)?),
            hash: Some(phc::Output::new(&out).map_err(internal)?),
        };
        Ok(PasswordHash::from_phc(phc.to_string()))
    }
}

/// A slot taken by [`PasswordHasher::hash`], freed when dropped.
struct Held<'a> {
    hasher: &'a PasswordHasher,
    slot: usize,
}

impl Drop for Held<'_> {
    fn drop(&mut self) {
        self.hasher.release(self.slot);
    }
}

/// A slot of a [`PasswordHasher`], taken by [`try_acquire`](PasswordHasher::try_acquire) or
/// [`acquire`](PasswordHasher::acquire) and freed when the permit is dropped (also when the
/// thread holding it panics or returns early).
///
/// It can be sent to another thread: take it on an async executor, hash on a blocking pool.
pub struct HashPermit {
    hasher: Arc<PasswordHasher>,
    slot: usize,
}

impl fmt::Debug for HashPermit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HashPermit")
            .field("slot", &self.slot)
            .finish_non_exhaustive()
    }
}

impl HashPermit {
    /// Hashes a password with a 16-byte salt into a PHC string, in this slot's buffer, exactly as
    /// [`PasswordHashing::hash`] does. CPU-heavy (tens of milliseconds with the default
    /// parameters): run it on a blocking pool, never on an async executor.
    ///
    /// # Errors
    /// InternalErrorException if the parameters are out of argon2's range.
    pub fn hash(&self, password: &str, salt: [u8; 16]) -> Result<PasswordHash, Error> {
        self.hasher.hash_in(self.slot, password, salt)
    }

    /// The hasher the slot belongs to.
    #[must_use]
    pub fn hasher(&self) -> &Arc<PasswordHasher> {
        &self.hasher
    }
}

impl Drop for HashPermit {
    fn drop(&mut self) {
        self.hasher.release(self.slot);
    }
}

#[cfg(test)]
#[allow(clippy::arithmetic_side_effects)]
mod tests {
    use super::*;
    use std::sync::Barrier;
    use std::sync::atomic::{AtomicUsize, Ordering};

    const HOUR: Duration = Duration::from_secs(3600);

    fn fast() -> PasswordHashing {
        PasswordHashing::insecure_fast_for_tests()
    }

    fn hasher(slots: usize, queue: usize, max_wait: Duration) -> Arc<PasswordHasher> {
        Arc::new(
            PasswordHasher::new(fast())
                .with_slots(slots)
                .with_queue(queue)
                .with_max_wait(max_wait),
        )
    }

    fn throttled_pair(e: &Error) -> (&str, &str) {
        (e.name(), e.message())
    }

    #[test]
    fn hasher_gives_the_phc_string_of_argon2s_own_path() {
        let cases = [
            fast(),
            PasswordHashing {
                memory_kib: 64,
                iterations: 3,
                parallelism: 2,
            },
            PasswordHashing {
                memory_kib: 1024,
                iterations: 2,
                parallelism: 1,
            },
        ];
        for params in cases {
            let h = Arc::new(PasswordHasher::new(params).with_slots(1));
            for (password, salt) in [
                ("Corr3ct-Horse", [0u8; 16]),
                ("Corr3ct-Horse", [1u8; 16]),
                ("pässwörd ✓", [0xAB; 16]),
                ("", [9; 16]),
            ] {
                let expected = params.hash(password, salt).unwrap();
                assert_eq!(h.hash(password, salt).unwrap(), expected);
                let permit = h.try_acquire().unwrap();
                assert_eq!(permit.hash(password, salt).unwrap(), expected);
            }
        }
        // The shape, spelled out once.
        let phc = PasswordHasher::new(fast())
            .hash("Corr3ct-Horse", [0u8; 16])
            .unwrap();
        let parts: Vec<&str> = phc.as_phc().split('$').collect();
        assert_eq!(
            parts[..5],
            [
                "",
                "argon2id",
                "v=19",
                "m=8,t=1,p=1",
                "AAAAAAAAAAAAAAAAAAAAAA"
            ]
        );
        assert_eq!(parts[5].len(), 43);
        assert!(!parts[5].contains('='));
    }

    #[test]
    fn the_default_parameters_give_the_same_phc_string_too() {
        let params = PasswordHashing::default();
        let h = PasswordHasher::new(params).with_slots(1);
        let phc = h.hash("Corr3ct-Horse", [5; 16]).unwrap();
        assert!(phc.as_phc().starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
        assert_eq!(phc, params.hash("Corr3ct-Horse", [5; 16]).unwrap());
    }

    #[test]
    fn a_slot_allocates_its_buffer_once_and_reuses_it() {
        let params = PasswordHashing {
            memory_kib: 256,
            iterations: 1,
            parallelism: 1,
        };
        let h = Arc::new(PasswordHasher::new(params).with_slots(1));
        let buffer = |h: &PasswordHasher| {
            let b = lock(&h.buffers[0]);
            (b.as_ptr(), b.capacity(), b.len())
        };
        assert_eq!(buffer(&h).1, 0, "no memory before the first hash");
        let first = h.hash("password-0", [0; 16]).unwrap();
        let after_first = buffer(&h);
        assert_eq!(after_first.2, 256);
        assert_eq!(after_first.1, 256);
        let mut seen = vec![first];
        for i in 1..50u8 {
            let phc = if i % 2 == 0 {
                h.hash(&format!("password-{i}"), [i; 16]).unwrap()
            } else {
                h.try_acquire()
                    .unwrap()
                    .hash(&format!("password-{i}"), [i; 16])
                    .unwrap()
            };
            assert_eq!(buffer(&h), after_first, "hash {i} reallocated");
            assert!(!seen.contains(&phc));
            seen.push(phc);
        }
    }

    #[test]
    fn a_full_pool_without_queue_refuses_at_once() {
        let h = hasher(1, 0, HOUR);
        let held = h.try_acquire().unwrap();
        for e in [
            h.try_acquire().unwrap_err(),
            h.acquire().unwrap_err(),
            h.hash("Corr3ct-Horse", [0; 16]).unwrap_err(),
        ] {
            assert_eq!(
                throttled_pair(&e),
                ("TooManyRequestsException", "Rate exceeded")
            );
        }
        assert_eq!(h.waiting(), 0);
        drop(held);
        assert!(h.hash("Corr3ct-Horse", [0; 16]).is_ok());
    }

    #[test]
    fn a_full_pool_and_full_queue_refuse_at_once_and_the_waiter_gets_the_slot() {
        let h = hasher(1, 1, HOUR);
        let held = h.try_acquire().unwrap();
        let waiter = {
            let h = Arc::clone(&h);
            std::thread::spawn(move || h.hash("Corr3ct-Horse", [1; 16]))
        };
        while h.waiting() < 1 {
            std::thread::yield_now();
        }
        // The queue is full: refused at once, although the waiter may wait an hour.
        let e = h.hash("Corr3ct-Horse", [2; 16]).unwrap_err();
        assert_eq!(
            throttled_pair(&e),
            ("TooManyRequestsException", "Rate exceeded")
        );
        // A slot is not free for a newcomer while someone waits for one.
        assert!(h.try_acquire().is_err());
        drop(held);
        assert_eq!(
            waiter.join().unwrap().unwrap(),
            fast().hash("Corr3ct-Horse", [1; 16]).unwrap()
        );
        assert_eq!((h.busy(), h.waiting()), (0, 0));
    }

    #[test]
    fn a_waiter_that_waits_longer_than_max_wait_is_refused_and_leaves_the_queue() {
        let h = hasher(1, 1, Duration::from_millis(20));
        let held = h.try_acquire().unwrap();
        let e = h.hash("Corr3ct-Horse", [0; 16]).unwrap_err();
        assert_eq!(
            throttled_pair(&e),
            ("TooManyRequestsException", "Rate exceeded")
        );
        assert_eq!(h.waiting(), 0);
        drop(held);
        assert!(h.try_acquire().is_ok());
    }

    #[test]
    fn permits_are_freed_on_drop_on_panic_and_on_early_return() {
        let h = hasher(2, 0, HOUR);
        {
            let _a = h.try_acquire().unwrap();
            let _b = h.try_acquire().unwrap();
            assert_eq!(h.busy(), 2);
            assert!(h.try_acquire().is_err());
        }
        assert_eq!(h.busy(), 0);

        let panicked = std::panic::catch_unwind(|| {
            let _permit = h.try_acquire().unwrap();
            let _permit2 = h.try_acquire().unwrap();
            panic!("while hashing");
        });
        assert!(panicked.is_err());
        assert_eq!(h.busy(), 0);

        let early = |h: &Arc<PasswordHasher>| -> Result<PasswordHash, Error> {
            let permit = h.try_acquire()?;
            let _other = h.try_acquire()?;
            // Both slots are taken: this fails and returns early, dropping both permits.
            let _third = h.try_acquire()?;
            permit.hash("never", [0; 16])
        };
        assert!(early(&h).is_err());
        assert_eq!(h.busy(), 0);
        let _a = h.try_acquire().unwrap();
        let _b = h.try_acquire().unwrap();
    }

    #[test]
    fn concurrent_hashes_never_exceed_the_slots() {
        const THREADS: usize = 12;
        let h = hasher(3, THREADS, HOUR);
        let barrier = Arc::new(Barrier::new(THREADS));
        let now = Arc::new(AtomicUsize::new(0));
        let most = Arc::new(AtomicUsize::new(0));
        let threads: Vec<_> = (0..THREADS)
            .map(|i| {
                let (h, barrier, now, most) = (
                    Arc::clone(&h),
                    Arc::clone(&barrier),
                    Arc::clone(&now),
                    Arc::clone(&most),
                );
                std::thread::spawn(move || {
                    barrier.wait();
                    let mut phcs = Vec::new();
                    for round in 0..5u8 {
                        let permit = h.acquire()?;
                        let inside = now.fetch_add(1, Ordering::SeqCst) + 1;
                        most.fetch_max(inside, Ordering::SeqCst);
                        assert!(h.busy() <= h.slots());
                        let phc = permit.hash(&format!("pw-{i}-{round}"), [round; 16]);
                        now.fetch_sub(1, Ordering::SeqCst);
                        drop(permit);
                        phcs.push(phc?);
                    }
                    Ok::<_, Error>(phcs)
                })
            })
            .collect();
        for t in threads {
            assert_eq!(t.join().unwrap().unwrap().len(), 5);
        }
        let most = most.load(Ordering::SeqCst);
        assert!((1..=3).contains(&most), "{most} hashes at once");
        assert_eq!((h.busy(), h.waiting()), (0, 0));
    }

    #[test]
    fn parameters_out_of_range_are_internal_errors_and_free_the_slot() {
        let h = PasswordHasher::new(PasswordHashing {
            memory_kib: 1,
            iterations: 1,
            parallelism: 1,
        })
        .with_slots(1)
        .with_queue(0);
        let e = h.hash("Corr3ct-Horse", [0; 16]).unwrap_err();
        assert_eq!(e.name(), "InternalErrorException");
        assert_eq!(h.busy(), 0);
    }

    #[test]
    fn debug_shows_parameters_and_counts() {
        let h = hasher(3, 5, HOUR);
        let permit = h.try_acquire().unwrap();
        let shown = format!("{h:?} {permit:?}");
        assert!(shown.contains("memory_kib: 8"), "{shown}");
        assert!(shown.contains("slots: 3, queue: 5"), "{shown}");
        assert!(shown.contains("busy: 1, waiting: 0"), "{shown}");
        assert!(shown.contains("HashPermit { slot: "), "{shown}");
        assert_eq!(
            PasswordHasher::new(fast()).with_slots(0).slots(),
            1,
            "0 slots is taken as 1"
        );
    }
}
