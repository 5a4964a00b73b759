//! Pool and client settings as the JSON text a database store keeps in a row, and back: the
//! one encoding every [`PoolCatalog`](crate::host::PoolCatalog) over a database uses, so that
//! stores agree on it and on what a damaged row reports.
//!
//! A client's settings hold its secret, and serde_json's messages may quote the input: a decode
//! error keeps only where the text failed, never the text ([secrets-hidden]).

use crate::config::{AppClient, UserPool};
use serde::Serialize;
use serde::de::DeserializeOwned;

/// What a row holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SettingsKind {
    /// A pool's settings ([`UserPool`]).
    Pool,
    /// A client's settings ([`AppClient`]).
    Client,
}

impl std::fmt::Display for SettingsKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            SettingsKind::Pool => "user pool",
            SettingsKind::Client => "app client",
        })
    }
}

/// Settings that could not be encoded, or a row whose text is not what [`encode_pool`] or
/// [`encode_client`] writes.
#[derive(Debug, thiserror::Error)]
pub enum SettingsError {
    /// The settings could not be encoded as JSON.
    #[error("pool or client settings could not be encoded as JSON")]
    Encode,
    /// The row with this id does not hold settings this crate wrote.
    #[error("the stored settings of {kind} {id} are damaged: {what}")]
    Damaged {
        /// A pool's row or a client's.
        kind: SettingsKind,
        /// The row's id (pool id or client id).
        id: String,
        /// What is wrong: a position in the text, never the text.
        what: String,
    },
}

fn encode(settings: &impl Serialize) -> Result<String, SettingsError> {
    serde_json::to_string(settings).map_err(|_| SettingsError::Encode)
}

fn damaged(kind: SettingsKind, id: &str, what: String) -> SettingsError {
    SettingsError::Damaged {
        kind,
        id: id.to_owned(),
        what,
    }
}

fn decode<T: DeserializeOwned>(
    kind: SettingsKind,
    id: &str,
    json: &str,
) -> Result<T, SettingsError> {
    serde_json::from_str(json).map_err(|e| {
        damaged(
            kind,
            id,
            format!(
                "settings JSON does not parse ({:?} error at line {}, column {})",
                e.classify(),
                e.line(),
                e.column()
            ),
        )
    })
}

/// A pool's settings as the text of its row.
///
/// # Errors
/// [`SettingsError::Encode`] when serde cannot encode them.
pub fn encode_pool(pool: &UserPool) -> Result<String, SettingsError> {
    encode(pool)
}

/// A client's settings (its secret included) as the text of its row.
///
/// # Errors
/// [`SettingsError::Encode`] when serde cannot encode them.
pub fn encode_client(client: &AppClient) -> Result<String, SettingsError> {
    encode(client)
}

/// The pool kept in the row with id `id`. Members this version does not know are ignored.
///
/// # Errors
/// [`SettingsError::Damaged`] when the text does not parse or names another pool.
pub fn decode_pool(id: &str, json: &str) -> Result<UserPool, SettingsError> {
    let pool: UserPool = decode(SettingsKind::Pool, id, json)?;
    if pool.id != id {
        return Err(damaged(
            SettingsKind::Pool,
            id,
            "the settings' pool id differs from the row's".into(),
        ));
    }
    Ok(pool)
}

/// The client kept in the row with id `id`, a client of `pool_id` (the row says which pool
/// the client belongs to).
///
/// # Errors
/// [`SettingsError::Damaged`] when the text does not parse or names another client.
pub fn decode_client(id: &str, pool_id: String, json: &str) -> Result<AppClient, SettingsError> {
    let mut client: AppClient = decode(SettingsKind::Client, id, json)?;
    if client.client_id != id {
        return Err(damaged(
            SettingsKind::Client,
            id,
            "the settings' client id differs from the row's".into(),
        ));
    }
    client.user_pool_id = Some(pool_id);
    Ok(client)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::panic)]
    use super::*;

    #[test]
    fn settings_round_trip_and_a_damaged_row_never_shows_its_text() {
        let pool = UserPool::new("us-east-1_Settings");
        assert_eq!(
            decode_pool(&pool.id, &encode_pool(&pool).unwrap()).unwrap(),
            pool
        );
        let client = AppClient::new("settingsclient").with_secret("topsecretvalue42");
        let text = encode_client(&client).unwrap();
        let back = decode_client("settingsclient", "us-east-1_Settings".into(), &text).unwrap();
        assert_eq!(back.client_secret.as_deref(), Some("topsecretvalue42"));
        assert_eq!(back.user_pool_id.as_deref(), Some("us-east-1_Settings"));

        let cut = text.replace("topsecretvalue42\"", "topsecretvalue42");
        let e = decode_client("settingsclient", "p".into(), &cut).unwrap_err();
        for shown in [e.to_string(), format!("{e:?}")] {
            assert!(!shown.contains("topsecretvalue42"), "{shown}");
        }
        assert!(
            e.to_string().starts_with("the stored settings of app client settingsclient are damaged: settings JSON does not parse"),
            "{e}"
        );
        let e = decode_client("otherclient", "p".into(), &text).unwrap_err();
        assert!(e.to_string().contains("differs from the row's"), "{e}");
        let e = decode_pool("us-east-1_Other", &encode_pool(&pool).unwrap()).unwrap_err();
        assert!(
            matches!(
                e,
                SettingsError::Damaged {
                    kind: SettingsKind::Pool,
                    ..
                }
            ),
            "{e}"
        );
    }
}
