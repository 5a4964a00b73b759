//! [`PoolCatalog`] in the same database as the users: the tables `cognito_pools` and
//! `cognito_clients` (see the [crate docs](crate#schema)).

use crate::{Connection, GATE_KEY, POOL_GATE, PostgresStore, StoreError};
use cognito_signup::store::settings;
use cognito_signup::store::{CatalogOutcome, CatalogVersion, ClientVersion, PoolCatalog};
use cognito_signup::{AppClient, HostError, UserPool};
use postgres::IsolationLevel;
use postgres::error::SqlState;

/// A limit PostgreSQL can take; more rows than it can count are all of them.
fn sql_limit(limit: usize) -> i64 {
    i64::try_from(limit).unwrap_or(i64::MAX)
}

/// A stored version as the trait's: the cast keeps every bit, so distinct versions stay
/// distinct (they are only compared for equality).
#[allow(clippy::cast_sign_loss)]
fn version(v: i64) -> u64 {
    v as u64
}

fn outcome(changed: u64, otherwise: CatalogOutcome) -> CatalogOutcome {
    if changed == 1 {
        CatalogOutcome::Done
    } else {
        otherwise
    }
}

impl PostgresStore {
    fn insert_pool_inner(&self, pool: &UserPool) -> Result<CatalogOutcome, StoreError> {
        let json = settings::encode_pool(pool)?;
        let mut conn = self.pool.get()?;
        let mut tx = conn.client.transaction()?;
        let inserted = tx.execute(
            "INSERT INTO cognito_pools (pool_id, settings, version)
             VALUES ($1, $2, nextval('cognito_catalog_versions'))
             ON CONFLICT DO NOTHING",
            &[&pool.id, &json],
        )?;
        if inserted != 1 {
            return Ok(CatalogOutcome::Conflict);
        }
        // A pool made again under a deleted pool's id takes users again.
        tx.execute(
            "DELETE FROM cognito_deleted_pools WHERE pool_id = $1",
            &[&pool.id],
        )?;
        tx.commit()?;
        Ok(CatalogOutcome::Done)
    }

    fn replace_pool_inner(&self, pool: &UserPool) -> Result<CatalogOutcome, StoreError> {
        let json = settings::encode_pool(pool)?;
        let mut conn = self.pool.get()?;
        let changed = conn.client.execute(
            "UPDATE cognito_pools SET settings = $2, version = nextval('cognito_catalog_versions')
              WHERE pool_id = $1",
            &[&pool.id, &json],
        )?;
        Ok(outcome(changed, CatalogOutcome::NotFound))
    }

    fn delete_pool_inner(&self, pool_id: &str) -> Result<CatalogOutcome, StoreError> {
        let mut conn = self.pool.get()?;
        let mut tx = conn
            .client
            .build_transaction()
            .isolation_level(IsolationLevel::ReadCommitted)
            .start()?;
        // The exclusive side of the pool's gate: waits for the commits creating rows in the
        // pool to end, and keeps new ones waiting until the tombstone is there for them to see.
        // Each statement after it reads a snapshot taken once it is held.
        tx.execute(
            &format!("SELECT pg_advisory_xact_lock({POOL_GATE}, {GATE_KEY})"),
            &[&pool_id],
        )?;
        // Deleting the pool's row cascades to its clients; a client being added waits for it
        // (or holds it off) through the foreign key.
        let deleted = tx.execute("DELETE FROM cognito_pools WHERE pool_id = $1", &[&pool_id])?;
        if deleted != 1 {
            return Ok(CatalogOutcome::NotFound);
        }
        for sql in [
            "DELETE FROM cognito_users WHERE pool_id = $1",
            "DELETE FROM cognito_index WHERE pool_id = $1",
            "INSERT INTO cognito_deleted_pools (pool_id) VALUES ($1) ON CONFLICT DO NOTHING",
        ] {
            tx.execute(sql, &[&pool_id])?;
        }
        tx.commit()?;
        Ok(CatalogOutcome::Done)
    }

    fn pool_inner(&self, pool_id: &str) -> Result<Option<UserPool>, StoreError> {
        let mut conn = self.pool.get()?;
        let Connection { client, stmts } = &mut *conn;
        let row = client.query_opt(&stmts.pool_settings, &[&pool_id])?;
        match row {
            Some(row) => Ok(Some(settings::decode_pool(
                pool_id,
                &row.try_get::<_, String>(0)?,
            )?)),
            None => Ok(None),
        }
    }

    fn list_pools_inner(
        &self,
        after: Option<&str>,
        limit: usize,
    ) -> Result<Vec<UserPool>, StoreError> {
        let mut conn = self.pool.get()?;
        let limit = sql_limit(limit);
        let rows = match after {
            None => conn.client.query(
                "SELECT pool_id, settings FROM cognito_pools ORDER BY pool_id LIMIT $1",
                &[&limit],
            )?,
            Some(after) => conn.client.query(
                "SELECT pool_id, settings FROM cognito_pools WHERE pool_id > $2
                  ORDER BY pool_id LIMIT $1",
                &[&limit, &after],
            )?,
        };
        let mut out = Vec::with_capacity(rows.len());
        for row in rows {
            let id: String = row.try_get(0)?;
            out.push(settings::decode_pool(&id, &row.try_get::<_, String>(1)?)?);
        }
        Ok(out)
    }

