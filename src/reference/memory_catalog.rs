//! [`PoolCatalog`] for [`MemoryStore`]: the pools and clients created through the API, held
//! beside the users ([pool-delete]). Deleting a pool removes its users and leaves its
//! tombstone (`MemoryStore::delete_pool_users`); inserting a pool removes a tombstone its id
//! may have (`MemoryStore::revive_pool`). Both run under the catalog's write
//! lock, so a deletion and a re-creation of one id never interleave.

use super::memory_store::{Catalog, MemoryStore, PoisonedStore};
use crate::config::{AppClient, UserPool};
use crate::error::HostError;
use crate::host::PoolCatalog;
use crate::protocol::{CatalogOutcome, CatalogVersion, ClientVersion};
use std::ops::Bound;

fn after(start: Option<&str>) -> (Bound<&str>, Bound<&str>) {
    (
        start.map_or(Bound::Unbounded, Bound::Excluded),
        Bound::Unbounded,
    )
}

impl MemoryStore {
    fn catalog_read(&self) -> Result<std::sync::RwLockReadGuard<'_, Catalog>, PoisonedStore> {
        self.catalog.read().map_err(|_| PoisonedStore)
    }

    fn catalog_write(&self) -> Result<std::sync::RwLockWriteGuard<'_, Catalog>, PoisonedStore> {
        self.catalog.write().map_err(|_| PoisonedStore)
    }
}

impl PoolCatalog for MemoryStore {
    fn insert_pool(&self, pool: &UserPool) -> Result<CatalogOutcome, HostError> {
        let mut c = self.catalog_write()?;
        if c.pools.contains_key(&pool.id) {
            return Ok(CatalogOutcome::Conflict);
        }
        // A pool made again under a deleted pool's id takes users again.
        self.revive_pool(&pool.id)?;
        c.put_pool(pool);
        Ok(CatalogOutcome::Done)
    }

    fn replace_pool(&self, pool: &UserPool) -> Result<CatalogOutcome, HostError> {
        let mut c = self.catalog_write()?;
        if !c.pools.contains_key(&pool.id) {
            return Ok(CatalogOutcome::NotFound);
        }
        c.put_pool(pool);
        Ok(CatalogOutcome::Done)
    }

    fn delete_pool(&self, pool_id: &str) -> Result<CatalogOutcome, HostError> {
        // The catalog's lock is held while every shard is cleared (and given the pool's
        // tombstone), so no reader of the catalog sees the pool without its users, and no
        // reader of the users sees them after a reader of the catalog saw the pool gone.
        let mut c = self.catalog_write()?;
        if !c.pools.contains_key(pool_id) {
            return Ok(CatalogOutcome::NotFound);
        }
        self.delete_pool_users(pool_id)?;
        c.pools.remove(pool_id);
        c.clients
            .retain(|_, client| client.value.user_pool_id.as_deref() != Some(pool_id));
        Ok(CatalogOutcome::Done)
    }

    fn pool(&self, pool_id: &str) -> Result<Option<UserPool>, HostError> {
        Ok(self
            .catalog_read()?
            .pools
            .get(pool_id)
            .map(|p| p.value.clone()))
    }

    fn list_pools(&self, start: Option<&str>, limit: usize) -> Result<Vec<UserPool>, HostError> {
        let c = self.catalog_read()?;
        Ok(c.pools
            .range::<str, _>(after(start))
            .take(limit)
            .map(|(_, p)| p.value.clone())
            .collect())
    }

    fn insert_client(&self, client: &AppClient) -> Result<CatalogOutcome, HostError> {
        let mut c = self.catalog_write()?;
        let in_pool = client
            .user_pool_id
            .as_deref()
            .is_some_and(|p| c.pools.contains_key(p));
        if !in_pool {
            return Ok(CatalogOutcome::NotFound);
        }
        if c.clients.contains_key(&client.client_id) {
            return Ok(CatalogOutcome::Conflict);
        }
        c.put_client(client);
        Ok(CatalogOutcome::Done)
    }

