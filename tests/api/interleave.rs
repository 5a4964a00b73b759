//! Several operations' steps interleaved against one store through the sans-IO core: the
//! invariants of [atomic-commit] hold whatever the order.

use crate::harness::*;
use cognito_signup::ops::{
    AdminConfirmSignUp, AdminDeleteUser, CommitChanges, ConfirmSignUp, Need, Operation,
    ResendConfirmationCode, SignUp, Step,
};
use cognito_signup::protocol::{ClientContext, PoolContext};
use cognito_signup::store::{CommitOutcome, DECOY_SUB, IndexKey};
use cognito_signup::*;

/// Drives an operation until it asks to commit, answering everything else from the host.
fn until_commit<O: Operation>(h: &Host, first: Step<O>) -> CommitChanges<O>
where
    O::Output: std::fmt::Debug,
{
    let mut step = first;
    loop {
        match step {
            Step::Need(Need::Commit(n)) => return n,
            Step::Need(n) => step = h.driver.answer(n),
            Step::Done(r) => panic!("finished before committing: {r:?}"),
        }
    }
}

/// Answers the commit from the host and drives the operation to its end.
fn finish<O: Operation>(h: &Host, need: CommitChanges<O>) -> Result<O::Output, Error> {
    let mut step = h.driver.answer(Need::Commit(need));
    loop {
        match step {
            Step::Done(r) => return r,
            Step::Need(n) => step = h.driver.answer(n),
        }
    }
}

fn confirm_op(h: &Host, user: &str, code: &str, force: bool) -> ConfirmSignUp {
    let mut r = h.confirm_req(user, code);
    r.force_alias_creation = force.then_some(true);
    ConfirmSignUp::new(r, START)
}

#[test]
fn parallel_confirms_of_one_user_confirm_once_and_fire_post_confirmation_once() {
    let h = host().post_confirmation().build();
    let code = h.sign_up("alice", "alice@example.com");
    let a = confirm_op(&h, "alice", &code, false);
    let b = confirm_op(&h, "alice", &code, false);
    let ca = until_commit(&h, a.start());
    let cb = until_commit(&h, b.start());
    finish(&h, ca).unwrap();
    assert_eq!(
        err(finish(&h, cb)),
        pair(
            "NotAuthorizedException",
            "User cannot be confirmed. Current status is CONFIRMED"
        )
    );
    assert_eq!(h.lambda.events("PostConfirmation_ConfirmSignUp").len(), 1);
}

#[test]
fn racing_wrong_codes_never_count_past_the_policy() {
    let h = host().build();
    let code = h.sign_up("alice", "alice@example.com");
    let wrong = Host::wrong(&code);
    // Every operation reads the same version before any commits.
    let needs: Vec<CommitChanges<ConfirmSignUp>> = (0..20)
        .map(|_| until_commit(&h, confirm_op(&h, "alice", &wrong, false).start()))
        .collect();
    let mut answers = Vec::new();
    for need in needs {
        answers.push(err(finish(&h, need)).0);
    }
    let mismatches = answers
        .iter()
        .filter(|a| *a == "CodeMismatchException")
        .count();
    let limited = answers
        .iter()
        .filter(|a| *a == "LimitExceededException")
        .count();
    assert_eq!((mismatches, limited), (15, 5), "{answers:?}");
    assert_eq!(h.record("alice").failed_confirmations.len(), 15);
    assert_eq!(err(h.confirm("alice", &code)).0, "LimitExceededException");
}

#[test]
fn a_confirm_racing_a_resend_cannot_use_the_superseded_code() {
    let h = host().build();
    let code = h.sign_up("alice", "alice@example.com");
    let c = confirm_op(&h, "alice", &code, false);
    let cc = until_commit(&h, c.start());
    let r = ResendConfirmationCode::new(
        ResendConfirmationCodeRequest::new(CLIENT, "alice"),
        START,
        h.driver.seed().unwrap(),
    );
    let cr = until_commit(&h, r.start());
    finish(&h, cr).unwrap();
    let fresh = h.last_code();
    let result = finish(&h, cc);
    if fresh == code {
        // The new code happens to have the same digits: confirming with them is legitimate.
        result.unwrap();
    } else {
        assert_eq!(err(result).0, "CodeMismatchException");
        assert_eq!(h.status("alice"), "UNCONFIRMED");
        h.confirm("alice", &fresh).unwrap();
    }
}

