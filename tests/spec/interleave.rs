//! Interleavings: several operations of the sans-IO core stepped against one shared store in an
//! order proptest chooses. The invariants of [atomic-commit] must hold for every order.

use crate::model::{Client, Config, PoolKind};
use crate::scaled;
use crate::sut::{self, PASSWORD, Sut};
use cognito_signup::UserStore;
use cognito_signup::ops::{
    AdminConfirmSignUp, AdminDisableUser, ConfirmSignUp, Need, Operation, ResendConfirmationCode,
    SignUp, Step,
};
use cognito_signup::{
    AdminConfirmSignUpRequest, AdminUserRequest, Clock, ConfirmSignUpRequest,
    ResendConfirmationCodeRequest, SignUpRequest, UserStatus,
};
use cognito_signup_testkit::invariants;
use proptest::prelude::*;

/// An outcome: `Ok`, or the exception's name and message.
pub(crate) type Outcome = Result<(), (&'static str, String)>;

/// One operation, stepped one need at a time.
pub(crate) trait Stepper {
    /// Starts the operation (the first call) or answers its pending need: store needs from
    /// `store` when given, every other need from `sut`'s driver. The kind of its next need, or
    /// its outcome.
    fn step(&mut self, sut: &Sut, store: Option<&dyn UserStore>) -> Result<&'static str, Outcome>;
}

/// An operation not yet started, waiting for an answer, or over.
enum Stepped<O: Operation> {
    Ready(O),
    Waiting(Need<O>),
    Over,
}

/// An operation as a [`Stepper`].
pub(crate) fn stepper<O: Operation>(op: O) -> Box<dyn Stepper> {
    Box::new(Stepped::Ready(op))
}

impl<O: Operation> Stepper for Stepped<O> {
    fn step(&mut self, sut: &Sut, store: Option<&dyn UserStore>) -> Result<&'static str, Outcome> {
        let step = match (std::mem::replace(self, Stepped::Over), store) {
            (Stepped::Ready(op), _) => op.start(),
            (Stepped::Waiting(Need::Find(n)), Some(store)) => {
                let found = store.find(n.pool_id(), n.keys());
                n.answer_result(found)
            }
            (Stepped::Waiting(Need::Commit(n)), Some(store)) => {
                let outcome = store.commit(n.pool_id(), n.commit());
                n.answer_result(outcome)
            }
            (Stepped::Waiting(need), _) => sut.driver.answer(need),
            (Stepped::Over, _) => panic!("stepped after its end"),
        };
        match step {
            Step::Need(n) => {
                let kind = n.kind();
                *self = Stepped::Waiting(n);
                Ok(kind)
            }
            Step::Done(Ok(_)) => Err(Ok(())),
            Step::Done(Err(e)) => Err(Err((e.name(), e.message().to_owned()))),
        }
    }
}

/// Runs `ops` to their ends, answering needs from `sut`'s driver, choosing which operation moves
/// next from `schedule` (cycled); returns each operation's outcome.
pub(crate) fn interleave(
    sut: &Sut,
    mut ops: Vec<Box<dyn Stepper>>,
    schedule: &[u8],
) -> Vec<Outcome> {
    let n = ops.len();
    let mut waiting: Vec<bool> = Vec::with_capacity(n);
    let mut outcomes: Vec<Option<Outcome>> = vec![None; n];
    for (i, op) in ops.iter_mut().enumerate() {
        match op.step(sut, None) {
            Ok(_) => waiting.push(true),
            Err(o) => {
                waiting.push(false);
                outcomes[i] = Some(o);
            }
        }
    }
    let mut k = 0usize;
    loop {
        let live: Vec<usize> = (0..n).filter(|i| waiting[*i]).collect();
        if live.is_empty() {
            break;
        }
        let pick = schedule
            .get(k % schedule.len().max(1))
            .copied()
            .unwrap_or(0);
        k += 1;
        let i = live[usize::from(pick) % live.len()];
        if let Err(o) = ops[i].step(sut, None) {
            waiting[i] = false;
            outcomes[i] = Some(o);
        }
        assert!(k < 10_000, "operations do not finish");
    }
    outcomes.into_iter().map(Option::unwrap).collect()
}

fn config(kind: PoolKind, hardened: bool) -> Config {
    Config {
        kind,
        case_insensitive: true,
        hardened,
        pre_sign_up: false,
        post_confirmation: true,
        secret: false,
        custom_message: false,
        phone: false,
    }
}

