//! [`PoolCatalog`] on the same file as the users: the tables `cognito_pools` and
//! `cognito_clients` (see the [crate docs](crate#schema)).

use crate::{SqliteStore, StoreError};
use cognito_signup::store::settings;
use cognito_signup::store::{CatalogOutcome, CatalogVersion, ClientVersion, PoolCatalog};
use cognito_signup::{AppClient, HostError, UserPool};
use rusqlite::{OptionalExtension, TransactionBehavior, params};

/// A limit SQLite can take; more rows than it can count are all of them.
fn sql_limit(limit: usize) -> i64 {
    i64::try_from(limit).unwrap_or(i64::MAX)
}

/// The next catalog version, in the write's transaction ([pool-directory]).
fn next_version(tx: &rusqlite::Transaction<'_>) -> Result<i64, rusqlite::Error> {
    tx.prepare_cached(
        "UPDATE cognito_catalog_versions SET last = last + 1 WHERE id = 0 RETURNING last",
    )?
    .query_row([], |r| r.get(0))
}

/// A stored version as the trait's: the cast keeps every bit, so distinct versions stay
/// distinct (they are only compared for equality).
#[allow(clippy::cast_sign_loss)]
fn version(v: i64) -> u64 {
    v as u64
}

fn outcome(changed: usize, otherwise: CatalogOutcome) -> CatalogOutcome {
    if changed == 1 {
        CatalogOutcome::Done
    } else {
        otherwise
    }
}

impl SqliteStore {
    fn insert_pool_inner(&self, pool: &UserPool) -> Result<CatalogOutcome, StoreError> {
        let json = settings::encode_pool(pool)?;
        let mut conn = self.pool.get()?;
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let version = next_version(&tx)?;
        let inserted = tx
            .prepare_cached(
                "INSERT INTO cognito_pools (pool_id, settings, version) VALUES (?1, ?2, ?3)
                 ON CONFLICT DO NOTHING",
            )?
            .execute(params![pool.id, json, version])?;
        if inserted != 1 {
            return Ok(CatalogOutcome::Conflict);
        }
        // A pool made again under a deleted pool's id takes users again.
        tx.prepare_cached("DELETE FROM cognito_deleted_pools WHERE pool_id = ?1")?
            .execute([&pool.id])?;
        tx.commit()?;
        Ok(CatalogOutcome::Done)
    }

    fn replace_pool_inner(&self, pool: &UserPool) -> Result<CatalogOutcome, StoreError> {
        let json = settings::encode_pool(pool)?;
        let mut conn = self.pool.get()?;
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let version = next_version(&tx)?;
        let changed = tx
            .prepare_cached(
                "UPDATE cognito_pools SET settings = ?2, version = ?3 WHERE pool_id = ?1",
            )?
            .execute(params![pool.id, json, version])?;
        if changed == 1 {
            tx.commit()?;
        }
        Ok(outcome(changed, CatalogOutcome::NotFound))
    }

    fn delete_pool_inner(&self, pool_id: &str) -> Result<CatalogOutcome, StoreError> {
        let mut conn = self.pool.get()?;
        // The write lock for the whole deletion: no commit of another connection or process
        // comes between its statements, and one that comes after sees the tombstone.
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let deleted = tx
            .prepare_cached("DELETE FROM cognito_pools WHERE pool_id = ?1")?
            .execute([pool_id])?;
        if deleted != 1 {
            return Ok(CatalogOutcome::NotFound);
        }
        for sql in [
            "DELETE FROM cognito_clients WHERE pool_id = ?1",
            "DELETE FROM cognito_users WHERE pool_id = ?1",
            "DELETE FROM cognito_index WHERE pool_id = ?1",
            "INSERT INTO cognito_deleted_pools (pool_id) VALUES (?1) ON CONFLICT DO NOTHING",
        ] {
            tx.prepare_cached(sql)?.execute([pool_id])?;
        }
        tx.commit()?;
        Ok(CatalogOutcome::Done)
    }

