//! The model against the real machine, with proptest-state-machine: random transitions, the
//! real answer compared with the model's after every one, then the store checked.

use crate::model::{
    Addr, Client, CodePick, Config, Expected, ModelState, PoolKind, Reply, Response, Secret,
    SentCode, Transition,
};
use crate::sut::{self, PASSWORD, SECRET, StoreKind, Sut, email_key, store_kind};
use crate::{scaled, scaled_len};
use cognito_signup::store::IndexKey;
use cognito_signup::{
    AdminConfirmSignUpRequest, AdminUserRequest, ConfirmSignUpRequest, Error,
    ResendConfirmationCodeRequest, SignUpRequest, UserStatus,
};
use cognito_signup_testkit::invariants;
use proptest::prelude::*;
use proptest::test_runner::Config as ProptestConfig;
use proptest_state_machine::{ReferenceStateMachine, StateMachineTest, prop_state_machine};
use std::collections::BTreeMap;

/// The reference state machine.
pub(crate) struct Reference;

fn config() -> impl Strategy<Value = Config> {
    (
        prop_oneof![
            Just(PoolKind::Plain),
            Just(PoolKind::EmailAlias),
            Just(PoolKind::EmailUsername)
        ],
        any::<bool>(),
        any::<bool>(),
        any::<bool>(),
        any::<bool>(),
        any::<bool>(),
        any::<bool>(),
        any::<bool>(),
    )
        .prop_map(
            |(
                kind,
                case_insensitive,
                hardened,
                pre_sign_up,
                post_confirmation,
                secret,
                custom,
                phone,
            )| {
                Config {
                    kind,
                    case_insensitive,
                    hardened,
                    pre_sign_up,
                    post_confirmation,
                    secret,
                    custom_message: custom,
                    phone,
                }
            },
        )
}

fn client() -> impl Strategy<Value = Client> {
    prop_oneof![Just(Client::Legacy), Just(Client::Enabled)]
}

/// Mostly right, sometimes missing or wrong.
fn secret(configured: bool) -> impl Strategy<Value = Secret> {
    let right = if configured {
        Secret::Good
    } else {
        Secret::Missing
    };
    prop_oneof![
        8 => Just(right),
        1 => Just(Secret::Missing),
        1 => Just(Secret::Good),
        1 => Just(Secret::Wrong),
    ]
}

fn reply() -> impl Strategy<Value = Reply> {
    prop_oneof![
        6 => Just(Reply::Echo),
        3 => (any::<bool>(), any::<bool>()).prop_map(|(confirm, verify)| Reply::Flags { confirm, verify }),
        1 => Just(Reply::FunctionError),
        1 => Just(Reply::Timeout),
        1 => any::<u8>().prop_map(Reply::Garbage),
    ]
}

fn addr() -> impl Strategy<Value = Addr> {
    prop_oneof![
        4 => Just(Addr::Username),
        1 => Just(Addr::UsernameUpper),
        2 => Just(Addr::Email),
        1 => Just(Addr::EmailUpper),
        2 => Just(Addr::Sub),
    ]
}

fn code_pick() -> impl Strategy<Value = CodePick> {
    prop_oneof![
        4 => Just(CodePick::Correct),
        2 => Just(CodePick::WrongFirst),
        2 => Just(CodePick::WrongLast),
        1 => Just(CodePick::Superseded),
        1 => Just(CodePick::OtherUsers),
    ]
}

/// Steps that cross the limits: a second, the 60 s between codes, the hour window, the 24 h
/// validity.
fn tick() -> impl Strategy<Value = u64> {
    prop_oneof![
        Just(1_000u64),
        Just(59_000),
        Just(61_000),
        Just(30 * 60_000),
        Just(3_600_000),
        Just(25 * 3_600_000),
        1u64..7_200_000,
    ]
}

