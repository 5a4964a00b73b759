//! The traits a host implements: the store, the clock, randomness, the directory of pools and
//! clients, the request guard, the rate limiters, Lambda and delivery. Traits only: what they
//! are asked is in [`protocol`](crate::protocol), and the implementations shipped with them are
//! in [`reference`](crate::reference).

use crate::config::{AppClient, UserPool};
use crate::error::HostError;
use crate::protocol::{
    CatalogOutcome, CatalogVersion, ClientContext, ClientVersion, Commit, CommitOutcome,
    GuardRequest, GuardVerdict, HiddenResendRequest, IndexKey, LambdaInvocation, LambdaReply,
    Message, PoolContext, ThrottleRequest, Versioned,
};
use crate::time::Timestamp;
use crate::user::UserRecord;
use std::sync::Arc;

/// The wall clock. The driver reads it once per operation.
pub trait Clock: Send + Sync {
    /// The current time.
    fn now(&self) -> Timestamp;
}

/// The source of randomness. The driver draws one [`Seed`](crate::Seed) per operation that needs
/// one (SignUp, ResendConfirmationCode) with [`Seed::generate`](crate::Seed::generate); everything random in the operation
/// derives from it.
///
/// # Contract
/// Every call fills fresh bytes, never the bytes of an earlier call: a SignUp whose seed repeats
/// an earlier SignUp's draws the same `sub` and answers InternalErrorException.
pub trait Randomness: Send + Sync {
    /// Fills `dest` with 32 fresh random bytes.
    ///
    /// # Errors
    /// The host's failure; the operation answers InternalErrorException.
    fn fill(&self, dest: &mut [u8; 32]) -> Result<(), HostError>;
}

/// The directory of pools and app clients.
pub trait Directory: Send + Sync {
    /// The client with this id, with its pool.
    ///
    /// # Errors
    /// The host's failure; the operation answers InternalErrorException.
    fn client(&self, client_id: &str) -> Result<Option<ClientContext>, HostError>;

    /// The pool with this id.
    ///
    /// # Errors
    /// The host's failure; the operation answers InternalErrorException.
    fn pool(&self, pool_id: &str) -> Result<Option<Arc<PoolContext>>, HostError>;
}

/// An optional check of public operations, the role AWS WAF plays ([request-guard]).
pub trait RequestGuard: Send + Sync {
    /// Decides whether the request goes on.
    fn check(&self, request: &GuardRequest) -> GuardVerdict;
}

/// Decides whether a request may take a token.
pub trait RateLimiter: Send + Sync {
    /// Takes one token if there is one; `false` answers TooManyRequestsException.
    fn try_acquire(&self, request: &ThrottleRequest) -> bool;
}

/// Keeps the resend counts of hidden names (see [`HiddenResendRequest`]).
///
/// # Contract
/// Answer with [`ResendSketch::try_record`](crate::reference::ResendSketch::try_record) over one table per pool (or arithmetic that never
/// counts less), atomically per request. A host with several processes shares the table
/// between them, as it shares its rate buckets; a table per process lets a missing name resend
/// more often than a present one, which tells them apart.
pub trait HiddenResendLimiter: Send + Sync {
    /// Records the resend and answers `true` if the name is within the limits; answers `false`
    /// (LimitExceededException) and records nothing otherwise.
    fn try_record(&self, request: &HiddenResendRequest) -> bool;
}

/// Invokes Lambda triggers, synchronously.
///
/// # Contract
/// Implementations apply [trigger-invocation] themselves: 5 s per try, at most 3 tries, then
/// [`InvokeFailure::Timeout`](crate::protocol::InvokeFailure::Timeout). A function error is reported as [`LambdaReply::FunctionError`], not
/// retried.
pub trait LambdaInvoker: Send + Sync {
    /// Invokes the function and reports what came back.
    fn invoke(&self, invocation: &LambdaInvocation) -> LambdaReply;
}

/// Delivers confirmation messages (email, SMS).
pub trait Delivery: Send + Sync {
    /// Sends the message.
    ///
    /// # Errors
    /// The host's failure; the operation answers CodeDeliveryFailureException.
    fn deliver(&self, message: &Message) -> Result<(), HostError>;
}