fn alias_holders(h: &Host) -> Vec<String> {
    h.store
        .inner
        .index(POOL)
        .unwrap()
        .into_iter()
        .filter(|(k, _)| k.as_str().starts_with("a:email:"))
        .map(|(_, sub)| sub)
        .collect()
}

#[test]
fn two_users_racing_for_one_alias_end_with_one_holder() {
    for force in [false, true] {
        let h = host().email_alias().build();
        let a_code = h.sign_up("alice", "shared@example.com");
        let b_code = h.sign_up("bob", "shared@example.com");
        let a = confirm_op(&h, "alice", &a_code, force);
        let b = confirm_op(&h, "bob", &b_code, force);
        let ca = until_commit(&h, a.start());
        let cb = until_commit(&h, b.start());
        finish(&h, ca).unwrap();
        let rb = finish(&h, cb);
        let holders = alias_holders(&h);
        assert_eq!(holders.len(), 1);
        let verified: Vec<_> = h
            .records()
            .into_iter()
            .filter(|r| r.value.email_verified)
            .map(|r| r.value.sub)
            .collect();
        assert_eq!(verified, holders, "the holder is the only verified one");
        if force {
            rb.unwrap();
            assert_eq!(h.get("shared@example.com").username, "bob");
            assert_eq!(h.get("alice").attribute("email_verified"), Some("false"));
        } else {
            assert_eq!(
                err(rb),
                pair(
                    "AliasExistsException",
                    "An account with the email already exists."
                )
            );
            assert_eq!(h.status("bob"), "UNCONFIRMED");
        }
    }
}

#[test]
fn the_core_never_does_io_it_only_asks() {
    // The same request, time and answers give the same questions: run one confirmation twice
    // against fresh hosts built alike and compare every need.
    let trace = || {
        let h = host().post_confirmation().build();
        let code = h.sign_up("alice", "alice@example.com");
        let op = confirm_op(&h, "alice", &code, false);
        let mut seen = Vec::new();
        let mut step = op.start();
        loop {
            match step {
                Step::Done(r) => {
                    seen.push(format!("{:?}", r.map(|_| ())));
                    return seen;
                }
                Step::Need(n) => {
                    seen.push(format!("{n:?}"));
                    step = h.driver.answer(n);
                }
            }
        }
    };
    let one = trace();
    assert_eq!(one, trace());
    assert!(
        one.len() >= 6,
        "client, guard, throttle, find, commit, invoke: {one:?}"
    );
}

/// The kinds of needs an operation raises, in order.
fn need_kinds(h: &Host, op: ConfirmSignUp) -> Vec<&'static str> {
    let mut kinds = Vec::new();
    let mut step = op.start();
    loop {
        match step {
            Step::Done(_) => return kinds,
            Step::Need(n) => {
                kinds.push(n.kind());
                step = h.driver.answer(n);
            }
        }
    }
}

#[test]
fn a_missing_or_disabled_user_under_enabled_asks_the_host_what_a_wrong_code_asks() {
    let h = host().enabled().build();
    let code = h.sign_up("alice", "alice@example.com");
    h.sign_up("dora", "dora@example.com");
    h.driver
        .admin_disable_user(AdminUserRequest::new(POOL, "dora"))
        .unwrap();
    let present = need_kinds(&h, confirm_op(&h, "alice", &Host::wrong(&code), false));
    let missing = need_kinds(&h, confirm_op(&h, "nobody", &Host::wrong(&code), false));
    let disabled = need_kinds(&h, confirm_op(&h, "dora", &Host::wrong(&code), false));
    assert_eq!(present, ["client", "guard", "throttle", "find", "commit"]);
    assert_eq!(missing, present);
    assert_eq!(disabled, present);
    // The disabled user's attempt counted on their record, the missing user's on the decoy.
    assert_eq!(h.record("dora").failed_confirmations.len(), 1);
    let decoy: Vec<_> = h
        .store
        .inner
        .records(POOL)
        .unwrap()
        .into_iter()
        .filter(|r| r.value.is_decoy())
        .collect();
    assert_eq!(decoy.len(), 1);
    assert_eq!(decoy[0].value.sub, DECOY_SUB);
    assert!(
        decoy[0].value.failed_confirmations.is_empty(),
        "created, not yet counted"
    );
    let again = need_kinds(&h, confirm_op(&h, "nobody", &Host::wrong(&code), false));
    assert_eq!(again, present);
    let decoy = h
        .store
        .inner
        .find(POOL, &[IndexKey::decoy()])
        .unwrap()
        .unwrap();
    assert_eq!(
        (decoy.version, decoy.value.failed_confirmations.len()),
        (2, 1)
    );
}

