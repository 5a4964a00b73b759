//! Invariants that hold on the store after any operation, whatever the model says ([code-storage],
//! [atomic-commit]).

use cognito_signup::store::{IndexKey, Versioned};
use cognito_signup::{AliasAttribute, UserPool, UserRecord, UserStatus};
use std::collections::{BTreeMap, HashMap};

/// The policy limits a store state must respect.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Limits {
    /// Failed confirmations per window.
    pub(crate) failures_per_window: usize,
    /// Failed checks per code, if capped.
    pub(crate) per_code: Option<u32>,
}

impl Limits {
    /// The limits of a pool's policy.
    pub(crate) fn of(pool: &UserPool) -> Self {
        let p = &pool.sign_up_policy;
        Self {
            failures_per_window: usize::try_from(p.failed_confirmations_per_window).unwrap(),
            per_code: p.failed_checks_per_code,
        }
    }
}

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

/// Checks every invariant; `codes` are every code issued so far, `secrets` every other secret
/// (password, client secret) that must never be stored.
pub(crate) fn check(
    pool: &UserPool,
    records: &BTreeMap<String, Versioned<UserRecord>>,
    index: &BTreeMap<IndexKey, String>,
    codes: &[String],
    secrets: &[&str],
) {
    let limits = Limits::of(pool);
    // A verified alias value has at most one holder, and the index points to it.
    if !pool.alias_attributes.is_empty() {
        let mut holders: HashMap<String, Vec<&str>> = HashMap::new();
        for r in records.values() {
            if let (Some(e), true) = (&r.value.email, r.value.email_verified) {
                holders.entry(fold(pool, e)).or_default().push(&r.value.sub);
            }
        }
        for (email, subs) in &holders {
            assert!(
                subs.len() <= 1,
                "verified alias held by {} users: {subs:?}",
                subs.len()
            );
            let key = IndexKey::alias(AliasAttribute::Email, email);
            assert_eq!(
                index.get(&key).map(String::as_str),
                Some(subs[0]),
                "the alias index does not point to the verified holder"
            );
        }
        for (key, sub) in index {
            if key.as_str().starts_with("a:email:") {
                let r = &records[sub].value;
                assert!(
                    r.email_verified,
                    "an alias key points to an unverified holder"
                );
            }
        }
    }
    for r in records.values() {
        let u = &r.value;
        // A code confirms at most once: a confirmed user holds no live code.
        if u.status == UserStatus::Confirmed {
            assert!(u.code.is_none(), "a confirmed user still holds a code");
        }
        // Counted failures never exceed the policy.
        assert!(
            u.failed_confirmations.len() <= limits.failures_per_window,
            "{} failures kept, the policy allows {}",
            u.failed_confirmations.len(),
            limits.failures_per_window
        );
        if let (Some(cap), Some(c)) = (limits.per_code, &u.code) {
            assert!(
                c.failed_checks <= cap,
                "{} failed checks of one code, the policy allows {cap}",
                c.failed_checks
            );
        }
        // No code or secret stored in the clear, nor printed by Debug.
        let stored = serde_json::to_string(u).unwrap();
        let printed = format!("{u:?}");
        for text in [&stored, &printed] {
            let runs = digit_runs(text);
            for code in codes {
                assert!(
                    !runs.contains(&code.as_str()),
                    "an issued code appears in a record"
                );
            }
            for s in secrets {
                assert!(!text.contains(s), "a secret appears in a record");
            }
        }
    }
}
