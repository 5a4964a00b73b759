//! Faults: the store fails (`Err` before or after applying) or reports a spurious `Conflict` at
//! a proptest-chosen call. Every operation commits everything or nothing, and after an `Err`
//! that applied nothing, a retry reaches the result a fault-free run reaches. After a
//! `Conflict` the operation resolves its client (or pool) again before anything else, and makes
//! none of the gate's other checks again ([conflict-resolve-again]).

use crate::interleave::{Outcome, Stepper, stepper};
use crate::model::{Client, Config, PoolKind};
use crate::scaled;
use crate::sut::{self, PASSWORD, Sut};
use cognito_signup::ops::{
    AdminConfirmSignUp, AdminDisableUser, ConfirmSignUp, ResendConfirmationCode, SignUp,
};
use cognito_signup::store::{IndexKey, UserStore, Versioned};
use cognito_signup::{
    AdminConfirmSignUpRequest, AdminUserRequest, Clock, ConfirmSignUpRequest,
    ResendConfirmationCodeRequest, Seed, SeededRandomness, SignUpRequest, UserRecord,
};
use cognito_signup_testkit::conformance::{Fault, FaultKind, FaultyStore};
use cognito_signup_testkit::invariants;
use proptest::prelude::*;
use std::collections::BTreeMap;
use std::sync::Arc;

/// The operation run under a fault.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Op {
    /// A new user whose PreSignUp-free sign-up claims a fresh username.
    SignUp,
    /// Bob confirms with his code, moving the alias Alice holds (ForceAliasCreation).
    ConfirmMovingAlias,
    /// Bob confirms with a wrong code (a counted failure).
    ConfirmWrong,
    /// Bob asks for a new code.
    Resend,
    /// The admin confirms Bob.
    AdminConfirm,
    /// The admin disables Bob.
    Disable,
}

struct World {
    sut: Sut,
    bob_code: String,
}

/// Alice (confirmed, holds the alias ann@example.com) and Bob (unconfirmed, same email).
fn world() -> World {
    let c = Config {
        kind: PoolKind::EmailAlias,
        case_insensitive: true,
        hardened: false,
        pre_sign_up: false,
        post_confirmation: true,
        secret: false,
        custom_message: false,
        phone: false,
    };
    let mut sut = Sut::new(&c, 11);
    let id = Client::Legacy.id();
    sut.driver
        .sign_up(SignUpRequest::new(id, "alice", PASSWORD).attribute("email", "ann@example.com"))
        .unwrap();
    sut.collect_codes();
    let alice_code = sut.codes[0].clone();
    sut.driver
        .confirm_sign_up(ConfirmSignUpRequest::new(id, "alice", alice_code))
        .unwrap();
    sut.driver
        .sign_up(SignUpRequest::new(id, "bob", PASSWORD).attribute("email", "ann@example.com"))
        .unwrap();
    sut.collect_codes();
    let bob_code = sut.codes[1].clone();
    World { sut, bob_code }
}

/// The first seed of a generator with this base: the clean run, the faulty run and the retry
/// of one operation draw the same seed, so that their results can be compared.
fn replayed_seed(base: u8) -> Seed {
    Seed::generate(&SeededRandomness::new([base; 32])).unwrap()
}

fn make(w: &World, op: Op) -> Box<dyn Stepper> {
    let now = w.sut.clock.now();
    let id = Client::Legacy.id();
    match op {
        Op::SignUp => stepper(SignUp::new(
            SignUpRequest::new(id, "carol", PASSWORD).attribute("email", "cy@example.org"),
            now,
            replayed_seed(5),
        )),
        Op::ConfirmMovingAlias => {
            let mut req = ConfirmSignUpRequest::new(id, "bob", w.bob_code.as_str());
            req.force_alias_creation = Some(true);
            stepper(ConfirmSignUp::new(req, now))
        }
        Op::ConfirmWrong => {
            let wrong = if w.bob_code == "111111" {
                "222222"
            } else {
                "111111"
            };
            stepper(ConfirmSignUp::new(
                ConfirmSignUpRequest::new(id, "bob", wrong),
                now,
            ))
        }
        Op::Resend => stepper(ResendConfirmationCode::new(
            ResendConfirmationCodeRequest::new(id, "bob"),
            now,
            replayed_seed(6),
        )),
        Op::AdminConfirm => stepper(AdminConfirmSignUp::new(
            AdminConfirmSignUpRequest::new(sut::POOL, "bob"),
            now,
        )),
        Op::Disable => stepper(AdminDisableUser::new(
            AdminUserRequest::new(sut::POOL, "bob"),
            now,
        )),
    }
}

/// Runs one operation, store needs answered by `store`, the others by the world's driver.
fn run(w: &World, op: Op, store: &dyn UserStore) -> Outcome {
    traced(w, op, store, || false).0
}

/// What a run under a fault raised.
#[derive(Debug, Default, PartialEq, Eq)]
struct Trace {
    /// The kinds of needs, in order.
    kinds: Vec<&'static str>,
    /// What came right after the commit the fault hit: the next need's kind, or "done".
    after_fault: Option<&'static str>,
}