/// Runs a ConfirmSignUp whose every commit meets a conflict (another request wrote first);
/// answers its outcome and how many lookups it made.
fn every_commit_conflicts(
    h: &Host,
    op: ConfirmSignUp,
) -> (Result<ConfirmSignUpResponse, Error>, usize) {
    let mut step = op.start();
    let mut finds = 0;
    loop {
        step = match step {
            Step::Done(r) => return (r, finds),
            Step::Need(Need::Commit(n)) => n.answer(CommitOutcome::Conflict),
            Step::Need(n) => {
                finds += usize::from(matches!(n, Need::Find(_)));
                h.driver.answer(n)
            }
        };
    }
}

#[test]
fn a_hidden_failure_that_meets_a_conflict_answers_code_mismatch_without_deciding_again() {
    let h = host().enabled().build();
    let code = h.sign_up("alice", "alice@example.com");
    // The first missing user creates the pool's decoy.
    assert_eq!(
        err(h.confirm("nobody", &Host::wrong(&code))),
        pair(
            "CodeMismatchException",
            "Invalid verification code provided, please try again."
        )
    );
    // Another request wrote the decoy in the meantime.
    let (outcome, finds) =
        every_commit_conflicts(&h, confirm_op(&h, "nobody", &Host::wrong(&code), false));
    assert_eq!(
        err(outcome),
        pair(
            "CodeMismatchException",
            "Invalid verification code provided, please try again."
        )
    );
    assert_eq!(finds, 1, "a hidden failure is not decided again");
}

#[test]
fn the_decoy_answers_to_no_name_and_takes_no_name() {
    let h = host().enabled().build();
    let code = h.sign_up("alice", "alice@example.com");
    h.confirm("nobody", &Host::wrong(&code)).unwrap_err();
    let decoy = h
        .store
        .inner
        .find(POOL, &[IndexKey::decoy()])
        .unwrap()
        .unwrap()
        .value;
    let email = decoy.email.clone().unwrap();
    for name in [decoy.username.as_str(), DECOY_SUB, email.as_str(), "d:"] {
        assert_eq!(
            err(h.driver.admin_get_user(AdminUserRequest::new(POOL, name))),
            pair("UserNotFoundException", "User does not exist."),
            "AdminGetUser {name}"
        );
        assert_eq!(
            err(h
                .driver
                .admin_confirm_sign_up(AdminConfirmSignUpRequest::new(POOL, name))),
            pair("UserNotFoundException", "User does not exist."),
            "AdminConfirmSignUp {name}"
        );
    }
    let before = h
        .store
        .inner
        .find(POOL, &[IndexKey::decoy()])
        .unwrap()
        .unwrap();
    for name in [decoy.username.as_str(), DECOY_SUB, email.as_str(), "d:"] {
        for (what, r) in [
            (
                "AdminDisableUser",
                h.driver
                    .admin_disable_user(AdminUserRequest::new(POOL, name))
                    .map(|_| ()),
            ),
            (
                "AdminEnableUser",
                h.driver
                    .admin_enable_user(AdminUserRequest::new(POOL, name))
                    .map(|_| ()),
            ),
        ] {
            assert_eq!(
                err(r),
                pair("UserNotFoundException", "User does not exist."),
                "{what} {name}"
            );
        }
        // ResendConfirmationCode under ENABLED simulates a delivery and writes nothing.
        let simulated = h.resend(name).unwrap().code_delivery_details.unwrap();
        assert_eq!(simulated.delivery_medium, DeliveryMedium::Email, "{name}");
    }
    let after = h
        .store
        .inner
        .find(POOL, &[IndexKey::decoy()])
        .unwrap()
        .unwrap();
    assert_eq!(after, before, "no other operation touched the decoy");
    // Under ENABLED, naming the decoy is naming a missing user.
    assert_eq!(
        err(h.confirm(&decoy.username, "123456")),
        pair(
            "CodeMismatchException",
            "Invalid verification code provided, please try again."
        )
    );
    // Its username and email address are free to take, and the new users confirm as any other.
    let code = h.sign_up(&decoy.username, "taker@example.com");
    h.confirm(&decoy.username, &code).unwrap();
    assert_eq!(h.status(&decoy.username), "CONFIRMED");
    let code = h.sign_up("emailtaker", &email);
    h.confirm("emailtaker", &code).unwrap();
    assert_eq!(h.status("emailtaker"), "CONFIRMED");
    let after = h
        .store
        .inner
        .find(POOL, &[IndexKey::decoy()])
        .unwrap()
        .unwrap();
    assert!(after.value.is_decoy());
    assert_eq!(after.value.status, UserStatus::Unconfirmed);
    assert!(!after.value.email_verified);
    // Only the decoy's own key reaches it.
    let keys: Vec<IndexKey> = h
        .store
        .inner
        .index(POOL)
        .unwrap()
        .into_iter()
        .filter(|(_, sub)| sub == DECOY_SUB)
        .map(|(k, _)| k)
        .collect();
    assert_eq!(keys, vec![IndexKey::decoy()]);
}

