//! Everything a store implementation needs, in one place: the [`UserStore`] trait, the types of
//! its requests and answers, the decoy's `sub`, and [`plan`] for stores over databases with
//! conditional writes. (Re-exports: each item lives in [`host`](crate::host),
//! [`protocol`](crate::protocol) or [`decoy`](crate::decoy).)
//!
//! A store holds, per pool, user records keyed by `sub`, each with a version, and an index from
//! [`IndexKey`]s (username, `sub`, active aliases) to the `sub` of their holder. The core reads
//! with [`UserStore::find`] and writes everything one operation changes with one
//! [`UserStore::commit`]: a multi-record compare-and-swap that applies all of it or none of it.
//! The core computes every index key (case folding included), so a store never interprets them.

pub mod plan;
pub mod settings;

pub use crate::decoy::DECOY_SUB;
pub use crate::host::{PoolCatalog, UserStore};
pub use crate::protocol::{
    CatalogOutcome, CatalogVersion, ClientVersion, Commit, CommitOutcome, IndexKey, IndexWrite,
    RecordRemoval, RecordWrite, Versioned,
};
pub use crate::reference::{MemoryStore, PoisonedStore};
