//! A directory over a [`PoolCatalog`]: pools fixed at start first, then the catalog, whose
//! resolved pools and clients are kept while the catalog's versions say they are current
//! ([pool-directory]).

use super::directory::StaticDirectory;
use crate::code::CodeKeys;
use crate::error::HostError;
use crate::host::{Directory, PoolCatalog};
use crate::protocol::{CatalogVersion, ClientContext, ClientVersion, PoolContext};
use std::collections::{HashMap, VecDeque};
use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

/// The function that gives the code keys of a catalog pool, by pool id (a host derives them
/// from its master keys, as it does for configured pools).
pub type CodeKeysFn = dyn Fn(&str) -> Result<CodeKeys, HostError> + Send + Sync;

/// How many entries the cache holds before each insertion also checks older ones against the
/// catalog.
const TIDY_FLOOR: usize = 64;

/// How many older entries an insertion checks, once the cache holds [`TIDY_FLOOR`] entries.
/// More than one, so that the entries of a churn are dropped faster than they come.
const TIDY_PER_INSERT: usize = 3;

/// A [`Directory`] of the pools and clients fixed at start (a [`StaticDirectory`]), then those
/// of a [`PoolCatalog`]: a pool or client created, updated or deleted through the API (by this
/// process or another on the same database) is seen by the next operation. A client whose
/// pool is gone does not resolve, so the codes of a deleted pool confirm nothing
/// ([pool-directory]).
///
/// Every call asks the catalog for the entry's version
/// ([`PoolCatalog::client_version`], [`PoolCatalog::pool_version`]: one cheap read, no settings
/// parsed). The pool and client resolved last (settings parsed, code keys derived) are kept
/// with the version read before them and served again while the catalog answers that same
/// version; any other answer reads the entry again, and an absent entry is dropped. A catalog
/// that keeps no versions ([`CatalogVersion::Unversioned`], the trait's default) is read in full
/// on every call. The cache stays near the entries still in use: once it holds 64 entries, every
/// insertion also checks the three oldest-checked ones against the catalog (in turn, so each
/// entry is checked once a round) and drops those gone or changed. Pools created and deleted in
/// a churn do not accumulate, and no request pays for checking the whole cache.
pub struct CatalogDirectory {
    fixed: StaticDirectory,
    catalog: Arc<dyn PoolCatalog>,
    code_keys: Arc<CodeKeysFn>,
    cache: Mutex<Cache>,
}

/// The resolved catalog entries, each with the version read before it was read.
struct Cache {
    pools: HashMap<String, (u64, Arc<PoolContext>)>,
    clients: HashMap<String, (ClientVersion, ClientContext)>,
    /// Every kept entry's id, in the order they are next checked; an id whose entry has gone
    /// since is passed over when its turn comes.
    turns: VecDeque<Kept>,
}

/// The id of a kept entry.
enum Kept {
    Pool(String),
    Client(String),
}

/// The version a kept entry is held at.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Held {
    Pool(u64),
    Client(ClientVersion),
}

impl Cache {
    fn len(&self) -> usize {
        self.pools.len().saturating_add(self.clients.len())
    }

    /// The version `kept` is held at, if it is still held.
    fn held(&self, kept: &Kept) -> Option<Held> {
        match kept {
            Kept::Pool(id) => self.pools.get(id).map(|(v, _)| Held::Pool(*v)),
            Kept::Client(id) => self.clients.get(id).map(|(v, _)| Held::Client(*v)),
        }
    }

    /// Drops `kept` if it is still held at `at`: a newer copy read meanwhile stays.
    fn drop_at(&mut self, kept: &Kept, at: Held) {
        if self.held(kept) == Some(at) {
            match kept {
                Kept::Pool(id) => {
                    self.pools.remove(id);
                }
                Kept::Client(id) => {
                    self.clients.remove(id);
                }
            }
        }
    }
}

impl fmt::Debug for CatalogDirectory {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CatalogDirectory")
            .field("fixed", &self.fixed)
            .field("cached_entries", &self.cached_entries())
            .finish_non_exhaustive()
    }
}