    fn replace_client(&self, client: &AppClient) -> Result<CatalogOutcome, HostError> {
        let mut c = self.catalog_write()?;
        let pool_id = client.user_pool_id.as_deref();
        let in_pool = pool_id.is_some_and(|p| c.pools.contains_key(p));
        let ours = c
            .clients
            .get(&client.client_id)
            .is_some_and(|old| old.value.user_pool_id.as_deref() == pool_id);
        if !in_pool || !ours {
            return Ok(CatalogOutcome::NotFound);
        }
        c.put_client(client);
        Ok(CatalogOutcome::Done)
    }

    fn delete_client(&self, pool_id: &str, client_id: &str) -> Result<CatalogOutcome, HostError> {
        let mut c = self.catalog_write()?;
        let ours = c
            .clients
            .get(client_id)
            .is_some_and(|cl| cl.value.user_pool_id.as_deref() == Some(pool_id));
        if !ours || !c.pools.contains_key(pool_id) {
            return Ok(CatalogOutcome::NotFound);
        }
        c.clients.remove(client_id);
        Ok(CatalogOutcome::Done)
    }

    fn client(&self, client_id: &str) -> Result<Option<AppClient>, HostError> {
        Ok(self
            .catalog_read()?
            .clients
            .get(client_id)
            .map(|cl| cl.value.clone()))
    }

    fn list_clients(
        &self,
        pool_id: &str,
        start: Option<&str>,
        limit: usize,
    ) -> Result<Vec<AppClient>, HostError> {
        let c = self.catalog_read()?;
        Ok(c.clients
            .range::<str, _>(after(start))
            .filter(|(_, cl)| cl.value.user_pool_id.as_deref() == Some(pool_id))
            .take(limit)
            .map(|(_, cl)| cl.value.clone())
            .collect())
    }

    fn pool_version(&self, pool_id: &str) -> Result<CatalogVersion<u64>, HostError> {
        Ok(match self.catalog_read()?.pools.get(pool_id) {
            Some(p) => CatalogVersion::At(p.version),
            None => CatalogVersion::Absent,
        })
    }