fn transition(secret_configured: bool) -> BoxedStrategy<Transition> {
    let s = secret_configured;
    prop_oneof![
        3 => (
            (any::<u8>(), any::<u8>(), prop::bool::weighted(0.2), prop::bool::weighted(0.2), proptest::option::of(any::<u8>())),
            (client(), secret(s), reply(), reply(), reply(), prop::bool::weighted(0.1)),
        )
            .prop_map(|((name, email, upper_name, upper_email, phone), (client, secret, pre, post, custom, delivery_fails))| Transition::SignUp {
                name, email, upper_name, upper_email, phone, client, secret, pre, post, custom, delivery_fails,
            }),
        6 => (any::<u8>(), addr(), code_pick(), prop_oneof![Just(None), Just(Some(false)), Just(Some(true))], client(), secret(s), reply())
            .prop_map(|(who, addr, code, force, client, secret, post)| Transition::Confirm {
                who, addr, code, force, client, secret, post,
            }),
        2 => (any::<u8>(), addr(), client(), secret(s), reply(), prop::bool::weighted(0.1))
            .prop_map(|(who, addr, client, secret, custom, delivery_fails)| Transition::Resend {
                who, addr, client, secret, custom, delivery_fails,
            }),
        1 => (any::<u8>(), addr(), reply())
            .prop_map(|(who, addr, post)| Transition::AdminConfirm { who, addr, post }),
        1 => (any::<u8>(), addr(), any::<bool>())
            .prop_map(|(who, addr, enable)| Transition::SetEnabled { who, addr, enable }),
        1 => (any::<u8>(), prop_oneof![1u8..=6, 14u8..=17], client())
            .prop_map(|(who, times, client)| Transition::Hammer { who, times, client }),
        2 => tick().prop_map(|millis| Transition::Tick { millis }),
        1 => prop_oneof![Just(1_000u64), Just(30_000), Just(600_000), Just(3_600_000)]
            .prop_map(|millis| Transition::StepBack { millis }),
    ]
    .boxed()
}

impl ReferenceStateMachine for Reference {
    type State = ModelState;
    type Transition = Transition;

    fn init_state() -> BoxedStrategy<ModelState> {
        config().prop_map(ModelState::new).boxed()
    }

    fn transitions(state: &ModelState) -> BoxedStrategy<Transition> {
        transition(state.config.secret)
    }

    fn apply(state: ModelState, t: &Transition) -> ModelState {
        state.apply(t)
    }
}

/// What the real machine answered, in the model's terms.
fn actual<T>(r: Result<T, Error>, ok: impl FnOnce(T) -> Response) -> Expected {
    match r {
        Ok(v) => Expected::Ok(ok(v)),
        Err(e) => Expected::Err(e.name(), e.message().to_owned()),
    }
}

/// A masked phone number goes by SMS to `phone_number`, a masked address by EMAIL to `email`.
fn check_medium(d: &cognito_signup::CodeDeliveryDetails) {
    let (medium, attribute) = if d.destination.starts_with('+') {
        ("SMS", "phone_number")
    } else {
        ("EMAIL", "email")
    };
    assert_eq!(d.delivery_medium.as_str(), medium);
    assert_eq!(d.attribute_name, attribute);
}

/// The code text a ConfirmSignUp sends.
fn code_text(sut: &Sut, code: SentCode, live: Option<usize>) -> String {
    let bump = |s: &str, at_first: bool| -> String {
        let mut b = s.as_bytes().to_vec();
        let i = if at_first { 0 } else { b.len() - 1 };
        b[i] = b'0' + (b[i] - b'0' + 1) % 10;
        String::from_utf8(b).unwrap()
    };
    let text = match code {
        SentCode::Issued(k) => sut.codes[k].clone(),
        SentCode::AlteredFirst(k) => bump(&sut.codes[k], true),
        SentCode::AlteredLast(k) => bump(&sut.codes[k], false),
        SentCode::Never => "000000".to_owned(),
    };
    // Two issuances may draw the same six digits; the model means "a code that is not live".
    match live {
        Some(l) if code != SentCode::Issued(l) && text == sut.codes[l] => bump(&text, false),
        _ => text,
    }
}

/// The real machine.
pub(crate) struct Machine;

impl StateMachineTest for Machine {
    type SystemUnderTest = Sut;
    type Reference = Reference;

    fn init_test(state: &ModelState) -> Sut {
        Sut::new(&state.config, 7)
    }