impl CatalogDirectory {
    /// A directory of `fixed` and then `catalog`, with the code keys of catalog pools from
    /// `code_keys`.
    pub fn new(
        fixed: StaticDirectory,
        catalog: Arc<dyn PoolCatalog>,
        code_keys: impl Fn(&str) -> Result<CodeKeys, HostError> + Send + Sync + 'static,
    ) -> Self {
        Self {
            fixed,
            catalog,
            code_keys: Arc::new(code_keys),
            cache: Mutex::new(Cache {
                pools: HashMap::new(),
                clients: HashMap::new(),
                turns: VecDeque::new(),
            }),
        }
    }

    /// The pools and clients fixed at start.
    #[must_use]
    pub fn fixed(&self) -> &StaticDirectory {
        &self.fixed
    }

    /// How many catalog pools and clients the cache holds now (for tests and monitoring).
    #[must_use]
    pub fn cached_entries(&self) -> usize {
        self.cache().len()
    }

    /// The cache. It only ever holds whole entries, so a panic elsewhere while it was locked
    /// leaves nothing half-written: a poisoned lock is taken as it is.
    fn cache(&self) -> MutexGuard<'_, Cache> {
        self.cache.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The pool read from the catalog, with its code keys: no cache.
    fn read_pool(&self, pool_id: &str) -> Result<Option<Arc<PoolContext>>, HostError> {
        let Some(pool) = self.catalog.pool(pool_id)? else {
            return Ok(None);
        };
        let keys = (self.code_keys)(pool_id)?;
        Ok(Some(Arc::new(PoolContext::new(pool, keys))))
    }

    /// The catalog pool, from the cache while its version holds.
    fn catalog_pool(&self, pool_id: &str) -> Result<Option<Arc<PoolContext>>, HostError> {
        let version = match self.catalog.pool_version(pool_id)? {
            CatalogVersion::Unversioned => return self.read_pool(pool_id),
            CatalogVersion::Absent => {
                self.cache().pools.remove(pool_id);
                return Ok(None);
            }
            CatalogVersion::At(version) => version,
        };
        if let Some((v, pool)) = self.cache().pools.get(pool_id) {
            if *v == version {
                return Ok(Some(Arc::clone(pool)));
            }
        }
        let Some(pool) = self.read_pool(pool_id)? else {
            self.cache().pools.remove(pool_id);
            return Ok(None);
        };
        self.tidy();
        let mut cache = self.cache();
        let new = cache
            .pools
            .insert(pool_id.to_owned(), (version, Arc::clone(&pool)))
            .is_none();
        if new {
            cache.turns.push_back(Kept::Pool(pool_id.to_owned()));
        }
        Ok(Some(pool))
    }

    /// The client read from the catalog, with its pool.
    fn read_client(&self, client_id: &str) -> Result<Option<ClientContext>, HostError> {
        let Some(client) = self.catalog.client(client_id)? else {
            return Ok(None);
        };
        let Some(pool_id) = client.user_pool_id.as_deref() else {
            return Ok(None);
        };
        let Some(pool) = self.catalog_pool(pool_id)? else {
            return Ok(None);
        };
        Ok(Some(ClientContext::new(pool, Arc::new(client))))
    }

    /// The catalog client, from the cache while its version (and its pool's) holds.
    fn catalog_client(&self, client_id: &str) -> Result<Option<ClientContext>, HostError> {
        let version = match self.catalog.client_version(client_id)? {
            CatalogVersion::Unversioned => return self.read_client(client_id),
            CatalogVersion::Absent => {
                self.cache().clients.remove(client_id);
                return Ok(None);
            }
            CatalogVersion::At(version) => version,
        };
        if let Some((v, client)) = self.cache().clients.get(client_id) {
            if *v == version {
                return Ok(Some(client.clone()));
            }
        }
        let Some(client) = self.read_client(client_id)? else {
            self.cache().clients.remove(client_id);
            return Ok(None);
        };
        self.tidy();
        let mut cache = self.cache();
        let new = cache
            .clients
            .insert(client_id.to_owned(), (version, client.clone()))
            .is_none();
        if new {
            cache.turns.push_back(Kept::Client(client_id.to_owned()));
        }
        Ok(Some(client))
    }

