//! The pool-catalog conformance kit against the in-memory store, and against catalogs that break
//! one of its rules (so that the kit is known to be able to fail).

use cognito_signup::store::{
    CatalogOutcome, Commit, CommitOutcome, IndexKey, PoolCatalog, UserStore, Versioned,
};
use cognito_signup::{AppClient, HostError, MemoryStore, UserPool, UserRecord};
use cognito_signup_testkit::catalog;

#[test]
fn memory_store_passes_the_catalog_kit() {
    let report = catalog::run_all(MemoryStore::new);
    assert_eq!(report.failures().len(), 0);
    assert_eq!(report.checks.len(), 16, "{report:?}");
}

/// A catalog with one deliberate defect, over [`MemoryStore`].
#[derive(Clone, Copy, PartialEq, Eq)]
enum Defect {
    /// The catalog lives in a store of its own: deleting a pool leaves its users, and no
    /// tombstone stops a commit.
    CatalogApartFromUsers,
    /// A client insert looks at the client id before the pool.
    ClientIdBeforePool,
}

struct Broken {
    defect: Defect,
    users: MemoryStore,
    catalog: MemoryStore,
}

impl Broken {
    fn new(defect: Defect) -> Self {
        Self {
            defect,
            users: MemoryStore::new(),
            catalog: MemoryStore::new(),
        }
    }

    /// Where the catalog's calls go.
    fn catalog(&self) -> &MemoryStore {
        match self.defect {
            Defect::CatalogApartFromUsers => &self.catalog,
            Defect::ClientIdBeforePool => &self.users,
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
        self.catalog().insert_pool(pool)
    }
    fn replace_pool(&self, pool: &UserPool) -> Result<CatalogOutcome, HostError> {
        self.catalog().replace_pool(pool)
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