    fn apply(mut sut: Sut, state: &ModelState, t: Transition) -> Sut {
        let before = sut.records();
        let index_before = sut.index();
        let last = &state.last;
        let got = match &t {
            Transition::Tick { millis } => {
                sut.clock.advance(std::time::Duration::from_millis(*millis));
                return sut;
            }
            Transition::StepBack { .. } => {
                sut.clock
                    .set(cognito_signup::Timestamp::from_millis(state.now));
                return sut;
            }
            Transition::SignUp {
                client,
                secret,
                pre,
                post,
                custom,
                delivery_fails,
                ..
            } => {
                *sut.replies.lock().unwrap() = (*pre, *post, *custom);
                sut.outbox.set_failing(*delivery_fails);
                let username = sut.text(last.sent.as_ref().unwrap());
                let email = last.email.clone().unwrap();
                let mut req = SignUpRequest::new(client.id(), &username, PASSWORD);
                if state.config.kind != PoolKind::EmailUsername {
                    req = req.attribute("email", &email);
                }
                if let Some(phone) = &last.phone {
                    req = req.attribute("phone_number", phone);
                }
                req.secret_hash = sut::secret_for(*secret, &username, *client);
                let r = sut.driver.sign_up(req);
                let sub = r.as_ref().ok().map(|r| r.user_sub.clone());
                let got = actual(r, |r| Response::SignUp {
                    confirmed: r.user_confirmed,
                    destination: r.code_delivery_details.map(|d| {
                        check_medium(&d);
                        d.destination
                    }),
                });
                // The new user's sub, from the store.
                let after = sut.records();
                let new: Vec<&String> = after.keys().filter(|k| !before.contains_key(*k)).collect();
                if last.committed {
                    assert_eq!(new.len(), 1, "SignUp committed {} users", new.len());
                    let s = new[0].clone();
                    assert_eq!(s.len(), 36, "a sub is a UUID");
                    if let Some(sub) = sub {
                        assert_eq!(sub, s, "UserSub is not the stored sub");
                    }
                    sut.subs.push(s);
                }
                got
            }
            Transition::Confirm {
                client,
                secret,
                post,
                force,
                ..
            } => {
                sut.replies.lock().unwrap().1 = *post;
                let username = sut.text(last.sent.as_ref().unwrap());
                let code = code_text(&sut, last.code.unwrap(), last.live);
                let mut req = ConfirmSignUpRequest::new(client.id(), &username, code);
                req.force_alias_creation = *force;
                req.secret_hash = sut::secret_for(*secret, &username, *client);
                actual(sut.driver.confirm_sign_up(req), |_| Response::Empty)
            }
            Transition::Resend {
                client,
                secret,
                custom,
                delivery_fails,
                ..
            } => {
                sut.replies.lock().unwrap().2 = *custom;
                sut.outbox.set_failing(*delivery_fails);
                let username = sut.text(last.sent.as_ref().unwrap());
                let mut req = ResendConfirmationCodeRequest::new(client.id(), &username);
                req.secret_hash = sut::secret_for(*secret, &username, *client);
                let r = sut.driver.resend_confirmation_code(req);
                let expected_simulated = match &last.expected {
                    Some(Expected::Ok(Response::SimulatedResend { destination })) => {
                        Some(destination.clone())
                    }
                    _ => None,
                };
                let mut fake = None;
                let got = actual(r, |r| {
                    let d = r.code_delivery_details.unwrap();
                    check_medium(&d);
                    match &expected_simulated {
                        // A keyed fake: checked below for its shape and stability.
                        Some(None) => {
                            fake = Some(d.destination);
                            Response::SimulatedResend { destination: None }
                        }
                        Some(Some(_)) => Response::SimulatedResend {
                            destination: Some(d.destination),
                        },
                        None => Response::Resend {
                            destination: d.destination,
                        },
                    }
                });
                if let Some(d) = fake {
                    // A fake destination looks like a real one and is the same for every call
                    // with the name.
                    let b = d.as_bytes();
                    let shape = d.is_ascii()
                        && b.len() >= "x***@y***.co".len()
                        && b[0].is_ascii_lowercase()
                        && b[1..5] == *b"***@"
                        && b[5].is_ascii_lowercase()
                        && b[6..10] == *b"***."
                        && b[10..].iter().all(u8::is_ascii_lowercase);
                    assert!(shape, "fake destination {d:?} does not look real");
                    let key = state.config.fold(&username);
                    let first = sut.simulated.entry(key).or_insert_with(|| d.clone());
                    assert_eq!(
                        *first, d,
                        "fake destinations of one name differ between calls"
                    );
                }
                got
            }
            Transition::Hammer { client, .. } => {
                let username = sut.text(last.sent.as_ref().unwrap());
                for (i, (expected, code, live)) in last.burst.iter().enumerate() {
                    let code = code_text(&sut, *code, *live);
                    let mut req = ConfirmSignUpRequest::new(client.id(), &username, code);
                    req.secret_hash = sut::secret_for(
                        if state.config.secret {
                            Secret::Good
                        } else {
                            Secret::Missing
                        },
                        &username,
                        *client,
                    );
                    let got = actual(sut.driver.confirm_sign_up(req), |_| Response::Empty);
                    assert_eq!(&got, expected, "attempt {i} of {t:?}");
                }
                Expected::Ok(Response::Empty)
            }
            Transition::AdminConfirm { post, .. } => {
                sut.replies.lock().unwrap().1 = *post;
                let username = sut.text(last.sent.as_ref().unwrap());
                let req = AdminConfirmSignUpRequest::new(sut::POOL, &username);
                actual(sut.driver.admin_confirm_sign_up(req), |_| Response::Empty)
            }
            Transition::SetEnabled { enable, .. } => {
                let username = sut.text(last.sent.as_ref().unwrap());
                let req = AdminUserRequest::new(sut::POOL, &username);
                let r = if *enable {
                    sut.driver.admin_enable_user(req)
                } else {
                    sut.driver.admin_disable_user(req)
                };
                actual(r, |_| Response::Empty)
            }
        };
        sut.outbox.set_failing(false);
        let sent_before = sut.codes.len();
        sut.collect_codes();
        sut.post_confirmations();
        // The message carries the code, in the function's text when it composed one.
        let custom = sut.replies.lock().unwrap().2;
        for m in &sut.outbox.messages()[sent_before..] {
            let code = m.code.as_str();
            assert!(m.body.contains(code), "the message does not carry its code");
            if state.config.custom_message && matches!(custom, Reply::Flags { confirm: true, .. }) {
                assert_eq!(m.body, sut::CUSTOM_TEXT.replace("{####}", code));
            }
        }
        assert_eq!(
            Some(&got),
            last.expected.as_ref(),
            "the machine (left) and the model (right) disagree on {t:?}"
        );
        assert_eq!(
            sut.codes.len(),
            state.issued,
            "the machine issued {} codes, the model {}",
            sut.codes.len(),
            state.issued
        );
        // A rejected operation changes nothing but the counters the policy says it changes.
        let after = sut.records();
        if !last.committed {
            assert_eq!(before, after, "a rejected {t:?} changed a record");
            assert_eq!(
                index_before,
                sut.index(),
                "a rejected {t:?} changed the index"
            );
        } else if last.counted_failure {
            let sub = &sut.subs[last.found.unwrap()];
            for (s, r) in &after {
                if s != sub {
                    assert_eq!(
                        Some(r),
                        before.get(s),
                        "a failed code check changed another user"
                    );
                    continue;
                }
                let (mut b, mut a) = (before[s].value.clone(), r.value.clone());
                assert_eq!(r.version, before[s].version + 1);
                b.failed_confirmations.clear();
                a.failed_confirmations.clear();
                // A disabled user under ENABLED may have no live code.
                for code in [b.code.as_mut(), a.code.as_mut()].into_iter().flatten() {
                    code.failed_checks = 0;
                }
                assert_eq!(a, b, "a failed code check changed more than its counters");
            }
            assert_eq!(
                index_before,
                sut.index(),
                "a failed code check changed the index"
            );
        }
        sut
    }