/// The storage a host implements.
///
/// # Contract
/// * [`find`](Self::find) returns the record of the first key, in the order given, that the index
///   holds, together with the record's current version, as one consistent read.
/// * [`commit`](Self::commit) checks every `expected_version` and every index `expected` and, if
///   all hold, applies every record and index write as one atomic unit, incrementing each written
///   record's version by one (a new record gets version 1). If any does not hold it applies
///   nothing and answers [`CommitOutcome::Conflict`]. After `Committed`, every later `find` sees
///   the writes (read-your-writes).
/// * A commit's [`removals`](Commit::removals) are preconditions like the others: each names a
///   record that must exist at exactly `expected_version`. Applied, the record is gone: no key
///   finds it, [`list`](Self::list) skips it, and a later commit may insert a record with the
///   same `sub` (`expected_version: None`, version 1 again). Removing a record does not remove
///   its index entries: the commit removes them with index writes (`new: None`) of its own. A
///   commit that both writes and removes one record, or removes it at two versions, is a
///   `Conflict` whatever the store holds; two removals of one record at one version are one.
/// * A store that is also the host's [`PoolCatalog`] refuses rows in a pool deleted from it: after
///   [`delete_pool`](PoolCatalog::delete_pool), and until
///   [`insert_pool`](PoolCatalog::insert_pool) makes a pool under the id again, a commit in the
///   pool that would create a record (`expected_version: None`) or an index entry (`expected:
///   None`) is a `Conflict`. An operation that read the pool just before the deletion and
///   commits after it so cannot leave a user of the deleted pool behind ([pool-delete]). Pools
///   that were never in the catalog (the host's configured ones) are not affected.
/// * [`list`](Self::list) answers the pool's records in ascending byte order of `sub`, starting
///   after `after`, never the decoy: paging with the last `sub` of each page as the next `after`
///   visits every record present throughout exactly once.
/// * A commit with no writes is valid, answers `Committed` and changes nothing.
/// * The pool's decoy record ([`DECOY_SUB`](crate::decoy::DECOY_SUB)) is an ordinary record with one index key,
///   [`IndexKey::decoy`]: a store needs no special case for it.
///
/// # Safe failure directions
/// A spurious `Conflict` is safe: the operation re-reads and decides again, a bounded number of
/// times. An `Err` is safe: the operation answers InternalErrorException, and the store must then
/// have applied all or nothing. A lost update (applying a write whose precondition no longer
/// holds) is **not** safe: it can let a code confirm twice or two users hold one alias.
pub trait UserStore: Send + Sync {
    /// Finds the user held by the first present key.
    ///
    /// # Errors
    /// The host's failure; the operation answers InternalErrorException.
    fn find(
        &self,
        pool_id: &str,
        keys: &[IndexKey],
    ) -> Result<Option<Versioned<UserRecord>>, HostError>;

    /// Applies a commit atomically, or nothing if a precondition fails.
    ///
    /// # Errors
    /// The host's failure; the operation answers InternalErrorException.
    fn commit(&self, pool_id: &str, commit: &Commit) -> Result<CommitOutcome, HostError>;

    /// Up to `limit` of the pool's user records whose `sub` sorts after `after` (all when
    /// `None`), in ascending byte order of `sub`, each with its version; never the decoy
    /// record. ListUsers pages through a pool with it.
    ///
    /// # Errors
    /// The host's failure; the operation answers InternalErrorException.
    fn list(
        &self,
        pool_id: &str,
        after: Option<&str>,
        limit: usize,
    ) -> Result<Vec<Versioned<UserRecord>>, HostError>;
}

/// Where a host keeps the pools and app clients created through the API (CreateUserPool,
/// CreateUserPoolClient, …): their settings, as data.
///
/// # Contract
/// * Every write is atomic and answers what it did ([`CatalogOutcome`]); a write that cannot be
///   applied applies nothing.
/// * [`delete_pool`](Self::delete_pool) removes the pool, all of its clients and all of its
///   users (records and index entries) as one unit: afterwards no client of the pool resolves
///   and no user of it is found or listed, and its keys and client ids are free.
/// * It also leaves a tombstone of the pool, in bounded memory: until
///   [`insert_pool`](Self::insert_pool) makes a pool under the id again, a
///   [`UserStore::commit`] in the pool that would create a record or an index entry answers
///   [`CommitOutcome::Conflict`], and a commit that started before the deletion and applies
///   after it is refused like one that starts after it. An operation in flight (a SignUp that
///   resolved its client just before DeleteUserPool) so cannot leave a user of a deleted pool
///   behind ([pool-delete]). A pool made again under the id starts empty and takes users.
/// * [`insert_client`](Self::insert_client) looks at the pool first: an absent pool (or no
///   `user_pool_id`) is [`CatalogOutcome::NotFound`] even when the client id is taken. Client
///   ids are unique across pools.
/// * Reads see every write that answered [`CatalogOutcome::Done`] before them.
/// * A store that keeps users in the same database implements this trait on the same value, so
///   that [`delete_pool`](Self::delete_pool) can remove the users in the same transaction.
/// * **Versions** (optional: the default methods answer [`CatalogVersion::Unversioned`]). A
///   catalog that keeps them gives a pool or client a new version on every write that creates
///   or changes it (insert, replace), one never given before to an entry under the same id: a
///   pool (or client) deleted and made again under its id has a version it never had. So two
///   reads of one id answer the same version only if no write to the entry came between them,
///   and a reader that keeps an entry with the version it read *before* reading the entry
///   knows it current while [`pool_version`](Self::pool_version) (or
///   [`client_version`](Self::client_version)) answers that version ([pool-directory]).
///   [`client_version`](Self::client_version) reads the client's version and its pool's as
///   one consistent read, and answers [`CatalogVersion::Absent`] when either is missing.
///   Reads of versions see every write that answered [`CatalogOutcome::Done`] before them.
///
/// The conformance kit `cognito_signup_testkit::catalog` checks this contract on such a value.
pub trait PoolCatalog: Send + Sync {
    /// Adds a pool; [`CatalogOutcome::Conflict`] if its id is taken. Under the id of a deleted
    /// pool, it removes the tombstone (see the contract): the new pool takes users.
    ///
    /// # Errors
    /// The host's failure; the operation answers InternalErrorException.
    fn insert_pool(&self, pool: &UserPool) -> Result<CatalogOutcome, HostError>;