#[test]
fn a_legacy_client_never_looks_the_decoy_up() {
    let h = host().enabled().build();
    let code = h.sign_up("alice", "alice@example.com");
    // The pool's decoy exists.
    h.confirm("nobody", &Host::wrong(&code)).unwrap_err();
    let mut legacy = h.client.clone();
    legacy.prevent_user_existence_errors = PreventUserExistenceErrors::Legacy;
    let cx = ClientContext::new(
        std::sync::Arc::new(PoolContext::new(
            h.pool.clone(),
            CodeKeys::new(&[[1u8; 32]]).unwrap(),
        )),
        std::sync::Arc::new(legacy),
    );
    let op = confirm_op(&h, "nobody", "123456", false);
    let mut step = op.start();
    let mut finds = 0;
    let outcome = loop {
        step = match step {
            Step::Done(r) => break r,
            Step::Need(Need::Client(n)) => n.answer(Some(cx.clone())),
            Step::Need(n) => {
                if let Need::Find(find) = &n {
                    finds += 1;
                    assert!(
                        !find.keys().contains(&IndexKey::decoy()),
                        "LEGACY asked for the decoy"
                    );
                }
                h.driver.answer(n)
            }
        };
    };
    assert_eq!(finds, 1);
    assert_eq!(
        err(outcome),
        pair(
            "UserNotFoundException",
            "Username/client id combination not found."
        )
    );
}

#[test]
fn a_disabled_user_under_enabled_meeting_a_conflict_answers_code_mismatch_without_deciding_again() {
    let h = host().enabled().build();
    let code = h.sign_up("dora", "dora@example.com");
    h.driver
        .admin_disable_user(AdminUserRequest::new(POOL, "dora"))
        .unwrap();
    let before = h.record("dora");
    let (outcome, finds) = every_commit_conflicts(&h, confirm_op(&h, "dora", &code, false));
    assert_eq!(
        err(outcome),
        pair(
            "CodeMismatchException",
            "Invalid verification code provided, please try again."
        )
    );
    assert_eq!(finds, 1, "a hidden failure is not decided again");
    assert_eq!(h.record("dora"), before, "nothing was written");
}

#[test]
fn hidden_failures_under_a_limit_of_zero_leave_no_count() {
    let h = host()
        .enabled()
        .pool(|p| p.sign_up_policy.failed_confirmations_per_window = 0)
        .build();
    let code = h.sign_up("alice", "alice@example.com");
    h.sign_up("dora", "dora@example.com");
    h.driver
        .admin_disable_user(AdminUserRequest::new(POOL, "dora"))
        .unwrap();
    let mismatch = pair(
        "CodeMismatchException",
        "Invalid verification code provided, please try again.",
    );
    // A present user is locked out before any check; hidden users answer as missing ones.
    assert_eq!(
        err(h.confirm("alice", &code)),
        pair(
            "LimitExceededException",
            "Attempt limit exceeded, please try after some time."
        )
    );
    for _ in 0..2 {
        assert_eq!(err(h.confirm("dora", "123456")), mismatch);
        assert_eq!(err(h.confirm("nobody", "123456")), mismatch);
    }
    assert!(h.record("dora").failed_confirmations.is_empty());
    assert!(h.record("alice").failed_confirmations.is_empty());
    let decoy = h
        .store
        .inner
        .find(POOL, &[IndexKey::decoy()])
        .unwrap()
        .unwrap();
    assert!(decoy.value.failed_confirmations.is_empty());
}

