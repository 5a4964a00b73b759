//! A directory over a [`PoolCatalog`]: pools fixed at start first, then the catalog
//! ([pool-directory]).

use super::directory::StaticDirectory;
use crate::code::CodeKeys;
use crate::error::HostError;
use crate::host::{Directory, PoolCatalog};
use crate::protocol::{ClientContext, PoolContext};
use std::fmt;
use std::sync::Arc;

/// The function that gives the code keys of a catalog pool, by pool id (a host derives them
/// from its master keys, as it does for configured pools).
pub type CodeKeysFn = dyn Fn(&str) -> Result<CodeKeys, HostError> + Send + Sync;

/// A [`Directory`] of the pools and clients fixed at start (a [`StaticDirectory`]), then those
/// of a [`PoolCatalog`], which is read on every call: a pool created, updated or deleted
/// through the API (by this process or another on the same database) is seen by the next
/// operation. A client whose pool is gone does not resolve, so the codes of a deleted pool
/// confirm nothing ([pool-directory]).
pub struct CatalogDirectory {
    fixed: StaticDirectory,
    catalog: Arc<dyn PoolCatalog>,
    code_keys: Arc<CodeKeysFn>,
}

impl fmt::Debug for CatalogDirectory {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CatalogDirectory")
            .field("fixed", &self.fixed)
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
        }
    }

    /// The pools and clients fixed at start.
    #[must_use]
    pub fn fixed(&self) -> &StaticDirectory {
        &self.fixed
    }

    fn catalog_pool(&self, pool_id: &str) -> Result<Option<Arc<PoolContext>>, HostError> {
        let Some(pool) = self.catalog.pool(pool_id)? else {
            return Ok(None);
        };
        let keys = (self.code_keys)(pool_id)?;
        Ok(Some(Arc::new(PoolContext::new(pool, keys))))
    }
}

impl Directory for CatalogDirectory {
    fn client(&self, client_id: &str) -> Result<Option<ClientContext>, HostError> {
        if let Some(found) = self.fixed.client(client_id)? {
            return Ok(Some(found));
        }
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