    /// Replaces the settings of the pool with `pool.id`; [`CatalogOutcome::NotFound`] if absent.
    ///
    /// # Errors
    /// The host's failure; the operation answers InternalErrorException.
    fn replace_pool(&self, pool: &UserPool) -> Result<CatalogOutcome, HostError>;

    /// Removes the pool with its clients and users and leaves its tombstone (see the
    /// contract); [`CatalogOutcome::NotFound`] if absent.
    ///
    /// # Errors
    /// The host's failure; the operation answers InternalErrorException.
    fn delete_pool(&self, pool_id: &str) -> Result<CatalogOutcome, HostError>;

    /// The pool with this id.
    ///
    /// # Errors
    /// The host's failure; the operation answers InternalErrorException.
    fn pool(&self, pool_id: &str) -> Result<Option<UserPool>, HostError>;

    /// Up to `limit` pools whose id sorts after `after` (all when `None`), in ascending byte
    /// order of id.
    ///
    /// # Errors
    /// The host's failure; the operation answers InternalErrorException.
    fn list_pools(&self, after: Option<&str>, limit: usize) -> Result<Vec<UserPool>, HostError>;

    /// Adds a client of the pool `client.user_pool_id` (always `Some` when the library calls
    /// it); [`CatalogOutcome::NotFound`] if the pool is absent or `None` (whether or not the
    /// client id is taken), else [`CatalogOutcome::Conflict`] if its id is taken in any pool.
    ///
    /// # Errors
    /// The host's failure; the operation answers InternalErrorException.
    fn insert_client(&self, client: &AppClient) -> Result<CatalogOutcome, HostError>;

    /// Replaces the client with `client.client_id` in the pool `client.user_pool_id`;
    /// [`CatalogOutcome::NotFound`] if either is absent.
    ///
    /// # Errors
    /// The host's failure; the operation answers InternalErrorException.
    fn replace_client(&self, client: &AppClient) -> Result<CatalogOutcome, HostError>;

    /// Removes the client `client_id` of the pool `pool_id`; [`CatalogOutcome::NotFound`] if
    /// either is absent.
    ///
    /// # Errors
    /// The host's failure; the operation answers InternalErrorException.
    fn delete_client(&self, pool_id: &str, client_id: &str) -> Result<CatalogOutcome, HostError>;

    /// The client with this id (with `user_pool_id` set).
    ///
    /// # Errors
    /// The host's failure; the operation answers InternalErrorException.
    fn client(&self, client_id: &str) -> Result<Option<AppClient>, HostError>;

    /// Up to `limit` clients of the pool whose id sorts after `after`, in ascending byte order
    /// of client id.
    ///
    /// # Errors
    /// The host's failure; the operation answers InternalErrorException.
    fn list_clients(
        &self,
        pool_id: &str,
        after: Option<&str>,
        limit: usize,
    ) -> Result<Vec<AppClient>, HostError>;

    /// The version of the pool with this id (see the contract), one cheap read: no settings
    /// are read or parsed. The default answers [`CatalogVersion::Unversioned`]: readers then
    /// read the pool itself every time.
    ///
    /// # Errors
    /// The host's failure; the operation answers InternalErrorException.
    fn pool_version(&self, pool_id: &str) -> Result<CatalogVersion<u64>, HostError> {
        let _ = pool_id;
        Ok(CatalogVersion::Unversioned)
    }

    /// The versions of the client with this id and of its pool, read together (see the
    /// contract); [`CatalogVersion::Absent`] if the client or its pool is missing. The default
    /// answers [`CatalogVersion::Unversioned`].
    ///
    /// # Errors
    /// The host's failure; the operation answers InternalErrorException.
    fn client_version(&self, client_id: &str) -> Result<CatalogVersion<ClientVersion>, HostError> {
        let _ = client_id;
        Ok(CatalogVersion::Unversioned)
    }
}