    /// Before an insertion, once the cache holds [`TIDY_FLOOR`] entries: checks the
    /// [`TIDY_PER_INSERT`] entries whose turn it is against the catalog, drops those gone or
    /// changed and puts the others back at the end of the turns. The catalog is asked without
    /// the lock held; an entry is dropped only if it is still held at the version found out of
    /// date, and one read again meanwhile keeps its turn. A failed read keeps the entry.
    fn tidy(&self) {
        let mut checked = 0;
        while checked < TIDY_PER_INSERT {
            let (kept, held) = {
                let mut cache = self.cache();
                if cache.turns.len() < TIDY_FLOOR {
                    return;
                }
                let Some(kept) = cache.turns.pop_front() else {
                    return;
                };
                // An id whose entry has gone is passed over without a read.
                let Some(held) = cache.held(&kept) else {
                    continue;
                };
                (kept, held)
            };
            checked = checked.saturating_add(1);
            let current = match (&kept, held) {
                (Kept::Pool(id), Held::Pool(v)) => self
                    .catalog
                    .pool_version(id)
                    .map(|now| now == CatalogVersion::At(v)),
                (Kept::Client(id), Held::Client(v)) => self
                    .catalog
                    .client_version(id)
                    .map(|now| now == CatalogVersion::At(v)),
                _ => Ok(false),
            };
            let mut cache = self.cache();
            if matches!(current, Ok(false)) {
                cache.drop_at(&kept, held);
            }
            if cache.held(&kept).is_some() {
                cache.turns.push_back(kept);
            }
        }
    }
}

impl Directory for CatalogDirectory {
    fn client(&self, client_id: &str) -> Result<Option<ClientContext>, HostError> {
        if let Some(found) = self.fixed.client(client_id)? {
            return Ok(Some(found));
        }
        self.catalog_client(client_id)
    }