    fn pool_inner(&self, pool_id: &str) -> Result<Option<UserPool>, StoreError> {
        let conn = self.pool.get()?;
        let json: Option<String> = conn
            .prepare_cached("SELECT settings FROM cognito_pools WHERE pool_id = ?1")?
            .query_row([pool_id], |r| r.get(0))
            .optional()?;
        Ok(json
            .map(|json| settings::decode_pool(pool_id, &json))
            .transpose()?)
    }

    fn list_pools_inner(
        &self,
        after: Option<&str>,
        limit: usize,
    ) -> Result<Vec<UserPool>, StoreError> {
        let conn = self.pool.get()?;
        let mut stmt = match after {
            None => conn.prepare_cached(
                "SELECT pool_id, settings FROM cognito_pools ORDER BY pool_id LIMIT ?2",
            )?,
            Some(_) => conn.prepare_cached(
                "SELECT pool_id, settings FROM cognito_pools WHERE pool_id > ?1
                  ORDER BY pool_id LIMIT ?2",
            )?,
        };
        let rows = stmt.query_map(params![after, sql_limit(limit)], |r| {
            Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (id, json) = row?;
            out.push(settings::decode_pool(&id, &json)?);
        }
        Ok(out)
    }

    fn insert_client_inner(&self, client: &AppClient) -> Result<CatalogOutcome, StoreError> {
        let Some(pool_id) = client.user_pool_id.as_deref() else {
            return Ok(CatalogOutcome::NotFound);
        };
        let json = settings::encode_client(client)?;
        let mut conn = self.pool.get()?;
        // The write lock keeps the pool from being deleted between the check and the insert.
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let pool_exists = tx
            .prepare_cached("SELECT 1 FROM cognito_pools WHERE pool_id = ?1")?
            .exists([pool_id])?;
        if !pool_exists {
            return Ok(CatalogOutcome::NotFound);
        }
        let version = next_version(&tx)?;
        let inserted = tx
            .prepare_cached(
                "INSERT INTO cognito_clients (client_id, pool_id, settings, version)
                 VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT DO NOTHING",
            )?
            .execute(params![client.client_id, pool_id, json, version])?;
        if inserted != 1 {
            return Ok(CatalogOutcome::Conflict);
        }
        tx.commit()?;
        Ok(CatalogOutcome::Done)
    }

    fn replace_client_inner(&self, client: &AppClient) -> Result<CatalogOutcome, StoreError> {
        let Some(pool_id) = client.user_pool_id.as_deref() else {
            return Ok(CatalogOutcome::NotFound);
        };
        let json = settings::encode_client(client)?;
        let mut conn = self.pool.get()?;
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let version = next_version(&tx)?;
        let changed = tx
            .prepare_cached(
                "UPDATE cognito_clients SET settings = ?3, version = ?4
                  WHERE client_id = ?1 AND pool_id = ?2",
            )?
            .execute(params![client.client_id, pool_id, json, version])?;
        if changed == 1 {
            tx.commit()?;
        }
        Ok(outcome(changed, CatalogOutcome::NotFound))
    }

    fn delete_client_inner(
        &self,
        pool_id: &str,
        client_id: &str,
    ) -> Result<CatalogOutcome, StoreError> {
        let conn = self.pool.get()?;
        let changed = conn
            .prepare_cached("DELETE FROM cognito_clients WHERE client_id = ?1 AND pool_id = ?2")?
            .execute(params![client_id, pool_id])?;
        Ok(outcome(changed, CatalogOutcome::NotFound))
    }

    fn client_inner(&self, client_id: &str) -> Result<Option<AppClient>, StoreError> {
        let conn = self.pool.get()?;
        let row: Option<(String, String)> = conn
            .prepare_cached("SELECT pool_id, settings FROM cognito_clients WHERE client_id = ?1")?
            .query_row([client_id], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()?;
        Ok(row
            .map(|(pool_id, json)| settings::decode_client(client_id, pool_id, &json))
            .transpose()?)
    }

    fn list_clients_inner(
        &self,
        pool_id: &str,
        after: Option<&str>,
        limit: usize,
    ) -> Result<Vec<AppClient>, StoreError> {
        let conn = self.pool.get()?;
        let mut stmt = match after {
            None => conn.prepare_cached(
                "SELECT client_id, settings FROM cognito_clients WHERE pool_id = ?1
                  ORDER BY client_id LIMIT ?3",
            )?,
            Some(_) => conn.prepare_cached(
                "SELECT client_id, settings FROM cognito_clients
                  WHERE pool_id = ?1 AND client_id > ?2
                  ORDER BY client_id LIMIT ?3",
            )?,
        };
        let rows = stmt.query_map(params![pool_id, after, sql_limit(limit)], |r| {
            Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (id, json) = row?;
            out.push(settings::decode_client(&id, pool_id.to_owned(), &json)?);
        }
        Ok(out)
    }

    fn pool_version_inner(&self, pool_id: &str) -> Result<CatalogVersion<u64>, StoreError> {
        let conn = self.pool.get()?;
        let found: Option<i64> = conn
            .prepare_cached("SELECT version FROM cognito_pools WHERE pool_id = ?1")?
            .query_row([pool_id], |r| r.get(0))
            .optional()?;
        Ok(found.map_or(CatalogVersion::Absent, |v| CatalogVersion::At(version(v))))
    }

    fn client_version_inner(
        &self,
        client_id: &str,
    ) -> Result<CatalogVersion<ClientVersion>, StoreError> {
        let conn = self.pool.get()?;
        // One statement: the client's version and its pool's from one snapshot.
        let found: Option<(i64, i64)> = conn
            .prepare_cached(
                "SELECT c.version, p.version FROM cognito_clients AS c
                   JOIN cognito_pools AS p ON p.pool_id = c.pool_id
                  WHERE c.client_id = ?1",
            )?
            .query_row([client_id], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()?;
        Ok(found.map_or(CatalogVersion::Absent, |(c, p)| {
            CatalogVersion::At(ClientVersion {
                client: version(c),
                pool: version(p),
            })
        }))
    }
}

impl PoolCatalog for SqliteStore {
    fn insert_pool(&self, pool: &UserPool) -> Result<CatalogOutcome, HostError> {
        Ok(self.insert_pool_inner(pool)?)
    }

    fn replace_pool(&self, pool: &UserPool) -> Result<CatalogOutcome, HostError> {
        Ok(self.replace_pool_inner(pool)?)
    }

    fn delete_pool(&self, pool_id: &str) -> Result<CatalogOutcome, HostError> {
        Ok(self.delete_pool_inner(pool_id)?)
    }

    fn pool(&self, pool_id: &str) -> Result<Option<UserPool>, HostError> {
        Ok(self.pool_inner(pool_id)?)
    }

    fn list_pools(&self, after: Option<&str>, limit: usize) -> Result<Vec<UserPool>, HostError> {
        Ok(self.list_pools_inner(after, limit)?)
    }

    fn insert_client(&self, client: &AppClient) -> Result<CatalogOutcome, HostError> {
        Ok(self.insert_client_inner(client)?)
    }

    fn replace_client(&self, client: &AppClient) -> Result<CatalogOutcome, HostError> {
        Ok(self.replace_client_inner(client)?)
    }

    fn delete_client(&self, pool_id: &str, client_id: &str) -> Result<CatalogOutcome, HostError> {
        Ok(self.delete_client_inner(pool_id, client_id)?)
    }

    fn client(&self, client_id: &str) -> Result<Option<AppClient>, HostError> {
        Ok(self.client_inner(client_id)?)
    }

    fn list_clients(
        &self,
        pool_id: &str,
        after: Option<&str>,
        limit: usize,
    ) -> Result<Vec<AppClient>, HostError> {
        Ok(self.list_clients_inner(pool_id, after, limit)?)
    }

    fn pool_version(&self, pool_id: &str) -> Result<CatalogVersion<u64>, HostError> {
        Ok(self.pool_version_inner(pool_id)?)
    }

    fn client_version(&self, client_id: &str) -> Result<CatalogVersion<ClientVersion>, HostError> {
        Ok(self.client_version_inner(client_id)?)
    }
}