impl<S: UserStore + ?Sized> UserStore for &S {
    fn find(
        &self,
        pool_id: &str,
        keys: &[IndexKey],
    ) -> Result<Option<Versioned<UserRecord>>, HostError> {
        (**self).find(pool_id, keys)
    }
    fn commit(&self, pool_id: &str, commit: &Commit) -> Result<CommitOutcome, HostError> {
        (**self).commit(pool_id, commit)
    }
    fn list(
        &self,
        pool_id: &str,
        after: Option<&str>,
        limit: usize,
    ) -> Result<Vec<Versioned<UserRecord>>, HostError> {
        (**self).list(pool_id, after, limit)
    }
}

impl<S: UserStore + ?Sized> UserStore for Arc<S> {
    fn find(
        &self,
        pool_id: &str,
        keys: &[IndexKey],
    ) -> Result<Option<Versioned<UserRecord>>, HostError> {
        (**self).find(pool_id, keys)
    }
    fn commit(&self, pool_id: &str, commit: &Commit) -> Result<CommitOutcome, HostError> {
        (**self).commit(pool_id, commit)
    }
    fn list(
        &self,
        pool_id: &str,
        after: Option<&str>,
        limit: usize,
    ) -> Result<Vec<Versioned<UserRecord>>, HostError> {
        (**self).list(pool_id, after, limit)
    }
}

/// Writes the forwarding implementations of [`PoolCatalog`] for references and shared
/// pointers once.
macro_rules! forward_pool_catalog {
    ($($target:ty),*) => {$(
        impl<C: PoolCatalog + ?Sized> PoolCatalog for $target {
            fn insert_pool(&self, pool: &UserPool) -> Result<CatalogOutcome, HostError> {
                (**self).insert_pool(pool)
            }
            fn replace_pool(&self, pool: &UserPool) -> Result<CatalogOutcome, HostError> {
                (**self).replace_pool(pool)
            }
            fn delete_pool(&self, pool_id: &str) -> Result<CatalogOutcome, HostError> {
                (**self).delete_pool(pool_id)
            }
            fn pool(&self, pool_id: &str) -> Result<Option<UserPool>, HostError> {
                (**self).pool(pool_id)
            }
            fn list_pools(&self, after: Option<&str>, limit: usize) -> Result<Vec<UserPool>, HostError> {
                (**self).list_pools(after, limit)
            }
            fn insert_client(&self, client: &AppClient) -> Result<CatalogOutcome, HostError> {
                (**self).insert_client(client)
            }
            fn replace_client(&self, client: &AppClient) -> Result<CatalogOutcome, HostError> {
                (**self).replace_client(client)
            }
            fn delete_client(&self, pool_id: &str, client_id: &str) -> Result<CatalogOutcome, HostError> {
                (**self).delete_client(pool_id, client_id)
            }
            fn client(&self, client_id: &str) -> Result<Option<AppClient>, HostError> {
                (**self).client(client_id)
            }
            fn list_clients(
                &self,
                pool_id: &str,
                after: Option<&str>,
                limit: usize,
            ) -> Result<Vec<AppClient>, HostError> {
                (**self).list_clients(pool_id, after, limit)
            }
            fn pool_version(&self, pool_id: &str) -> Result<CatalogVersion<u64>, HostError> {
                (**self).pool_version(pool_id)
            }
            fn client_version(
                &self,
                client_id: &str,
            ) -> Result<CatalogVersion<ClientVersion>, HostError> {
                (**self).client_version(client_id)
            }
        }
    )*};
}

forward_pool_catalog!(&C, Arc<C>);

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::reference::MemoryStore;

    fn insert_then_read<C: PoolCatalog>(catalog: C, id: &str) -> Option<UserPool> {
        assert_eq!(
            catalog.insert_pool(&UserPool::new(id)).unwrap(),
            CatalogOutcome::Done
        );
        catalog.pool(id).unwrap()
    }

    #[test]
    fn references_and_shared_pointers_forward_to_the_catalog() {
        let store = Arc::new(MemoryStore::new());
        let through_arc = insert_then_read(Arc::clone(&store), "us-east-1_ViaArc");
        let through_ref = insert_then_read(&*store, "us-east-1_ViaRef");
        assert_eq!(through_arc.map(|p| p.id), Some("us-east-1_ViaArc".into()));
        assert_eq!(through_ref.map(|p| p.id), Some("us-east-1_ViaRef".into()));
        assert_eq!(store.list_pools(None, 10).unwrap().len(), 2);
    }
}
