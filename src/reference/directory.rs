//! A directory of pools and clients held in memory.

use super::mix::BuildMix;
use crate::code::CodeKeys;
use crate::config::{AppClient, UserPool};
use crate::error::HostError;
use crate::host::Directory;
use crate::protocol::{ClientContext, PoolContext};
use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

/// A directory fixed at start-up.
///
/// It keeps [`REPLICAS`](Self::REPLICAS) copies of every context, each behind its own [`Arc`],
/// and each thread takes its contexts from one copy: an operation clones the context it works
/// with, and were there one copy, every operation on every thread would write its reference
/// count, one cache line that cores would pass back and forth (two threads confirming different
/// users lost a tenth of their throughput to it).
#[derive(Default, Clone)]
pub struct StaticDirectory {
    // Hashed with the cheap `Mix`: the keys are given at start-up, never by a request, so a
    // lookup of a chosen id costs what the table's layout allows.
    pools: HashMap<String, Box<[Arc<PoolContext>]>, BuildMix>,
    clients: HashMap<String, Box<[ClientContext]>, BuildMix>,
}

impl fmt::Debug for StaticDirectory {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let first = |v: &[ClientContext]| v.first().cloned();
        f.debug_struct("StaticDirectory")
            .field(
                "pools",
                &self
                    .pools
                    .values()
                    .filter_map(|v| v.first())
                    .collect::<Vec<_>>(),
            )
            .field(
                "clients",
                &self
                    .clients
                    .values()
                    .filter_map(|v| first(v))
                    .collect::<Vec<_>>(),
            )
            .finish()
    }
}

/// This thread's copy in a [`StaticDirectory`]: threads take copies in turn as they first ask.
fn replica() -> usize {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    thread_local! {
        static SLOT: std::cell::Cell<usize> = const { std::cell::Cell::new(usize::MAX) };
    }
    SLOT.with(|slot| {
        if slot.get() == usize::MAX {
            let next = NEXT.fetch_add(1, Ordering::Relaxed);
            slot.set(next % StaticDirectory::REPLICAS);
        }
        slot.get()
    })
}

/// The client names a pool the directory does not hold.
#[derive(Debug, thiserror::Error)]
#[error("app client {client_id} names user pool {pool_id}, which the directory does not hold")]
pub struct UnknownPool {
    /// The client.
    pub client_id: String,
    /// The pool it names.
    pub pool_id: String,
}

impl StaticDirectory {
    /// How many copies of each context the directory keeps (see the type's documentation).
    pub const REPLICAS: usize = 8;

    /// An empty directory.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds (or replaces) a pool with its code keys.
    pub fn add_pool(&mut self, pool: UserPool, code_keys: CodeKeys) -> &mut Self {
        let id = pool.id.clone();
        let copies: Box<[Arc<PoolContext>]> = (0..Self::REPLICAS)
            .map(|_| Arc::new(PoolContext::new(pool.clone(), code_keys.clone())))
            .collect();
        for client in self.clients.values_mut() {
            for (c, pool) in client.iter_mut().zip(&copies) {
                if c.pool.pool.id == id {
                    c.pool = Arc::clone(pool);
                }
            }
        }
        self.pools.insert(id, copies);
        self
    }

    /// Adds (or replaces) a client of a pool already added.
    ///
    /// # Errors
    /// [`UnknownPool`] if the pool has not been added.
    pub fn add_client(
        &mut self,
        pool_id: &str,
        client: AppClient,
    ) -> Result<&mut Self, UnknownPool> {
        let Some(pools) = self.pools.get(pool_id) else {
            return Err(UnknownPool {
                client_id: client.client_id,
                pool_id: pool_id.to_owned(),
            });
        };
        let mut client = client;
        client.user_pool_id = Some(pool_id.to_owned());
        let copies = pools
            .iter()
            .map(|pool| ClientContext::new(Arc::clone(pool), Arc::new(client.clone())))
            .collect();
        self.clients.insert(client.client_id, copies);
        Ok(self)
    }
}

impl Directory for StaticDirectory {
    fn client(&self, client_id: &str) -> Result<Option<ClientContext>, HostError> {
        let copies = self.clients.get(client_id);
        Ok(copies.and_then(|v| v.get(replica()).or(v.first()).cloned()))
    }

    fn pool(&self, pool_id: &str) -> Result<Option<Arc<PoolContext>>, HostError> {
        let copies = self.pools.get(pool_id);
        Ok(copies.and_then(|v| v.get(replica()).or(v.first()).cloned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::code::Code;
    use crate::config::AppClient;

    #[test]
    fn static_directory_keeps_separate_equal_copies_and_replaces_a_pool_in_every_copy() {
        let keys = CodeKeys::new(&[[7u8; 32]]).unwrap();
        let mut d = StaticDirectory::new();
        d.add_pool(UserPool::new("us-east-1_A"), keys.clone());
        d.add_client("us-east-1_A", AppClient::new("client1"))
            .unwrap();
        let copies = &d.clients["client1"];
        assert_eq!(copies.len(), StaticDirectory::REPLICAS);
        let pools: std::collections::HashSet<*const PoolContext> =
            copies.iter().map(|c| Arc::as_ptr(&c.pool)).collect();
        let clients: std::collections::HashSet<*const AppClient> =
            copies.iter().map(|c| Arc::as_ptr(&c.client)).collect();
        assert_eq!(pools.len(), StaticDirectory::REPLICAS, "one count per copy");
        assert_eq!(clients.len(), StaticDirectory::REPLICAS);
        assert!(copies.iter().all(|c| c.client.client_id == "client1"
            && c.client.user_pool_id.as_deref() == Some("us-east-1_A")));
        // Equal settings, and keys that tag a code alike.
        let code = Code::parse("123456").unwrap();
        let tag = |c: &ClientContext| c.pool.code_keys.tag("us-east-1_A", "alice", &code);
        assert!(copies.iter().all(|c| c.pool.pool == copies[0].pool.pool
            && *c.client == *copies[0].client
            && tag(c) == tag(&copies[0])));
        // A thread keeps taking the same copy.
        let first = d.client("client1").unwrap().unwrap();
        let again = d.client("client1").unwrap().unwrap();
        assert!(Arc::ptr_eq(&first.pool, &again.pool));
        assert!(Arc::ptr_eq(
            &first.pool,
            &d.pool("us-east-1_A").unwrap().unwrap()
        ));
        // Replacing the pool reaches the clients of every copy.
        let mut changed = UserPool::new("us-east-1_A");
        changed.sign_up_policy.failed_confirmations_per_window = 3;
        d.add_pool(changed, keys);
        for c in &d.clients["client1"] {
            assert_eq!(
                c.pool.pool.sign_up_policy.failed_confirmations_per_window,
                3
            );
        }
        assert!(d.client("nobody").unwrap().is_none());
        assert!(d.pool("us-east-1_B").unwrap().is_none());
        assert!(format!("{d:?}").contains("client1"));
    }
}