/// Signs up `name` with `email`; returns its sub and code.
fn sign_up(sut: &mut Sut, name: &str, email: &str) -> (String, String) {
    let r = sut
        .driver
        .sign_up(SignUpRequest::new(Client::Legacy.id(), name, PASSWORD).attribute("email", email))
        .unwrap();
    sut.collect_codes();
    (r.user_sub, sut.codes.last().unwrap().clone())
}

fn confirm(sut: &Sut, username: &str, code: &str, force: Option<bool>) -> Box<dyn Stepper> {
    let mut req = ConfirmSignUpRequest::new(Client::Legacy.id(), username, code);
    req.force_alias_creation = force;
    stepper(ConfirmSignUp::new(req, sut.clock.now()))
}

fn resend(sut: &Sut, username: &str) -> Box<dyn Stepper> {
    let req = ResendConfirmationCodeRequest::new(Client::Legacy.id(), username);
    stepper(ResendConfirmationCode::new(
        req,
        sut.clock.now(),
        sut.driver.seed().unwrap(),
    ))
}

fn check_store(sut: &mut Sut, c: &Config) {
    let pool = sut::pool_of(c);
    invariants::assert_holds(
        &pool,
        sut.records().values(),
        &sut.index(),
        &sut.codes,
        &[PASSWORD],
    );
    for (sub, fired) in sut.post_confirmations() {
        assert!(
            *fired <= 1,
            "PostConfirmation fired {fired} times for {sub}"
        );
    }
}

fn name_of(o: &Outcome) -> &'static str {
    match o {
        Ok(()) => "Ok",
        Err((n, _)) => n,
    }
}