impl Trace {
    fn count(&self, kind: &str) -> usize {
        self.kinds.iter().filter(|k| **k == kind).count()
    }
}

/// [`run`], tracing the needs; `fired` tells whether the store's fault has fired.
fn traced(w: &World, op: Op, store: &dyn UserStore, fired: impl Fn() -> bool) -> (Outcome, Trace) {
    let mut op = make(w, op);
    let mut trace = Trace::default();
    loop {
        let before = fired();
        let answered = trace.kinds.last().copied();
        let step = op.step(&w.sut, Some(store));
        if !before && fired() && answered == Some("commit") {
            trace.after_fault = Some(*step.as_ref().unwrap_or(&"done"));
        }
        match step {
            Ok(kind) => trace.kinds.push(kind),
            Err(outcome) => return (outcome, trace),
        }
    }
}

/// The lookup an operation starts with and repeats after a conflict.
fn lookup(op: Op) -> &'static str {
    match op {
        Op::AdminConfirm | Op::Disable => "pool",
        Op::SignUp | Op::ConfirmMovingAlias | Op::ConfirmWrong | Op::Resend => "client",
    }
}

type State = (
    BTreeMap<String, Versioned<UserRecord>>,
    BTreeMap<IndexKey, String>,
);

fn state(w: &World) -> State {
    (w.sut.records(), w.sut.index())
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        Just(Op::SignUp),
        Just(Op::ConfirmMovingAlias),
        Just(Op::ConfirmWrong),
        Just(Op::Resend),
        Just(Op::AdminConfirm),
        Just(Op::Disable),
    ]
}

fn kind() -> impl Strategy<Value = FaultKind> {
    prop_oneof![
        Just(FaultKind::ErrBefore),
        Just(FaultKind::ErrAfter),
        Just(FaultKind::SpuriousConflict),
    ]
}

fn check_store(w: &World) {
    let c = Config {
        kind: PoolKind::EmailAlias,
        case_insensitive: true,
        hardened: false,
        pre_sign_up: false,
        post_confirmation: true,
        secret: false,
        custom_message: false,
        phone: false,
    };
    let (records, index) = state(w);
    invariants::assert_holds(
        &sut::pool_of(&c),
        records.values(),
        &index,
        &w.sut.codes,
        &[PASSWORD],
    );
}

proptest! {
    #![proptest_config(ProptestConfig { cases: scaled(256), failure_persistence: None, ..ProptestConfig::default() })]

    /// All or nothing under every fault, and a retry after a fault that applied nothing reaches
    /// the fault-free result.
    #[test]
    fn store_faults_leave_all_or_nothing(op in op(), at_call in 0u64..4, kind in kind()) {
        // The fault-free run, in an identical world.
        let clean = world();
        let pre = state(&clean);
        let (clean_outcome, clean_trace) =
            traced(&clean, op, clean.sut.store.as_ref(), || false);
        let clean_post = state(&clean);
        prop_assert!(clean_outcome.is_ok() || op == Op::ConfirmWrong, "{:?}", clean_outcome);

        let w = world();
        prop_assert_eq!(&state(&w), &pre, "the worlds differ");
        let faulty = FaultyStore::new(Arc::clone(&w.sut.store), Some(Fault { at_call, kind }));
        let (outcome, trace) = traced(&w, op, &faulty, || faulty.fired());
        let post = state(&w);
        check_store(&w);
        if !faulty.fired() {
            prop_assert_eq!(&outcome, &clean_outcome);
            prop_assert_eq!(&post, &clean_post);
            return Ok(());
        }
        match kind {
            FaultKind::SpuriousConflict => {
                // A conflict is retried: the same result as without it.
                prop_assert_eq!(&outcome, &clean_outcome);
                prop_assert_eq!(&post, &clean_post);
                if trace.after_fault.is_some() {
                    // [conflict-resolve-again]: the conflict hit a commit; the client (or pool)
                    // is resolved again first, and the request is not admitted again.
                    prop_assert_eq!(trace.after_fault, Some(lookup(op)), "{:?}", trace);
                    prop_assert_eq!(trace.count(lookup(op)), clean_trace.count(lookup(op)) + 1);
                    for kind in ["guard", "throttle"] {
                        prop_assert_eq!(trace.count(kind), clean_trace.count(kind), "{}", kind);
                    }
                } else {
                    prop_assert_eq!(&trace, &clean_trace);
                }
            }
            FaultKind::ErrBefore | FaultKind::ErrAfter => {
                prop_assert_eq!(
                    outcome.as_ref().map_err(|e| e.0),
                    Err("InternalErrorException"),
                    "a store failure must answer InternalErrorException"
                );
                let applied = post == clean_post;
                let nothing = post == pre;
                prop_assert!(applied || nothing, "a store failure left a partial change");
                if nothing {
                    // The retry reaches the fault-free result.
                    let retry = run(&w, op, w.sut.store.as_ref());
                    prop_assert_eq!(&retry, &clean_outcome);
                    prop_assert_eq!(&state(&w), &clean_post);
                }
            }
        }
    }
}

/// The world is deterministic: two builds hold the same records, versions and index.
#[test]
fn worlds_are_identical() {
    assert_eq!(state(&world()), state(&world()));
}
