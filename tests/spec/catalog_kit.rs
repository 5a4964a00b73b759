//! The pool-catalog conformance kit against the in-memory store, and against catalogs that break
//! one of its rules (so that the kit is known to be able to fail).

use cognito_signup::store::{
    CatalogOutcome, CatalogVersion, ClientVersion, Commit, CommitOutcome, IndexKey, PoolCatalog,
    UserStore, Versioned,
};
use cognito_signup::{AppClient, HostError, MemoryStore, UserPool, UserRecord};
use cognito_signup_testkit::catalog;
use std::collections::HashMap;
use std::sync::Mutex;

#[test]
fn memory_store_passes_the_catalog_kit() {
    let report = catalog::run_all(MemoryStore::new);
    assert_eq!(report.failures().len(), 0);
    assert_eq!(report.checks.len(), 18, "{report:?}");
}

#[test]
fn two_directories_over_one_memory_store_agree() {
    // [pool-directory] One store shared by two directories (two handles of one catalog).
    let store = std::sync::Arc::new(MemoryStore::new());
    catalog::run_directories(store.clone(), store);
}

#[test]
fn kit_rejects_versions_that_start_again_with_a_pool_made_again() {
    assert_eq!(
        failed_checks(Defect::VersionRestartsWithThePool),
        ["versions_of_entries_made_again_are_new"]
    );
}

#[test]
fn directories_over_versions_that_start_again_serve_a_deleted_pool() {
    // [pool-directory] A directory trusts versions: a catalog that gives a pool made again the
    // version of the one deleted makes it serve the old settings, and the check says so.
    let broken = std::sync::Arc::new(Broken::new(Defect::VersionRestartsWithThePool));
    let failure = catalog::check_directories(broken.clone(), broken).unwrap_err();
    assert!(failure.contains("pool made again"), "{failure}");
}

/// A catalog with one deliberate defect, over [`MemoryStore`].
#[derive(Clone, Copy, PartialEq, Eq)]
enum Defect {
    /// The catalog lives in a store of its own: deleting a pool leaves its users, and no
    /// tombstone stops a commit.
    CatalogApartFromUsers,
    /// A client insert looks at the client id before the pool.
    ClientIdBeforePool,
    /// A pool's version counts its writes since it was inserted: a pool made again under a
    /// deleted pool's id has the version the deleted one had.
    VersionRestartsWithThePool,
}

struct Broken {
    defect: Defect,
    users: MemoryStore,
    catalog: MemoryStore,
    /// [`Defect::VersionRestartsWithThePool`]: the writes of each pool since its insert.
    writes: Mutex<HashMap<String, u64>>,
}

impl Broken {
    fn new(defect: Defect) -> Self {
        Self {
            defect,
            users: MemoryStore::new(),
            catalog: MemoryStore::new(),
            writes: Mutex::new(HashMap::new()),
        }
    }

    /// Where the catalog's calls go.
    fn catalog(&self) -> &MemoryStore {
        match self.defect {
            Defect::CatalogApartFromUsers => &self.catalog,
            Defect::ClientIdBeforePool | Defect::VersionRestartsWithThePool => &self.users,
        }
    }
}

impl UserStore for Broken {
    fn find(
        &self,
        pool_id: &str,
        keys: &[IndexKey],
    ) -> Result<Option<Versioned<UserRecord>>, HostError> {
        self.users.find(pool_id, keys)
    }
    fn commit(&self, pool_id: &str, commit: &Commit) -> Result<CommitOutcome, HostError> {
        self.users.commit(pool_id, commit)
    }
    fn list(
        &self,
        pool_id: &str,
        after: Option<&str>,
        limit: usize,
    ) -> Result<Vec<Versioned<UserRecord>>, HostError> {
        self.users.list(pool_id, after, limit)
    }
}