fn schedule() -> impl Strategy<Value = Vec<u8>> {
    prop::collection::vec(any::<u8>(), 1..64)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: scaled(256), failure_persistence: None, ..ProptestConfig::default() })]

    /// Parallel confirmations of one user with the right code: one succeeds, PostConfirmation
    /// fires once, the others see a confirmed user.
    #[test]
    fn parallel_confirms_confirm_once(n in 2usize..6, by_sub in any::<u8>(), hardened in any::<bool>(), schedule in schedule()) {
        let c = config(PoolKind::Plain, hardened);
        let mut sut = Sut::new(&c, 1);
        let (sub, code) = sign_up(&mut sut, "alice", "ann@example.com");
        let ops = (0..n)
            .map(|i| {
                let name = if (by_sub >> i) & 1 == 1 { sub.as_str() } else { "alice" };
                confirm(&sut, name, &code, None)
            })
            .collect();
        let outcomes = interleave(&sut, ops, &schedule);
        let oks = outcomes.iter().filter(|o| o.is_ok()).count();
        prop_assert_eq!(oks, 1, "{:?}", outcomes);
        for o in &outcomes {
            if let Err((name, message)) = o {
                prop_assert_eq!(*name, "NotAuthorizedException");
                prop_assert_eq!(message.as_str(), "User cannot be confirmed. Current status is CONFIRMED");
            }
        }
        prop_assert_eq!(sut.post_confirmations().get(&sub).copied(), Some(1));
        let r = &sut.records()[&sub].value;
        prop_assert_eq!(r.status, UserStatus::Confirmed);
        check_store(&mut sut, &c);
    }

    /// A confirmation racing a resend: exactly one of them wins, and the store agrees with the
    /// winner.
    #[test]
    fn confirm_racing_resend(schedule in schedule()) {
        let c = config(PoolKind::Plain, false);
        let mut sut = Sut::new(&c, 2);
        let (sub, code) = sign_up(&mut sut, "alice", "ann@example.com");
        let ops = vec![confirm(&sut, "alice", &code, None), resend(&sut, "alice")];
        let outcomes = interleave(&sut, ops, &schedule);
        sut.collect_codes();
        let r = sut.records()[&sub].value.clone();
        match (name_of(&outcomes[0]), name_of(&outcomes[1])) {
            ("Ok", "InvalidParameterException") => {
                prop_assert_eq!(r.status, UserStatus::Confirmed);
                prop_assert!(r.code.is_none());
                prop_assert!(r.resends.is_empty());
                prop_assert_eq!(sut.codes.len(), 1, "a resend to a confirmed user sent a code");
            }
            ("CodeMismatchException", "Ok") => {
                prop_assert_eq!(r.status, UserStatus::Unconfirmed);
                prop_assert_eq!(r.failed_confirmations.len(), 1);
                prop_assert_eq!(r.resends.len(), 1);
                prop_assert_eq!(r.code.as_ref().map(|c| c.failed_checks), Some(1));
                prop_assert_eq!(sut.codes.len(), 2);
            }
            other => prop_assert!(false, "unexpected outcomes {:?}: {:?}", other, outcomes),
        }
        check_store(&mut sut, &c);
    }

    /// Two users confirming one email alias at once: at most one verified holder; a user who
    /// lost without ForceAliasCreation stays unconfirmed with a live code and no counted failure.
    #[test]
    fn two_users_race_for_one_alias(force_a in proptest::option::of(any::<bool>()), force_b in proptest::option::of(any::<bool>()), schedule in schedule()) {
        let c = config(PoolKind::EmailAlias, false);
        let mut sut = Sut::new(&c, 3);
        let (sub_a, code_a) = sign_up(&mut sut, "alice", "Ann@example.com");
        let (sub_b, code_b) = sign_up(&mut sut, "bob", "ann@Example.com");
        let ops = vec![
            confirm(&sut, "alice", &code_a, force_a),
            confirm(&sut, "bob", &code_b, force_b),
        ];
        let outcomes = interleave(&sut, ops, &schedule);
        let records = sut.records();
        let forced = [force_a.unwrap_or(false), force_b.unwrap_or(false)];
        for (i, (o, sub)) in outcomes.iter().zip([&sub_a, &sub_b]).enumerate() {
            let r = &records[sub].value;
            match name_of(o) {
                "Ok" => prop_assert_eq!(r.status, UserStatus::Confirmed),
                "AliasExistsException" => {
                    prop_assert!(!forced[i], "a forced confirmation got AliasExists");
                    prop_assert_eq!(r.status, UserStatus::Unconfirmed);
                    prop_assert!(r.code.is_some(), "AliasExists consumed the code");
                    prop_assert!(r.failed_confirmations.is_empty(), "AliasExists counted a failure");
                    prop_assert!(!r.email_verified);
                }
                other => prop_assert!(false, "unexpected outcome {}: {:?}", other, outcomes),
            }
        }
        prop_assert!(outcomes.iter().any(Result::is_ok), "{:?}", outcomes);
        let holders = records.values().filter(|r| r.value.email_verified).count();
        prop_assert_eq!(holders, 1);
        check_store(&mut sut, &c);
    }

    /// Many wrong codes at once: every counted failure is one CodeMismatch answer, and the
    /// counters never pass the policy.
    #[test]
    fn wrong_codes_racing(n in 2usize..8, before in 0u32..16, hardened in any::<bool>(), schedule in schedule()) {
        let c = config(PoolKind::Plain, hardened);
        let mut sut = Sut::new(&c, 4);
        let (sub, code) = sign_up(&mut sut, "alice", "ann@example.com");
        let wrong = |k: u32| -> String {
            let v: u32 = code.parse::<u32>().unwrap();
            format!("{:06}", (v + 1 + k) % 1_000_000)
        };
        for k in 0..before {
            let _ = sut.driver.confirm_sign_up(ConfirmSignUpRequest::new(Client::Legacy.id(), "alice", wrong(k)));
        }
        let r0 = sut.records()[&sub].value.clone();
        let ops = (0..n)
            .map(|i| confirm(&sut, "alice", &wrong(100 + u32::try_from(i).unwrap()), None))
            .collect();
        let outcomes = interleave(&sut, ops, &schedule);
        let r1 = sut.records()[&sub].value.clone();
        let mismatches = outcomes.iter().filter(|o| name_of(o) == "CodeMismatchException").count();
        for o in &outcomes {
            let name = name_of(o);
            prop_assert!(
                ["CodeMismatchException", "LimitExceededException", "TooManyFailedAttemptsException"].contains(&name),
                "unexpected outcome {}", name
            );
        }
        prop_assert_eq!(r1.failed_confirmations.len() - r0.failed_confirmations.len(), mismatches);
        let checks = |r: &cognito_signup::UserRecord| r.code.as_ref().map_or(0, |c| c.failed_checks);
        prop_assert_eq!(usize::try_from(checks(&r1) - checks(&r0)).unwrap(), mismatches);
        prop_assert!(r1.failed_confirmations.len() <= 15);
        if hardened {
            prop_assert!(checks(&r1) <= 5);
        }
        // The budget is spent exactly, never passed.
        let cap = if hardened { 5 } else { 15 };
        let room = usize::try_from(cap - before.min(cap)).unwrap();
        prop_assert_eq!(mismatches, n.min(room));
        check_store(&mut sut, &c);
    }
}

