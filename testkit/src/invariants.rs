//! What must hold in a pool's stored state after any mix of committed operations, whatever the
//! operations were: the one statement of the store invariants, used by the property tests, the
//! fuzz bodies and the durable stores' flow tests.
//!
//! ```
//! use cognito_signup::{MemoryStore, UserPool};
//! use cognito_signup_testkit::invariants;
//!
//! let store = MemoryStore::new();
//! let pool = UserPool::new("us-east-1_Example");
//! let records = store.records(&pool.id).unwrap();
//! let index = store.index(&pool.id).unwrap();
//! invariants::check(&pool, &records, index.iter().map(|(k, s)| (k, s)), &[], &["a password"])
//!     .unwrap();
//! ```
//!
//! The invariants, for the records and index entries of one pool:
//!
//! * **index structure**: every user holds its username key (folded per the pool's case rule)
//!   and its `sub` key; no entry names a missing user; the pool's decoy record, if any, holds the
//!   decoy key and nothing else, and no other record holds that key;
//! * **aliases** (pools with alias attributes): a verified email is held by at most one user,
//!   and the alias index points to that user; every email alias entry points to a user whose
//!   email it is and who has it verified;
//! * **codes**: a confirmed user holds no live code;
//! * **limits**: counted failures and failed checks of one code never exceed the pool's policy;
//! * **secrets**: no issued code (as a run of digits) and no other secret appears in a record's
//!   serialized form or its `Debug`.

use cognito_signup::store::{IndexKey, Versioned};
use cognito_signup::{AliasAttribute, UserPool, UserRecord, UserStatus};
use std::collections::{BTreeMap, HashMap};

/// The prefix of an email alias key.
const EMAIL_ALIAS: &str = "a:email:";

/// The policy limits a stored state must respect.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Failed confirmations kept per window.
    pub failures_per_window: usize,
    /// Failed checks per code, if capped.
    pub per_code: Option<u32>,
}

impl Limits {
    /// The limits of a pool's policy.
    #[must_use]
    pub fn of(pool: &UserPool) -> Self {
        let p = &pool.sign_up_policy;
        Self {
            failures_per_window: usize::try_from(p.failed_confirmations_per_window)
                .unwrap_or(usize::MAX),
            per_code: p.failed_checks_per_code,
        }
    }
}

/// A value folded per the pool's case rule, as the index keys are.
fn fold(pool: &UserPool, s: &str) -> String {
    if pool.case_insensitive() {
        s.to_lowercase()
    } else {
        s.to_owned()
    }
}

/// The maximal runs of ASCII digits in a text.
fn digit_runs(text: &str) -> Vec<&str> {
    text.split(|c: char| !c.is_ascii_digit())
        .filter(|r| !r.is_empty())
        .collect()
}

/// Checks every invariant over a pool's records and index entries (the decoy's included or
/// not, as long as both leave it out or both hold it; a `Vec` of entries is passed as
/// `index.iter().map(|(k, s)| (k, s))`, a map as `&index`); `codes` are the codes issued so far,
/// `secrets` every other secret (password, client secret) that must never be stored. `Err`
/// names the first invariant broken.
///
/// # Errors
/// When an invariant does not hold.
pub fn check<'a>(
    pool: &UserPool,
    records: impl IntoIterator<Item = &'a Versioned<UserRecord>>,
    index: impl IntoIterator<Item = (&'a IndexKey, &'a String)>,
    codes: &[String],
    secrets: &[&str],
) -> Result<(), String> {
    let records: BTreeMap<&str, &UserRecord> = records
        .into_iter()
        .map(|r| (r.value.sub.as_str(), &r.value))
        .collect();
    let keys: BTreeMap<&str, &str> = index
        .into_iter()
        .map(|(k, sub)| (k.as_str(), sub.as_str()))
        .collect();
    structure(pool, &records, &keys)?;
    if !pool.alias_attributes.is_empty() {
        aliases(pool, &records, &keys)?;
    }
    let limits = Limits::of(pool);
    for (sub, u) in &records {
        per_record(sub, u, limits, codes, secrets)?;
    }
    Ok(())
}