    fn pool(&self, pool_id: &str) -> Result<Option<Arc<PoolContext>>, HostError> {
        if let Some(found) = self.fixed.pool(pool_id)? {
            return Ok(Some(found));
        }
        self.catalog_pool(pool_id)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use super::*;
    use crate::config::{AppClient, UserPool};
    use crate::protocol::CatalogOutcome;
    use crate::reference::MemoryStore;
    use std::sync::atomic::{AtomicUsize, Ordering};

    fn keys(_: &str) -> Result<CodeKeys, HostError> {
        Ok(CodeKeys::new(&[[3u8; 32]])?)
    }

    #[test]
    fn fixed_pools_first_then_the_catalog_read_on_every_call() {
        // [pool-directory]
        let store = Arc::new(MemoryStore::new());
        let mut fixed = StaticDirectory::new();
        fixed.add_pool(UserPool::new("us-east-1_Fixed"), keys("").unwrap());
        fixed
            .add_client("us-east-1_Fixed", AppClient::new("fixedclient"))
            .unwrap();
        let d = CatalogDirectory::new(fixed, store.clone(), keys);
        assert!(d.pool("us-east-1_Fixed").unwrap().is_some());
        assert!(d.client("fixedclient").unwrap().is_some());
        assert!(d.pool("us-east-1_Api").unwrap().is_none());
        assert_eq!(
            store.insert_pool(&UserPool::new("us-east-1_Api")).unwrap(),
            CatalogOutcome::Done
        );
        let mut c = AppClient::new("apiclient");
        c.user_pool_id = Some("us-east-1_Api".into());
        assert_eq!(store.insert_client(&c).unwrap(), CatalogOutcome::Done);
        let found = d.client("apiclient").unwrap().unwrap();
        assert_eq!(&**found.pool.id(), "us-east-1_Api");
        // An update is seen by the next call.
        let mut changed = UserPool::new("us-east-1_Api");
        changed.name = Some("renamed".into());
        assert_eq!(store.replace_pool(&changed).unwrap(), CatalogOutcome::Done);
        assert_eq!(
            d.pool("us-east-1_Api")
                .unwrap()
                .unwrap()
                .pool
                .name
                .as_deref(),
            Some("renamed")
        );
        // A deleted pool's clients no longer resolve.
        assert_eq!(
            store.delete_pool("us-east-1_Api").unwrap(),
            CatalogOutcome::Done
        );
        assert!(d.client("apiclient").unwrap().is_none());
        assert!(d.pool("us-east-1_Api").unwrap().is_none());
    }

    /// A catalog over a [`MemoryStore`] that counts the full reads (`pool`, `client`), and
    /// forwards versions or keeps none.
    struct Counting {
        inner: MemoryStore,
        versions: bool,
        reads: AtomicUsize,
    }

    impl Counting {
        fn new(versions: bool) -> Arc<Self> {
            Arc::new(Self {
                inner: MemoryStore::new(),
                versions,
                reads: AtomicUsize::new(0),
            })
        }
        fn reads(&self) -> usize {
            self.reads.load(Ordering::SeqCst)
        }
    }

    impl PoolCatalog for Counting {
        fn insert_pool(&self, pool: &UserPool) -> Result<CatalogOutcome, HostError> {
            self.inner.insert_pool(pool)
        }
        fn replace_pool(&self, pool: &UserPool) -> Result<CatalogOutcome, HostError> {
            self.inner.replace_pool(pool)
        }
        fn delete_pool(&self, pool_id: &str) -> Result<CatalogOutcome, HostError> {
            self.inner.delete_pool(pool_id)
        }
        fn pool(&self, pool_id: &str) -> Result<Option<UserPool>, HostError> {
            self.reads.fetch_add(1, Ordering::SeqCst);
            self.inner.pool(pool_id)
        }
        fn list_pools(
            &self,
            after: Option<&str>,
            limit: usize,
        ) -> Result<Vec<UserPool>, HostError> {
            self.inner.list_pools(after, limit)
        }
        fn insert_client(&self, client: &AppClient) -> Result<CatalogOutcome, HostError> {
            self.inner.insert_client(client)
        }
        fn replace_client(&self, client: &AppClient) -> Result<CatalogOutcome, HostError> {
            self.inner.replace_client(client)
        }
        fn delete_client(
            &self,
            pool_id: &str,
            client_id: &str,
        ) -> Result<CatalogOutcome, HostError> {
            self.inner.delete_client(pool_id, client_id)
        }
        fn client(&self, client_id: &str) -> Result<Option<AppClient>, HostError> {
            self.reads.fetch_add(1, Ordering::SeqCst);
            self.inner.client(client_id)
        }
        fn list_clients(
            &self,
            pool_id: &str,
            after: Option<&str>,
            limit: usize,
        ) -> Result<Vec<AppClient>, HostError> {
            self.inner.list_clients(pool_id, after, limit)
        }
        fn pool_version(&self, pool_id: &str) -> Result<CatalogVersion<u64>, HostError> {
            if self.versions {
                self.inner.pool_version(pool_id)
            } else {
                Ok(CatalogVersion::Unversioned)
            }
        }
        fn client_version(
            &self,
            client_id: &str,
        ) -> Result<CatalogVersion<ClientVersion>, HostError> {
            if self.versions {
                self.inner.client_version(client_id)
            } else {
                Ok(CatalogVersion::Unversioned)
            }
        }
    }

    const POOL: &str = "us-east-1_Api";

    fn api_client(id: &str, pool: &str, secret: Option<&str>) -> AppClient {
        let mut c = AppClient::new(id);
        c.user_pool_id = Some(pool.into());
        c.client_secret = secret.map(Into::into);
        c
    }

    fn named_pool(name: &str) -> UserPool {
        let mut p = UserPool::new(POOL);
        p.name = Some(name.into());
        p
    }

    /// A catalog with the pool `POOL` named `name` and its client `apiclient`, and a directory
    /// over it that counts the code keys it derives.
    fn setup(versions: bool, name: &str) -> (Arc<Counting>, CatalogDirectory, Arc<AtomicUsize>) {
        let catalog = Counting::new(versions);
        assert_eq!(
            catalog.insert_pool(&named_pool(name)).unwrap(),
            CatalogOutcome::Done
        );
        assert_eq!(
            catalog
                .insert_client(&api_client("apiclient", POOL, None))
                .unwrap(),
            CatalogOutcome::Done
        );
        let derived = Arc::new(AtomicUsize::new(0));
        let counter = Arc::clone(&derived);
        let d = CatalogDirectory::new(StaticDirectory::new(), catalog.clone(), move |p: &str| {
            counter.fetch_add(1, Ordering::SeqCst);
            keys(p)
        });
        (catalog, d, derived)
    }

    /// The resolved client's pool name and secret, or `None`.
    fn seen(d: &CatalogDirectory) -> Option<(Option<String>, Option<String>)> {
        d.client("apiclient")
            .unwrap()
            .map(|c| (c.pool.pool.name.clone(), c.client.client_secret.clone()))
    }

    fn named(name: &str, secret: Option<&str>) -> Option<(Option<String>, Option<String>)> {
        Some((Some(name.into()), secret.map(Into::into)))
    }

    #[test]
    fn a_kept_client_is_served_without_reading_settings_or_deriving_keys() {
        // [pool-directory]
        let (catalog, d, derived) = setup(true, "first");
        let first = d.client("apiclient").unwrap().unwrap();
        let (reads, keys_derived) = (catalog.reads(), derived.load(Ordering::SeqCst));
        assert_eq!(
            (reads, keys_derived),
            (2, 1),
            "one client and one pool read"
        );
        for _ in 0..5 {
            let again = d.client("apiclient").unwrap().unwrap();
            assert!(Arc::ptr_eq(&again.pool, &first.pool));
            assert!(Arc::ptr_eq(&again.client, &first.client));
            assert!(Arc::ptr_eq(&d.pool(POOL).unwrap().unwrap(), &first.pool));
        }
        assert_eq!(catalog.reads(), reads);
        assert_eq!(derived.load(Ordering::SeqCst), keys_derived);
        assert_eq!(d.cached_entries(), 2);
    }

    #[test]
    fn a_catalog_without_versions_is_read_on_every_call() {
        // [pool-directory] The trait's default: nothing is kept.
        let (catalog, d, derived) = setup(false, "first");
        assert_eq!(seen(&d), named("first", None));
        assert_eq!(seen(&d), named("first", None));
        assert_eq!(catalog.reads(), 4);
        assert_eq!(derived.load(Ordering::SeqCst), 2);
        assert_eq!(
            catalog.replace_pool(&named_pool("second")).unwrap(),
            CatalogOutcome::Done
        );
        assert_eq!(seen(&d), named("second", None));
        assert_eq!(d.cached_entries(), 0);
    }

    #[test]
    fn an_update_through_the_api_is_seen_by_the_next_call() {
        // [pool-directory]
        let (catalog, d, _) = setup(true, "first");
        assert_eq!(seen(&d), named("first", None));
        assert_eq!(
            d.pool(POOL).unwrap().unwrap().pool.name.as_deref(),
            Some("first")
        );
        assert_eq!(
            catalog.replace_pool(&named_pool("second")).unwrap(),
            CatalogOutcome::Done
        );
        assert_eq!(
            d.pool(POOL).unwrap().unwrap().pool.name.as_deref(),
            Some("second")
        );
        assert_eq!(seen(&d), named("second", None));
        // A secret added to the client.
        assert_eq!(
            catalog
                .replace_client(&api_client("apiclient", POOL, Some("s3cret")))
                .unwrap(),
            CatalogOutcome::Done
        );
        assert_eq!(seen(&d), named("second", Some("s3cret")));
        // The pool changed again, seen through the client first.
        assert_eq!(
            catalog.replace_pool(&named_pool("third")).unwrap(),
            CatalogOutcome::Done
        );
        assert_eq!(seen(&d), named("third", Some("s3cret")));
        assert_eq!(
            d.pool(POOL).unwrap().unwrap().pool.name.as_deref(),
            Some("third")
        );
    }

    #[test]
    fn a_delete_is_seen_at_once() {
        // [pool-directory] [pool-delete]
        let (catalog, d, _) = setup(true, "first");
        assert_eq!(seen(&d), named("first", None));
        assert_eq!(
            catalog.delete_client(POOL, "apiclient").unwrap(),
            CatalogOutcome::Done
        );
        assert_eq!(seen(&d), None);
        assert_eq!(
            catalog
                .insert_client(&api_client("apiclient", POOL, None))
                .unwrap(),
            CatalogOutcome::Done
        );
        assert_eq!(seen(&d), named("first", None));
        assert_eq!(catalog.delete_pool(POOL).unwrap(), CatalogOutcome::Done);
        assert_eq!(seen(&d), None);
        assert!(d.pool(POOL).unwrap().is_none());
        assert_eq!(d.cached_entries(), 0, "what is gone is dropped");
    }

    #[test]
    fn a_pool_made_again_under_its_id_is_the_new_one() {
        // [pool-directory] [pool-delete]
        let (catalog, d, _) = setup(true, "first");
        assert_eq!(seen(&d), named("first", None));
        assert_eq!(catalog.delete_pool(POOL).unwrap(), CatalogOutcome::Done);
        assert_eq!(
            catalog.insert_pool(&named_pool("again")).unwrap(),
            CatalogOutcome::Done
        );
        // The old client went with the old pool.
        assert_eq!(seen(&d), None);
        assert_eq!(
            d.pool(POOL).unwrap().unwrap().pool.name.as_deref(),
            Some("again")
        );
        assert_eq!(
            catalog
                .insert_client(&api_client("apiclient", POOL, Some("new")))
                .unwrap(),
            CatalogOutcome::Done
        );
        assert_eq!(seen(&d), named("again", Some("new")));
    }

    #[test]
    fn the_cache_keeps_no_deleted_pools() {
        // [pool-directory] 400 pools made, resolved and deleted: the cache stays small.
        let (catalog, d, _) = setup(true, "first");
        for n in 0..400 {
            let id = format!("us-east-1_Churn{n}");
            let client = format!("churn{n}");
            assert_eq!(
                catalog.insert_pool(&UserPool::new(&id)).unwrap(),
                CatalogOutcome::Done
            );
            assert_eq!(
                catalog
                    .insert_client(&api_client(&client, &id, None))
                    .unwrap(),
                CatalogOutcome::Done
            );
            assert!(d.client(&client).unwrap().is_some());
            assert!(d.pool(&id).unwrap().is_some());
            assert_eq!(catalog.delete_pool(&id).unwrap(), CatalogOutcome::Done);
        }
        assert!(
            d.cached_entries() <= TIDY_FLOOR,
            "{} entries",
            d.cached_entries()
        );
        // Pools still there are all kept, past the floor.
        for n in 0..100 {
            let id = format!("us-east-1_Live{n}");
            let client = format!("live{n}");
            assert_eq!(
                catalog.insert_pool(&UserPool::new(&id)).unwrap(),
                CatalogOutcome::Done
            );
            assert_eq!(
                catalog
                    .insert_client(&api_client(&client, &id, None))
                    .unwrap(),
                CatalogOutcome::Done
            );
            assert!(d.client(&client).unwrap().is_some());
        }
        let reads = catalog.reads();
        for n in 0..100 {
            assert!(d.client(&format!("live{n}")).unwrap().is_some());
        }
        assert_eq!(catalog.reads(), reads, "every live client is kept");
        assert!(d.cached_entries() >= 200);
    }

    #[test]
    fn a_failure_of_the_key_function_is_the_hosts_failure() {
        let store = Arc::new(MemoryStore::new());
        assert_eq!(
            store.insert_pool(&UserPool::new("us-east-1_Api")).unwrap(),
            CatalogOutcome::Done
        );
        let d = CatalogDirectory::new(StaticDirectory::new(), store, |_: &str| {
            Err::<CodeKeys, HostError>("no master key".into())
        });
        assert!(d.pool("us-east-1_Api").is_err());
    }
}