/// One operation of a random mix.
#[derive(Clone, Copy, Debug)]
enum Mixed {
    Confirm { who: bool, right: bool, force: bool },
    Resend { who: bool },
    AdminConfirm { who: bool },
    Disable { who: bool },
    SignUp { name: u8 },
}

fn mixed() -> impl Strategy<Value = Mixed> {
    prop_oneof![
        4 => (any::<bool>(), any::<bool>(), any::<bool>())
            .prop_map(|(who, right, force)| Mixed::Confirm { who, right, force }),
        2 => any::<bool>().prop_map(|who| Mixed::Resend { who }),
        1 => any::<bool>().prop_map(|who| Mixed::AdminConfirm { who }),
        1 => any::<bool>().prop_map(|who| Mixed::Disable { who }),
        1 => any::<u8>().prop_map(|name| Mixed::SignUp { name }),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: scaled(256), failure_persistence: None, ..ProptestConfig::default() })]

    /// A random mix of up to six operations on two users who share an email alias, in any
    /// order: every answer is one the operation may give (never InternalErrorException: no
    /// interleaving of so few operations spends the conflict budget), and the store invariants
    /// hold.
    #[test]
    fn random_mixes_keep_the_invariants(
        ops in prop::collection::vec(mixed(), 2..7),
        hardened in any::<bool>(),
        schedule in schedule(),
    ) {
        let mut c = config(PoolKind::EmailAlias, hardened);
        c.case_insensitive = true;
        let mut sut = Sut::new(&c, 6);
        let (_, code_a) = sign_up(&mut sut, "alice", "ann@example.com");
        let (_, code_b) = sign_up(&mut sut, "bob", "Ann@example.com");
        let now = sut.clock.now();
        let id = Client::Legacy.id();
        let name = |who: bool| if who { "bob" } else { "alice" };
        let steppers: Vec<Box<dyn Stepper>> = ops
            .iter()
            .map(|op| -> Box<dyn Stepper> {
                match *op {
                    Mixed::Confirm { who, right, force } => {
                        let code = if who { &code_b } else { &code_a };
                        let code = if right {
                            code.clone()
                        } else {
                            format!("{:06}", (code.parse::<u32>().unwrap() + 1) % 1_000_000)
                        };
                        confirm(&sut, name(who), &code, Some(force))
                    }
                    Mixed::Resend { who } => resend(&sut, name(who)),
                    Mixed::AdminConfirm { who } => stepper(AdminConfirmSignUp::new(
                        AdminConfirmSignUpRequest::new(sut::POOL, name(who)),
                        now,
                    )),
                    Mixed::Disable { who } => stepper(AdminDisableUser::new(
                        AdminUserRequest::new(sut::POOL, name(who)),
                        now,
                    )),
                    Mixed::SignUp { name } => stepper(
                        SignUp::new(
                            SignUpRequest::new(id, ["carol", "dave", "alice"][usize::from(name) % 3], PASSWORD)
                                .attribute("email", "ann@example.com"),
                            now,
                            sut.driver.seed().unwrap(),
                        ),
                    ),
                }
            })
            .collect();
        let outcomes = interleave(&sut, steppers, &schedule);
        for (op, o) in ops.iter().zip(&outcomes) {
            let allowed: &[&str] = match op {
                Mixed::Confirm { .. } => &[
                    "Ok", "CodeMismatchException", "NotAuthorizedException",
                    "AliasExistsException", "TooManyFailedAttemptsException", "LimitExceededException",
                ],
                Mixed::Resend { .. } => &["Ok", "InvalidParameterException", "LimitExceededException", "NotAuthorizedException"],
                Mixed::AdminConfirm { .. } => &["Ok", "NotAuthorizedException"],
                Mixed::Disable { .. } => &["Ok"],
                Mixed::SignUp { .. } => &["Ok", "UsernameExistsException"],
            };
            prop_assert!(allowed.contains(&name_of(o)), "{:?} answered {:?}", op, o);
        }
        sut.collect_codes();
        check_store(&mut sut, &c);
    }
}

/// The scheduler runs every operation to its end, whatever the schedule.
#[test]
fn interleave_runs_every_operation_to_its_end() {
    let c = config(PoolKind::Plain, false);
    let mut sut = Sut::new(&c, 5);
    let (_, code) = sign_up(&mut sut, "alice", "ann@example.com");
    let ops = vec![
        confirm(&sut, "alice", &code, None),
        confirm(&sut, "nobody", &code, None),
    ];
    let outcomes = interleave(&sut, ops, &[0]);
    assert_eq!(outcomes[0], Ok(()));
    assert_eq!(name_of(&outcomes[1]), "UserNotFoundException");
}