#[test]
fn a_confirmation_in_flight_when_the_user_is_deleted_confirms_nothing() {
    let h = host().email_alias().build();
    let code = h.sign_up("alice", "alice@example.com");
    // The confirmation has read alice and checked her code; then she is deleted.
    let pending = until_commit(&h, confirm_op(&h, "alice", &code, false).start());
    h.driver
        .admin_delete_user(AdminDeleteUserRequest::new(POOL, "alice"))
        .unwrap();
    assert_eq!(
        err(finish(&h, pending)),
        pair(
            "UserNotFoundException",
            "Username/client id combination not found."
        )
    );
    assert!(h.records().is_empty());
    assert!(h.store.inner.index(POOL).unwrap().is_empty());
}

#[test]
fn a_deletion_in_flight_when_the_user_confirms_removes_the_alias_it_gained() {
    let h = host().email_alias().build();
    let code = h.sign_up("alice", "alice@example.com");
    // The deletion read alice before she verified her email (no alias key yet).
    let op = AdminDeleteUser::new(AdminDeleteUserRequest::new(POOL, "alice"), START);
    let pending = until_commit(&h, op.start());
    h.confirm("alice", &code).unwrap();
    assert_eq!(h.get("alice@example.com").username, "alice");
    // Its commit conflicts; it reads her again and removes the alias key too.
    finish(&h, pending).unwrap();
    assert!(h.records().is_empty());
    assert!(h.store.inner.index(POOL).unwrap().is_empty());
    let code = h.sign_up("bob", "alice@example.com");
    h.confirm("bob", &code).unwrap();
    assert_eq!(h.get("alice@example.com").username, "bob");
}

/// The context of `h`'s client, with its pool changed by `f`: what the host answered before
/// someone updated the pool.
fn stale_client(h: &Host, f: impl FnOnce(&mut UserPool)) -> ClientContext {
    ClientContext::new(stale_pool(h, f), std::sync::Arc::new(h.client.clone()))
}

/// `h`'s pool changed by `f`, with `h`'s code keys.
fn stale_pool(h: &Host, f: impl FnOnce(&mut UserPool)) -> std::sync::Arc<PoolContext> {
    let mut pool = h.pool.clone();
    f(&mut pool);
    std::sync::Arc::new(PoolContext::new(pool, CodeKeys::new(&[[7u8; 32]]).unwrap()))
}

/// Runs `op`: its first client (or pool) lookup is answered with `stale` (a context from
/// before the pool changed), its first commit with a conflict (another request wrote first,
/// the pool is still there), everything else by the host. Answers its outcome and the kinds
/// of needs it raised.
fn one_conflict<O: Operation>(
    h: &Host,
    op: O,
    stale: ClientContext,
) -> (Result<O::Output, Error>, Vec<&'static str>) {
    let mut stale = Some(stale);
    let mut conflicted = false;
    let mut kinds = Vec::new();
    let mut step = op.start();
    loop {
        step = match step {
            Step::Done(r) => return (r, kinds),
            Step::Need(n) => {
                kinds.push(n.kind());
                match n {
                    Need::Client(n) if stale.is_some() => n.answer(stale.take()),
                    Need::Pool(n) if stale.is_some() => {
                        n.answer(stale.take().map(|cx| cx.pool.clone()))
                    }
                    Need::Commit(n) if !conflicted => {
                        conflicted = true;
                        n.answer(CommitOutcome::Conflict)
                    }
                    n => h.driver.answer(n),
                }
            }
        };
    }
}

#[test]
fn a_sign_up_meeting_a_plain_conflict_resolves_its_client_again_and_retries_with_the_pool_as_it_is_now()
 {
    // [conflict-resolve-again] The stale pool allowed one commit; the pool as it is now allows
    // the default eight, so the retry goes on (before, the stale budget ended it with
    // InternalErrorException).
    let h = host().build();
    let stale = stale_client(&h, |p| p.sign_up_policy.max_commit_attempts = 1);
    let op = SignUp::new(
        h.sign_up_req("alice", Some("alice@example.com")),
        START,
        Seed::generate(&SeededRandomness::new([3; 32])).unwrap(),
    );
    let (outcome, kinds) = one_conflict(&h, op, stale);
    let response = outcome.unwrap();
    assert_eq!(
        kinds,
        [
            "client", "guard", "throttle", "find", "hash", "commit", "client", "find", "commit",
            "deliver"
        ]
    );
    assert_eq!(h.record("alice").sub.to_string(), response.user_sub);
    assert_eq!(h.records().len(), 1);
}