    fn insert_client_inner(&self, client: &AppClient) -> Result<CatalogOutcome, StoreError> {
        let Some(pool_id) = client.user_pool_id.as_deref() else {
            return Ok(CatalogOutcome::NotFound);
        };
        let json = settings::encode_client(client)?;
        let mut conn = self.pool.get()?;
        let mut tx = conn.client.transaction()?;
        // Locks the pool's row against its deletion until the client is in.
        let pool = tx.query_opt(
            "SELECT 1 FROM cognito_pools WHERE pool_id = $1 FOR KEY SHARE",
            &[&pool_id],
        )?;
        if pool.is_none() {
            return Ok(CatalogOutcome::NotFound);
        }
        let inserted = tx.execute(
            "INSERT INTO cognito_clients (client_id, pool_id, settings, version)
             VALUES ($1, $2, $3, nextval('cognito_catalog_versions'))
             ON CONFLICT DO NOTHING",
            &[&client.client_id, &pool_id, &json],
        );
        match inserted {
            Ok(1) => {}
            Ok(_) => return Ok(CatalogOutcome::Conflict),
            // Cannot happen while the row is locked; the foreign key says it anyway.
            Err(e) if e.code() == Some(&SqlState::FOREIGN_KEY_VIOLATION) => {
                return Ok(CatalogOutcome::NotFound);
            }
            Err(e) => return Err(e.into()),
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
        let changed = conn.client.execute(
            "UPDATE cognito_clients SET settings = $3, version = nextval('cognito_catalog_versions')
              WHERE client_id = $1 AND pool_id = $2",
            &[&client.client_id, &pool_id, &json],
        )?;
        Ok(outcome(changed, CatalogOutcome::NotFound))
    }

    fn delete_client_inner(
        &self,
        pool_id: &str,
        client_id: &str,
    ) -> Result<CatalogOutcome, StoreError> {
        let mut conn = self.pool.get()?;
        let changed = conn.client.execute(
            "DELETE FROM cognito_clients WHERE client_id = $1 AND pool_id = $2",
            &[&client_id, &pool_id],
        )?;
        Ok(outcome(changed, CatalogOutcome::NotFound))
    }

    fn client_inner(&self, client_id: &str) -> Result<Option<AppClient>, StoreError> {
        let mut conn = self.pool.get()?;
        let Connection { client, stmts } = &mut *conn;
        let row = client.query_opt(&stmts.client_settings, &[&client_id])?;
        match row {
            Some(row) => Ok(Some(settings::decode_client(
                client_id,
                row.try_get(0)?,
                &row.try_get::<_, String>(1)?,
            )?)),
            None => Ok(None),
        }
    }

    fn list_clients_inner(
        &self,
        pool_id: &str,
        after: Option<&str>,
        limit: usize,
    ) -> Result<Vec<AppClient>, StoreError> {
        let mut conn = self.pool.get()?;
        let limit = sql_limit(limit);
        let rows = match after {
            None => conn.client.query(
                "SELECT client_id, settings FROM cognito_clients WHERE pool_id = $1
                  ORDER BY client_id LIMIT $2",
                &[&pool_id, &limit],
            )?,
            Some(after) => conn.client.query(
                "SELECT client_id, settings FROM cognito_clients
                  WHERE pool_id = $1 AND client_id > $3
                  ORDER BY client_id LIMIT $2",
                &[&pool_id, &limit, &after],
            )?,
        };
        let mut out = Vec::with_capacity(rows.len());
        for row in rows {
            let id: String = row.try_get(0)?;
            out.push(settings::decode_client(
                &id,
                pool_id.to_owned(),
                &row.try_get::<_, String>(1)?,
            )?);
        }
        Ok(out)
    }

    fn pool_version_inner(&self, pool_id: &str) -> Result<CatalogVersion<u64>, StoreError> {
        let mut conn = self.pool.get()?;
        let Connection { client, stmts } = &mut *conn;
        Ok(match client.query_opt(&stmts.pool_version, &[&pool_id])? {
            Some(row) => CatalogVersion::At(version(row.try_get(0)?)),
            None => CatalogVersion::Absent,
        })
    }

    fn client_version_inner(
        &self,
        client_id: &str,
    ) -> Result<CatalogVersion<ClientVersion>, StoreError> {
        let mut conn = self.pool.get()?;
        let Connection { client, stmts } = &mut *conn;
        Ok(
            match client.query_opt(&stmts.client_version, &[&client_id])? {
                Some(row) => CatalogVersion::At(ClientVersion {
                    client: version(row.try_get(0)?),
                    pool: version(row.try_get(1)?),
                }),
                None => CatalogVersion::Absent,
            },
        )
    }
}

impl PoolCatalog for PostgresStore {
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