/// [`check`], panicking with the broken invariant: for property tests and fuzz bodies.
///
/// # Panics
/// When an invariant does not hold.
#[allow(clippy::panic)] // A test kit reports failure by panicking in the caller's test.
pub fn assert_holds<'a>(
    pool: &UserPool,
    records: impl IntoIterator<Item = &'a Versioned<UserRecord>>,
    index: impl IntoIterator<Item = (&'a IndexKey, &'a String)>,
    codes: &[String],
    secrets: &[&str],
) {
    if let Err(why) = check(pool, records, index, codes, secrets) {
        panic!("store invariant broken: {why}");
    }
}

/// Each user holds its username and `sub` keys; every entry names a present user; the decoy
/// holds the decoy key alone, and only it.
fn structure(
    pool: &UserPool,
    records: &BTreeMap<&str, &UserRecord>,
    keys: &BTreeMap<&str, &str>,
) -> Result<(), String> {
    for (sub, r) in records {
        let held = |key: IndexKey| keys.get(key.as_str()) == Some(sub);
        if r.is_decoy() {
            let n = keys.values().filter(|s| *s == sub).count();
            if !held(IndexKey::decoy()) || n != 1 {
                return Err(format!("the decoy holds {n} keys, not just the decoy key"));
            }
            continue;
        }
        if !held(IndexKey::username(&fold(pool, &r.username))) {
            return Err(format!("{sub}: username key not held"));
        }
        if !held(IndexKey::sub(sub)) {
            return Err(format!("{sub}: sub key not held"));
        }
    }
    let decoy_key = IndexKey::decoy();
    for (key, sub) in keys {
        let Some(r) = records.get(sub) else {
            return Err(format!("an index entry names the missing user {sub}"));
        };
        if (*key == decoy_key.as_str()) != r.is_decoy() {
            return Err(format!(
                "the decoy key and the decoy record disagree ({sub})"
            ));
        }
    }
    Ok(())
}

/// A verified email has one holder, whom the alias index names; every email alias entry names
/// a user whose email it is, verified.
fn aliases(
    pool: &UserPool,
    records: &BTreeMap<&str, &UserRecord>,
    keys: &BTreeMap<&str, &str>,
) -> Result<(), String> {
    let mut holders: HashMap<String, Vec<&str>> = HashMap::new();
    for (sub, r) in records {
        if let (Some(e), true) = (&r.email, r.email_verified) {
            holders.entry(fold(pool, e)).or_default().push(sub);
        }
    }
    for (email, subs) in &holders {
        if subs.len() > 1 {
            return Err(format!(
                "a verified alias is held by {} users: {subs:?}",
                subs.len()
            ));
        }
        let key = IndexKey::alias(AliasAttribute::Email, email);
        if keys.get(key.as_str()).copied() != subs.first().copied() {
            return Err("the alias index does not point to the verified holder".to_owned());
        }
    }
    for (key, sub) in keys {
        let Some(email) = key.strip_prefix(EMAIL_ALIAS) else {
            continue;
        };
        let own = records.get(sub).and_then(|r| {
            r.email
                .as_deref()
                .map(|e| (fold(pool, e), r.email_verified))
        });
        match own {
            Some((e, true)) if e == email => {}
            _ => return Err(format!("{sub} holds an alias it has not verified")),
        }
    }
    Ok(())
}

/// No live code once confirmed, counters within the policy, no code or secret in the clear.
fn per_record(
    sub: &str,
    u: &UserRecord,
    limits: Limits,
    codes: &[String],
    secrets: &[&str],
) -> Result<(), String> {
    if u.status == UserStatus::Confirmed && u.code.is_some() {
        return Err(format!("{sub}: a confirmed user still holds a code"));
    }
    if u.failed_confirmations.len() > limits.failures_per_window {
        return Err(format!(
            "{sub}: {} failures kept, the policy allows {}",
            u.failed_confirmations.len(),
            limits.failures_per_window
        ));
    }
    if let (Some(cap), Some(c)) = (limits.per_code, &u.code) {
        if c.failed_checks > cap {
            return Err(format!(
                "{sub}: {} failed checks of one code, the policy allows {cap}",
                c.failed_checks
            ));
        }
    }
    let stored = serde_json::to_string(u).map_err(|e| format!("{sub}: not serializable: {e}"))?;
    let printed = format!("{u:?}");
    for text in [&stored, &printed] {
        let runs = digit_runs(text);
        if codes.iter().any(|code| runs.contains(&code.as_str())) {
            return Err(format!("{sub}: an issued code appears in a record"));
        }
        if secrets.iter().any(|s| text.contains(s)) {
            return Err(format!("{sub}: a secret appears in a record"));
        }
    }
    Ok(())
}