    fn check_invariants(sut: &Sut, state: &ModelState) {
        let records = sut.records();
        let index = sut.index();
        let pool = sut::pool_of(&state.config);
        invariants::assert_holds(
            &pool,
            records.values(),
            &index,
            &sut.codes,
            &[PASSWORD, SECRET],
        );
        // The store holds exactly the model's users, and at most the decoy besides. No user's
        // key reaches the decoy, and it never gains a status or a verified attribute.
        assert_eq!(records.len(), state.users.len());
        let (decoy, decoy_keys) = sut.decoy();
        match decoy {
            Some(d) => {
                assert_eq!(
                    decoy_keys,
                    vec![IndexKey::decoy()],
                    "keys reaching the decoy"
                );
                let d = d.value;
                assert_eq!(d.status, UserStatus::Unconfirmed, "the decoy's status");
                assert!(d.enabled && !d.email_verified && !d.phone_number_verified);
                let limits = invariants::Limits::of(&pool);
                assert!(d.failed_confirmations.len() <= limits.failures_per_window);
            }
            None => assert!(
                decoy_keys.is_empty(),
                "a key reaches a decoy that does not exist"
            ),
        }
        let now = sut.clock.as_ref();
        let now = cognito_signup::Clock::now(now).as_millis();
        assert_eq!(now, state.now);
        let posts = &sut.posts;
        let window_from = state.now.saturating_sub(3_600_000);
        let in_window = |v: &[cognito_signup::Timestamp]| {
            v.iter().filter(|t| t.as_millis() > window_from).count()
        };
        let mut expected_index: BTreeMap<_, String> = BTreeMap::new();
        for (i, m) in state.users.iter().enumerate() {
            let sub = &sut.subs[i];
            let r = &records[sub].value;
            let want_status = if m.confirmed {
                UserStatus::Confirmed
            } else {
                UserStatus::Unconfirmed
            };
            assert_eq!(r.status, want_status, "status of user {i}");
            assert_eq!(r.enabled, m.enabled, "enabled of user {i}");
            assert_eq!(
                r.email_verified, m.email_verified,
                "email_verified of user {i}"
            );
            assert_eq!(
                r.email.as_deref(),
                Some(m.email.as_str()),
                "email of user {i}"
            );
            assert_eq!(r.phone_number, m.phone, "phone_number of user {i}");
            assert_eq!(
                r.phone_number_verified, m.phone_verified,
                "phone_number_verified of user {i}"
            );
            let username = match state.config.kind {
                PoolKind::EmailUsername => sub.as_str(),
                _ => m.signed_up_as.as_str(),
            };
            assert_eq!(r.username, username, "username of user {i}");
            match (&r.code, &m.code) {
                (None, None) => {}
                (Some(c), Some(mc)) => {
                    assert_eq!(c.failed_checks, mc.failed, "failed checks of user {i}");
                    assert_eq!(
                        c.issued_at.as_millis(),
                        mc.issued_at,
                        "code time of user {i}"
                    );
                }
                (c, mc) => panic!("code of user {i}: machine {c:?}, model {mc:?}"),
            }
            assert_eq!(
                in_window(&r.failed_confirmations),
                state.failures_in_window(m),
                "failures in the window of user {i}"
            );
            assert_eq!(
                in_window(&r.resends),
                state.resends_in_window(m),
                "resends in the window of user {i}"
            );
            let fired = posts.get(sub).copied().unwrap_or(0);
            assert_eq!(fired, m.post_confirmations, "PostConfirmation of user {i}");
            assert!(
                fired <= 1,
                "PostConfirmation fired {fired} times for one user"
            );
            match state.config.kind {
                PoolKind::EmailAlias if m.email_verified => {
                    expected_index.insert(email_key(&state.config, &m.email), sub.clone());
                }
                PoolKind::EmailUsername => {
                    expected_index.insert(email_key(&state.config, &m.email), sub.clone());
                }
                _ => {}
            }
        }
        let alias_index: BTreeMap<_, String> = index
            .into_iter()
            .filter(|(k, _)| k.as_str().starts_with("a:"))
            .collect();
        assert_eq!(alias_index, expected_index, "the alias index");
    }
}

prop_state_machine! {
    #![proptest_config(ProptestConfig {
        // A database store commits to disk or over a socket: fewer cases (scaled the same way).
        cases: if store_kind() == StoreKind::Memory { scaled(1024) } else { scaled(24) },
        max_shrink_iters: 2_000,
        failure_persistence: None,
        .. ProptestConfig::default()
    })]

    /// The model and the machine agree on every transition, and the store invariants hold.
    #[test]
    fn machine_agrees_with_the_model(sequential 1..scaled_len(64) => Machine);
}