#[test]
fn a_confirmation_meeting_a_concurrent_writer_resolves_its_client_again_and_retries_with_the_pool_as_it_is_now()
 {
    // [conflict-resolve-again] [atomic-commit] A wrong code counted on alice's record while the
    // right code was between its read and its commit: the commit conflicts, the client resolves
    // again (the pool is still there, now with a PostConfirmation trigger the stale context did
    // not have), alice is read again and confirmed, and the trigger the pool has now fires.
    let h = host().post_confirmation().build();
    let code = h.sign_up("alice", "alice@example.com");
    let stale = stale_client(&h, |p| p.lambda_config.post_confirmation = None);
    let mut kinds = Vec::new();
    let mut step = confirm_op(&h, "alice", &code, false).start();
    let mut stale = Some(stale);
    let mut wrote = false;
    let outcome = loop {
        step = match step {
            Step::Done(r) => break r,
            Step::Need(n) => {
                kinds.push(n.kind());
                match n {
                    Need::Client(n) if stale.is_some() => n.answer(stale.take()),
                    Need::Commit(n) if !wrote => {
                        wrote = true;
                        // The concurrent writer.
                        h.confirm("alice", &Host::wrong(&code)).unwrap_err();
                        h.driver.answer(Need::Commit(n))
                    }
                    n => h.driver.answer(n),
                }
            }
        };
    };
    outcome.unwrap();
    assert_eq!(
        kinds,
        [
            "client", "guard", "throttle", "find", "commit", "client", "find", "commit", "invoke"
        ]
    );
    let alice = h.record("alice");
    assert_eq!(alice.status, UserStatus::Confirmed);
    assert_eq!(
        alice.failed_confirmations.len(),
        1,
        "the writer's failure is kept"
    );
    assert_eq!(h.lambda.events("PostConfirmation_ConfirmSignUp").len(), 1);
}

#[test]
fn a_hidden_failure_meeting_a_conflict_resolves_its_client_again_then_answers_code_mismatch() {
    // [conflict-resolve-again] [hide-same-work] The client is asked for again (so that a
    // deleted pool answers as it does for a present user), nothing is decided again.
    let h = host().enabled().build();
    let code = h.sign_up("alice", "alice@example.com");
    let stale = stale_client(&h, |_| {});
    let (outcome, kinds) = one_conflict(
        &h,
        confirm_op(&h, "nobody", &Host::wrong(&code), false),
        stale,
    );
    assert_eq!(
        err(outcome),
        pair(
            "CodeMismatchException",
            "Invalid verification code provided, please try again."
        )
    );
    assert_eq!(
        kinds,
        ["client", "guard", "throttle", "find", "commit", "client"]
    );
}

#[test]
fn a_resend_meeting_a_plain_conflict_resolves_its_client_again_and_retries_with_the_pool_as_it_is_now()
 {
    // [conflict-resolve-again]
    let h = host().build();
    h.sign_up("alice", "alice@example.com");
    let stale = stale_client(&h, |p| p.sign_up_policy.max_commit_attempts = 1);
    let op = ResendConfirmationCode::new(
        ResendConfirmationCodeRequest::new(CLIENT, "alice"),
        START,
        Seed::generate(&SeededRandomness::new([4; 32])).unwrap(),
    );
    let (outcome, kinds) = one_conflict(&h, op, stale);
    outcome.unwrap();
    assert_eq!(
        kinds,
        [
            "client", "guard", "throttle", "find", "commit", "client", "find", "commit", "deliver"
        ]
    );
    assert_eq!(h.record("alice").resends.len(), 1);
}

#[test]
fn an_admin_confirmation_meeting_a_plain_conflict_resolves_its_pool_again_and_retries_with_the_pool_as_it_is_now()
 {
    // [conflict-resolve-again] Only the pool is asked for again: no second throttle token.
    let h = host().build();
    h.sign_up("alice", "alice@example.com");
    let stale = stale_client(&h, |p| p.sign_up_policy.max_commit_attempts = 1);
    let op = AdminConfirmSignUp::new(AdminConfirmSignUpRequest::new(POOL, "alice"), START);
    let (outcome, kinds) = one_conflict(&h, op, stale);
    outcome.unwrap();
    assert_eq!(
        kinds,
        [
            "pool", "throttle", "find", "commit", "pool", "find", "commit"
        ]
    );
    assert_eq!(h.record("alice").status, UserStatus::Confirmed);
}