impl PoolCatalog for Broken {
    fn insert_pool(&self, pool: &UserPool) -> Result<CatalogOutcome, HostError> {
        let done = self.catalog().insert_pool(pool)?;
        if done == CatalogOutcome::Done {
            self.writes.lock().unwrap().insert(pool.id.clone(), 1);
        }
        Ok(done)
    }
    fn replace_pool(&self, pool: &UserPool) -> Result<CatalogOutcome, HostError> {
        let done = self.catalog().replace_pool(pool)?;
        if done == CatalogOutcome::Done {
            *self
                .writes
                .lock()
                .unwrap()
                .entry(pool.id.clone())
                .or_default() += 1;
        }
        Ok(done)
    }
    fn delete_pool(&self, pool_id: &str) -> Result<CatalogOutcome, HostError> {
        self.catalog().delete_pool(pool_id)
    }
    fn pool(&self, pool_id: &str) -> Result<Option<UserPool>, HostError> {
        self.catalog().pool(pool_id)
    }
    fn list_pools(&self, after: Option<&str>, limit: usize) -> Result<Vec<UserPool>, HostError> {
        self.catalog().list_pools(after, limit)
    }
    fn insert_client(&self, client: &AppClient) -> Result<CatalogOutcome, HostError> {
        if self.defect == Defect::ClientIdBeforePool
            && self.catalog().client(&client.client_id)?.is_some()
        {
            return Ok(CatalogOutcome::Conflict);
        }
        self.catalog().insert_client(client)
    }
    fn replace_client(&self, client: &AppClient) -> Result<CatalogOutcome, HostError> {
        self.catalog().replace_client(client)
    }
    fn delete_client(&self, pool_id: &str, client_id: &str) -> Result<CatalogOutcome, HostError> {
        self.catalog().delete_client(pool_id, client_id)
    }
    fn client(&self, client_id: &str) -> Result<Option<AppClient>, HostError> {
        self.catalog().client(client_id)
    }
    fn list_clients(
        &self,
        pool_id: &str,
        after: Option<&str>,
        limit: usize,
    ) -> Result<Vec<AppClient>, HostError> {
        self.catalog().list_clients(pool_id, after, limit)
    }
    fn pool_version(&self, pool_id: &str) -> Result<CatalogVersion<u64>, HostError> {
        if self.defect != Defect::VersionRestartsWithThePool {
            return Ok(CatalogVersion::Unversioned);
        }
        Ok(match self.catalog().pool_version(pool_id)? {
            CatalogVersion::At(_) => CatalogVersion::At(
                self.writes
                    .lock()
                    .unwrap()
                    .get(pool_id)
                    .copied()
                    .unwrap_or(0),
            ),
            other => other,
        })
    }
    fn client_version(&self, client_id: &str) -> Result<CatalogVersion<ClientVersion>, HostError> {
        if self.defect != Defect::VersionRestartsWithThePool {
            return Ok(CatalogVersion::Unversioned);
        }
        let Some(pool_id) = self
            .catalog()
            .client(client_id)?
            .and_then(|c| c.user_pool_id)
        else {
            return Ok(CatalogVersion::Absent);
        };
        Ok(
            match (
                self.catalog().client_version(client_id)?,
                self.pool_version(&pool_id)?,
            ) {
                (CatalogVersion::At(v), CatalogVersion::At(pool)) => {
                    CatalogVersion::At(ClientVersion {
                        client: v.client,
                        pool,
                    })
                }
                _ => CatalogVersion::Absent,
            },
        )
    }
}

fn failed_checks(defect: Defect) -> Vec<&'static str> {
    let report = catalog::check_all(|| Broken::new(defect));
    report.failures().iter().map(|c| c.name).collect()
}

#[test]
fn kit_rejects_a_catalog_that_leaves_the_users_of_a_deleted_pool() {
    let mut failed = failed_checks(Defect::CatalogApartFromUsers);
    failed.sort_unstable();
    assert_eq!(
        failed,
        [
            "a_pool_created_again_takes_users",
            "commits_creating_rows_in_a_deleted_pool_conflict",
            "delete_pool_frees_keys_and_client_ids",
            "delete_pool_racing_writers_leaves_nothing_behind",
            "delete_pool_removes_its_clients_and_users",
        ]
    );
}

#[test]
fn kit_rejects_a_client_insert_that_looks_at_the_id_first() {
    assert_eq!(
        failed_checks(Defect::ClientIdBeforePool),
        ["client_insert_needs_its_pool_first"]
    );
}

#[test]
#[should_panic(expected = "store conformance checks failed")]
fn run_all_panics_with_the_failed_checks() {
    catalog::run_all(|| Broken::new(Defect::ClientIdBeforePool));
}