    fn client_version(&self, client_id: &str) -> Result<CatalogVersion<ClientVersion>, HostError> {
        let c = self.catalog_read()?;
        let Some(client) = c.clients.get(client_id) else {
            return Ok(CatalogVersion::Absent);
        };
        let pool = client
            .value
            .user_pool_id
            .as_deref()
            .and_then(|id| c.pools.get(id));
        Ok(match pool {
            Some(pool) => CatalogVersion::At(ClientVersion {
                client: client.version,
                pool: pool.version,
            }),
            None => CatalogVersion::Absent,
        })
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use super::*;
    use crate::host::UserStore;
    use crate::protocol::{Commit, CommitOutcome, IndexKey, IndexWrite, RecordWrite};
    use crate::time::Timestamp;
    use crate::user::{UserRecord, UserStatus};
    use std::sync::Arc;

    fn client(id: &str, pool: &str) -> AppClient {
        let mut c = AppClient::new(id);
        c.user_pool_id = Some(pool.to_owned());
        c
    }

    /// The commit that creates user `sub` (its record and username key).
    fn new_user(sub: &str) -> Commit {
        let record = UserRecord {
            username: sub.into(),
            sub: sub.into(),
            status: UserStatus::Unconfirmed,
            enabled: true,
            email: None,
            email_verified: false,
            phone_number: None,
            phone_number_verified: false,
            other_attributes: Vec::new(),
            password: None,
            created: Timestamp::EPOCH,
            last_modified: Timestamp::EPOCH,
            code: None,
            failed_confirmations: Vec::new(),
            resends: Vec::new(),
        };
        Commit {
            records: vec![RecordWrite {
                record,
                expected_version: None,
            }],
            index: vec![IndexWrite {
                key: IndexKey::username(sub),
                expected: None,
                new: Some(sub.to_owned()),
            }],
            ..Commit::default()
        }
    }

    fn add_user(store: &MemoryStore, pool: &str, sub: &str) {
        assert_eq!(
            store.commit(pool, &new_user(sub)).unwrap(),
            CommitOutcome::Committed
        );
    }

    #[test]
    fn writes_answer_what_they_did() {
        let s = MemoryStore::new();
        let a = UserPool::new("us-east-1_A");
        assert_eq!(s.insert_pool(&a).unwrap(), CatalogOutcome::Done);
        assert_eq!(s.insert_pool(&a).unwrap(), CatalogOutcome::Conflict);
        assert_eq!(
            s.replace_pool(&UserPool::new("us-east-1_B")).unwrap(),
            CatalogOutcome::NotFound
        );
        assert_eq!(
            s.insert_client(&client("c1", "us-east-1_B")).unwrap(),
            CatalogOutcome::NotFound
        );
        assert_eq!(
            s.insert_client(&client("c1", "us-east-1_A")).unwrap(),
            CatalogOutcome::Done
        );
        assert_eq!(
            s.insert_client(&client("c1", "us-east-1_A")).unwrap(),
            CatalogOutcome::Conflict
        );
        // A client is replaced and deleted only through its own pool.
        assert_eq!(
            s.insert_pool(&UserPool::new("us-east-1_B")).unwrap(),
            CatalogOutcome::Done
        );
        assert_eq!(
            s.replace_client(&client("c1", "us-east-1_B")).unwrap(),
            CatalogOutcome::NotFound
        );
        assert_eq!(
            s.delete_client("us-east-1_B", "c1").unwrap(),
            CatalogOutcome::NotFound
        );
        assert_eq!(
            s.delete_client("us-east-1_A", "c1").unwrap(),
            CatalogOutcome::Done
        );
        assert!(s.client("c1").unwrap().is_none());
    }

    #[test]
    fn lists_page_in_id_order() {
        let s = MemoryStore::new();
        for id in ["us-east-1_C", "us-east-1_A", "us-east-1_B"] {
            assert_eq!(
                s.insert_pool(&UserPool::new(id)).unwrap(),
                CatalogOutcome::Done
            );
        }
        let ids = |v: Vec<UserPool>| v.into_iter().map(|p| p.id).collect::<Vec<_>>();
        assert_eq!(
            ids(s.list_pools(None, 2).unwrap()),
            ["us-east-1_A", "us-east-1_B"]
        );
        assert_eq!(
            ids(s.list_pools(Some("us-east-1_B"), 2).unwrap()),
            ["us-east-1_C"]
        );
        for (c, p) in [
            ("z", "us-east-1_A"),
            ("b", "us-east-1_B"),
            ("a", "us-east-1_A"),
        ] {
            assert_eq!(
                s.insert_client(&client(c, p)).unwrap(),
                CatalogOutcome::Done
            );
        }
        let cids = |v: Vec<AppClient>| v.into_iter().map(|c| c.client_id).collect::<Vec<_>>();
        assert_eq!(
            cids(s.list_clients("us-east-1_A", None, 10).unwrap()),
            ["a", "z"]
        );
        assert_eq!(
            cids(s.list_clients("us-east-1_A", Some("a"), 10).unwrap()),
            ["z"]
        );
    }

    #[test]
    fn delete_pool_removes_its_clients_and_users_only() {
        // [pool-delete]
        let s = MemoryStore::new();
        for id in ["us-east-1_A", "us-east-1_B"] {
            assert_eq!(
                s.insert_pool(&UserPool::new(id)).unwrap(),
                CatalogOutcome::Done
            );
        }
        assert_eq!(
            s.insert_client(&client("ca", "us-east-1_A")).unwrap(),
            CatalogOutcome::Done
        );
        assert_eq!(
            s.insert_client(&client("cb", "us-east-1_B")).unwrap(),
            CatalogOutcome::Done
        );
        for i in 0..50 {
            add_user(&s, "us-east-1_A", &format!("a{i}"));
            add_user(&s, "us-east-1_B", &format!("b{i}"));
        }
        assert_eq!(s.delete_pool("us-east-1_A").unwrap(), CatalogOutcome::Done);
        assert_eq!(
            s.delete_pool("us-east-1_A").unwrap(),
            CatalogOutcome::NotFound
        );
        assert!(s.pool("us-east-1_A").unwrap().is_none());
        assert!(s.client("ca").unwrap().is_none());
        assert!(s.records("us-east-1_A").unwrap().is_empty());
        assert!(s.index("us-east-1_A").unwrap().is_empty());
        assert!(
            s.find("us-east-1_A", &[IndexKey::username("a1")])
                .unwrap()
                .is_none()
        );
        // The other pool is untouched.
        assert!(s.client("cb").unwrap().is_some());
        assert_eq!(s.records("us-east-1_B").unwrap().len(), 50);
        assert!(
            s.find("us-east-1_B", &[IndexKey::username("b7")])
                .unwrap()
                .is_some()
        );
    }

    #[test]
    fn a_deleted_pool_keeps_one_tombstone_until_it_is_made_again() {
        // [pool-delete] One entry per deleted pool for the whole store, gone when the id is
        // made again; a commit creating a user in a deleted pool conflicts.
        let s = MemoryStore::new();
        for n in 0..300 {
            let id = format!("us-east-1_Churn{n}");
            assert_eq!(
                s.insert_pool(&UserPool::new(&id)).unwrap(),
                CatalogOutcome::Done
            );
            add_user(&s, &id, "someone");
            assert_eq!(s.delete_pool(&id).unwrap(), CatalogOutcome::Done);
        }
        assert_eq!(s.tombstones(), 300);
        assert_eq!(
            s.commit("us-east-1_Churn7", &new_user("late")).unwrap(),
            CommitOutcome::Conflict
        );
        assert!(s.records("us-east-1_Churn7").unwrap().is_empty());
        assert_eq!(
            s.insert_pool(&UserPool::new("us-east-1_Churn7")).unwrap(),
            CatalogOutcome::Done
        );
        assert_eq!(s.tombstones(), 299);
        assert_eq!(
            s.commit("us-east-1_Churn7", &new_user("again")).unwrap(),
            CommitOutcome::Committed
        );
    }

    #[test]
    fn a_creating_commit_racing_a_deletion_leaves_nothing_behind() {
        // [pool-delete] Writers creating users while the pool is deleted: every commit lands
        // before the deletion (and goes with the pool) or conflicts after it.
        for round in 0..20 {
            let s = Arc::new(MemoryStore::new());
            let id = format!("us-east-1_Race{round}");
            assert_eq!(
                s.insert_pool(&UserPool::new(&id)).unwrap(),
                CatalogOutcome::Done
            );
            let writers: Vec<_> = (0..2)
                .map(|w| {
                    let (s, id) = (Arc::clone(&s), id.clone());
                    std::thread::spawn(move || {
                        for i in 0..100 {
                            let sub = format!("w{w}u{i}");
                            let _ = s.commit(&id, &new_user(&sub)).unwrap();
                        }
                    })
                })
                .collect();
            std::thread::yield_now();
            assert_eq!(s.delete_pool(&id).unwrap(), CatalogOutcome::Done);
            for w in writers {
                w.join().unwrap();
            }
            assert!(s.records(&id).unwrap().is_empty(), "round {round}");
            assert!(s.index(&id).unwrap().is_empty(), "round {round}");
        }
    }

    #[test]
    fn a_concurrent_reader_sees_all_of_a_deleted_pool_or_none() {
        // [pool-delete] Every shard is write-locked at once: a whole-pool read never sees a part.
        let s = Arc::new(MemoryStore::new());
        assert_eq!(
            s.insert_pool(&UserPool::new("us-east-1_A")).unwrap(),
            CatalogOutcome::Done
        );
        for i in 0..200 {
            add_user(&s, "us-east-1_A", &format!("u{i}"));
        }
        let reader = {
            let s = Arc::clone(&s);
            std::thread::spawn(move || {
                let mut seen = Vec::new();
                for _ in 0..200 {
                    seen.push(s.records("us-east-1_A").unwrap().len());
                }
                seen
            })
        };
        assert_eq!(s.delete_pool("us-east-1_A").unwrap(), CatalogOutcome::Done);
        for n in reader.join().unwrap() {
            assert!(n == 200 || n == 0, "saw {n} users");
        }
    }
}
