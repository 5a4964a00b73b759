//! Fuzz target bodies: the targets in `fuzz/` call them, and `tests/spec/fuzz_bodies.rs` runs
//! them over the seed corpus and random bytes.
//!
//! **Not an API.** Every body takes the fuzzer's bytes and panics when a property fails: that is
//! how a fuzzer learns of a bug. The hosts used here (fixed keys, seeded randomness, fast
//! password hashing) are deterministic test doubles and provide **no security**.

// A fuzz body reports a broken property by panicking; its arithmetic is on small test counters.
#![allow(
    clippy::panic,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::arithmetic_side_effects,
    missing_docs
)]

use crate::host::{HostBuilder, TestHost};
use crate::invariants;
use cognito_signup::code::{Code, CodeKeys, verify_secret_hash};
use cognito_signup::config::{
    AliasAttribute, AppClient, PreventUserExistenceErrors, SignUpPolicy, UserPool,
    VerifiableAttribute,
};
use cognito_signup::error::{Error, Exception};
use cognito_signup::protocol::{InvokeFailure, LambdaReply, Trigger};
use cognito_signup::reference::MemoryStore;
use cognito_signup::reference::RecordingLambda;
use cognito_signup::time::Timestamp;
use cognito_signup::triggers::{
    decode_custom_message, decode_post_confirmation, decode_pre_sign_up,
};
use cognito_signup::types::{
    AdminConfirmSignUpRequest, AdminUserRequest, ConfirmSignUpRequest, ListUsersRequest,
    ResendConfirmationCodeRequest, SignUpRequest,
};
use sha2::Digest as _;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

const POOL: &str = "us-east-1_Fuzz";
const CLIENT: &str = "fuzzclient";
const PASSWORD: &str = "Fuzz-Passw0rd!";
const T0: u64 = 1_700_000_000_000;

/// Reads the fuzzer's bytes one decision at a time; zeros once they run out.
struct Bytes<'a>(&'a [u8]);

impl Bytes<'_> {
    fn byte(&mut self) -> u8 {
        match self.0.split_first() {
            Some((b, rest)) => {
                self.0 = rest;
                *b
            }
            None => 0,
        }
    }
    fn bit(&mut self) -> bool {
        self.byte() & 1 == 1
    }
    fn done(&self) -> bool {
        self.0.is_empty()
    }
}

fn pool(b: &mut Bytes<'_>) -> UserPool {
    let mut pool = UserPool::new(POOL);
    match b.byte() % 3 {
        0 => {}
        1 => {
            pool.alias_attributes.insert(AliasAttribute::Email);
        }
        _ => {
            pool.username_attributes.insert(VerifiableAttribute::Email);
        }
    }
    pool.auto_verified_attributes
        .insert(VerifiableAttribute::Email);
    pool.username_configuration.case_sensitive = b.bit();
    if b.bit() {
        pool.lambda_config.pre_sign_up = Some("pre".into());
    }
    if b.bit() {
        pool.lambda_config.post_confirmation = Some("post".into());
    }
    pool.sign_up_policy = if b.bit() {
        SignUpPolicy::hardened()
    } else {
        SignUpPolicy::cognito()
    };
    pool
}

/// The host of a fuzz run: `pool`, its client (ENABLED or LEGACY), the clock at `T0`, seeded
/// randomness, and Lambda functions from `lambda`.
fn host(pool: UserPool, enabled: bool, seed: u8, lambda: RecordingLambda) -> TestHost<MemoryStore> {
    let mut client = AppClient::new(CLIENT);
    if enabled {
        client.prevent_user_existence_errors = PreventUserExistenceErrors::Enabled;
    }
    HostBuilder::new(pool)
        .client(client)
        .keys(&[[0x24; 32]])
        .start(Timestamp::from_millis(T0))
        .seeded([seed; 32])
        .lambda(Arc::new(lambda))
        .build(MemoryStore::new())
}

/// What the scripted functions answer next.
#[derive(Clone, Copy)]
enum Script {
    Echo,
    Flags(bool, bool),
    Fail,
    Timeout,
    Garbage,
}

fn script(byte: u8) -> Script {
    match byte % 8 {
        0..=2 => Script::Echo,
        3 | 4 => Script::Flags(byte & 0x10 != 0, byte & 0x20 != 0),
        5 => Script::Fail,
        6 => Script::Timeout,
        _ => Script::Garbage,
    }
}

fn reply(s: Script, payload: &str) -> LambdaReply {
    match s {
        Script::Echo => LambdaReply::Returned(payload.as_bytes().to_vec()),
        Script::Flags(confirm, verify) => {
            let mut v: serde_json::Value = serde_json::from_str(payload).unwrap();
            v["response"]["autoConfirmUser"] = confirm.into();
            v["response"]["autoVerifyEmail"] = verify.into();
            LambdaReply::Returned(v.to_string().into_bytes())
        }
        Script::Fail => LambdaReply::FunctionError {
            error_message: "no".into(),
            error_type: None,
        },
        Script::Timeout => LambdaReply::InvokeFailed(InvokeFailure::Timeout),
        Script::Garbage => LambdaReply::Returned(b"[]".to_vec()),
    }
}

const NAMES: [&str; 4] = ["alice", "Alice", "bob", "carol"];
const EMAILS: [&str; 4] = [
    "ann@example.com",
    "Ann@Example.com",
    "bo@example.com",
    "cy@example.org",
];

/// Operation sequences drawn from the bytes, over one in-memory store; the invariants of
/// [code-storage] and [atomic-commit] are asserted after every operation.
pub fn ops(data: &[u8]) {
    let mut b = Bytes(data);
    let pool = pool(&mut b);
    let enabled = b.bit();
    let invariant_pool = pool.clone();
    let next: Arc<Mutex<Script>> = Arc::new(Mutex::new(Script::Echo));
    let n2 = Arc::clone(&next);
    let lambda = RecordingLambda::with_handler(move |inv| reply(*n2.lock().unwrap(), &inv.payload));
    let TestHost {
        driver,
        clock,
        delivery,
        lambda,
    } = host(pool, enabled, 1, lambda);
    let store = driver.store();
    let mut subs: Vec<String> = Vec::new();
    let mut fired: HashMap<String, u32> = HashMap::new();
    let mut calls_seen = 0;
    let mut steps = 0;
    while !b.done() && steps < 64 {
        steps += 1;
        let op = b.byte();
        *next.lock().unwrap() = script(b.byte());
        delivery.set_failing(b.byte() % 8 == 0);
        let who = usize::from(b.byte());
        let name = match (who % 3, subs.is_empty()) {
            (0, false) => subs[who % subs.len()].clone(),
            (1, _) => EMAILS[who % 4].to_owned(),
            _ => NAMES[who % 4].to_owned(),
        };
        let codes: Vec<String> = delivery
            .messages()
            .iter()
            .map(|m| m.code.as_str().to_owned())
            .collect();
        let result: Result<(), Error> = match op % 7 {
            0 => {
                let email = EMAILS[usize::from(b.byte()) % 4];
                driver
                    .sign_up(SignUpRequest::new(CLIENT, &name, PASSWORD).attribute("email", email))
                    .map(|r| subs.push(r.user_sub))
            }
            1 | 2 => {
                let code = match (codes.len(), b.byte()) {
                    (0, _) => "123456".to_owned(),
                    (n, pick) if pick < 200 => codes[n - 1 - usize::from(pick) % n].clone(),
                    (_, pick) => format!("{:06}", u32::from(pick) * 3_911),
                };
                let mut req = ConfirmSignUpRequest::new(CLIENT, &name, code);
                req.force_alias_creation = Some(b.bit());
                driver.confirm_sign_up(req).map(drop)
            }
            3 => driver
                .resend_confirmation_code(ResendConfirmationCodeRequest::new(CLIENT, &name))
                .map(drop),
            4 => driver
                .admin_confirm_sign_up(AdminConfirmSignUpRequest::new(POOL, &name))
                .map(drop),
            5 => {
                let req = AdminUserRequest::new(POOL, &name);
                if b.bit() {
                    driver.admin_enable_user(req).map(drop)
                } else {
                    driver.admin_disable_user(req).map(drop)
                }
            }
            _ => {
                let secs = u64::from(b.byte()) * u64::from(b.byte()) * 60;
                clock.advance(std::time::Duration::from_secs(secs));
                Ok(())
            }
        };
        if let Err(e) = result {
            assert_ne!(
                e.exception(),
                Exception::InternalError,
                "a healthy host never sees InternalErrorException"
            );
        }
        let codes: Vec<String> = delivery
            .messages()
            .iter()
            .map(|m| m.code.as_str().to_owned())
            .collect();
        let (records, index) = (store.records(POOL).unwrap(), store.index(POOL).unwrap());
        invariants::assert_holds(
            &invariant_pool,
            &records,
            index.iter().map(|(k, s)| (k, s)),
            &codes,
            &[PASSWORD],
        );
        // PostConfirmation fires at most once per user.
        let calls = lambda.calls();
        for call in calls.get(calls_seen..).unwrap_or_default() {
            if call.trigger == Trigger::PostConfirmation {
                let v: serde_json::Value = serde_json::from_str(&call.payload).unwrap();
                let sub = v["request"]["userAttributes"]["sub"].as_str().unwrap();
                let n = fired.entry(sub.to_owned()).or_default();
                *n += 1;
                assert!(*n <= 1, "PostConfirmation fired twice for one user");
            }
        }
        calls_seen = calls.len();
    }
}

/// The first byte chooses an operation; the rest is its request JSON, decoded and run through
/// the core against a stub host. Whatever the bytes, the answer is a named Cognito exception or
/// a response, never InternalErrorException, and a failure's text never echoes the password.
pub fn request_json(data: &[u8]) {
    let Some((which, json)) = data.split_first() else {
        return;
    };
    let mut pool = UserPool::new(POOL);
    pool.auto_verified_attributes
        .insert(VerifiableAttribute::Email);
    if which & 0x80 != 0 {
        pool.alias_attributes.insert(AliasAttribute::Email);
    }
    let driver = host(pool, which & 0x40 != 0, 2, RecordingLambda::echo()).driver;
    let outcome: Option<(Result<(), Error>, Option<String>)> = match which % 8 {
        0 => serde_json::from_slice::<SignUpRequest>(json).ok().map(|r| {
            let password = r.password.clone().filter(|p| p.len() >= 6);
            (driver.sign_up(r).map(drop), password)
        }),
        1 => serde_json::from_slice::<ConfirmSignUpRequest>(json)
            .ok()
            .map(|r| (driver.confirm_sign_up(r).map(drop), None)),
        2 => serde_json::from_slice::<ResendConfirmationCodeRequest>(json)
            .ok()
            .map(|r| (driver.resend_confirmation_code(r).map(drop), None)),
        3 => serde_json::from_slice::<AdminConfirmSignUpRequest>(json)
            .ok()
            .map(|r| (driver.admin_confirm_sign_up(r).map(drop), None)),
        4 => serde_json::from_slice::<AdminUserRequest>(json)
            .ok()
            .map(|r| (driver.admin_get_user(r).map(drop), None)),
        5 => serde_json::from_slice::<AdminUserRequest>(json)
            .ok()
            .map(|r| (driver.admin_disable_user(r).map(drop), None)),
        6 => serde_json::from_slice::<ListUsersRequest>(json)
            .ok()
            .map(|r| (driver.list_users(&r).map(drop), None)),
        _ => serde_json::from_slice::<AdminUserRequest>(json)
            .ok()
            .map(|r| (driver.admin_delete_user(r).map(drop), None)),
    };
    if let Some((Err(e), password)) = outcome {
        assert!(Exception::from_name(e.name()).is_some());
        assert_ne!(e.exception(), Exception::InternalError, "{e}");
        if let Some(p) = password {
            assert!(
                !e.message().contains(&p),
                "an error message echoes the password"
            );
            assert!(
                !format!("{e:?}").contains(&p),
                "an error's Debug echoes the password"
            );
        }
    }
}

/// A naive reading of a trigger's returned event: the `response` object (absent or null: empty).
fn naive_response(data: &[u8]) -> Option<serde_json::Map<String, serde_json::Value>> {
    match serde_json::from_slice::<serde_json::Value>(data).ok()? {
        serde_json::Value::Object(mut o) => match o.remove("response") {
            None | Some(serde_json::Value::Null) => Some(serde_json::Map::new()),
            Some(serde_json::Value::Object(r)) => Some(r),
            Some(_) => None,
        },
        _ => None,
    }
}

fn naive_flag(r: &serde_json::Map<String, serde_json::Value>, name: &str) -> Option<bool> {
    match r.get(name) {
        None | Some(serde_json::Value::Null) => Some(false),
        Some(serde_json::Value::Bool(b)) => Some(*b),
        Some(_) => None,
    }
}

fn naive_text(
    r: &serde_json::Map<String, serde_json::Value>,
    name: &str,
) -> Option<Option<String>> {
    match r.get(name) {
        None | Some(serde_json::Value::Null) => Some(None),
        Some(serde_json::Value::String(s)) => Some(Some(s.clone())),
        Some(_) => None,
    }
}

fn assert_unrecognizable(e: &Error) {
    assert_eq!(e.exception(), Exception::InvalidLambdaResponse);
    assert_eq!(e.message(), "Unrecognizable lambda output");
}

/// The trigger response decoders against a naive reading of the same bytes.
pub fn trigger_response(data: &[u8]) {
    let naive = naive_response(data);
    match (decode_post_confirmation(data), &naive) {
        (Ok(()), Some(_)) => {}
        (Err(e), None) => assert_unrecognizable(&e),
        (got, want) => panic!(
            "PostConfirmation: decoder {got:?}, naive {}",
            want.is_some()
        ),
    }
    let want = naive.as_ref().and_then(|r| {
        Some((
            naive_flag(r, "autoConfirmUser")?,
            naive_flag(r, "autoVerifyEmail")?,
            naive_flag(r, "autoVerifyPhone")?,
        ))
    });
    match (decode_pre_sign_up(data), want) {
        (Ok(p), Some(w)) => assert_eq!(
            (
                p.auto_confirm_user,
                p.auto_verify_email,
                p.auto_verify_phone
            ),
            w
        ),
        (Err(e), None) => assert_unrecognizable(&e),
        (got, want) => panic!("PreSignUp: decoder {got:?}, naive {want:?}"),
    }
    let want = naive.as_ref().and_then(|r| {
        Some((
            naive_text(r, "smsMessage")?,
            naive_text(r, "emailMessage")?,
            naive_text(r, "emailSubject")?,
        ))
    });
    match (decode_custom_message(data), want) {
        (Ok(c), Some(w)) => assert_eq!((c.sms_message, c.email_message, c.email_subject), w),
        (Err(e), None) => assert_unrecognizable(&e),
        (got, want) => panic!("CustomMessage: decoder {got:?}, naive {}", want.is_some()),
    }
}

/// HMAC-SHA256 written out from RFC 2104 over SHA-256, as the naive reference.
///
/// Deliberately not the `hmac` crate the library computes tags with: `code_verify` is a
/// differential target, and an oracle built on the code under test would agree with its bugs.
fn naive_hmac(key: &[u8], parts: &[&[u8]]) -> [u8; 32] {
    let mut block = [0u8; 64];
    if key.len() > 64 {
        block[..32].copy_from_slice(&sha2::Sha256::digest(key));
    } else {
        block[..key.len()].copy_from_slice(key);
    }
    let mut inner = sha2::Sha256::new();
    inner.update(block.map(|b| b ^ 0x36));
    for p in parts {
        inner.update(p);
    }
    let mut outer = sha2::Sha256::new();
    outer.update(block.map(|b| b ^ 0x5c));
    outer.update(inner.finalize());
    outer.finalize().into()
}

/// Splits bytes into `n` parts at the separator 0xff (missing parts are empty).
fn parts(data: &[u8], n: usize) -> Vec<&[u8]> {
    let mut out: Vec<&[u8]> = data.splitn(n, |b| *b == 0xff).collect();
    out.resize(n, &[]);
    out
}

/// Code tags and SecretHash verification against naive references: a code tags to the stored
/// tag exactly when it is the code tagged, for the same pool and user; a tag is the length-prefixed HMAC of
/// [code-storage]; a SecretHash verifies exactly when it is the Base64 of
/// HMAC(secret, username || client).
pub fn code_verify(data: &[u8]) {
    let p = parts(data, 6);
    let text = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
    let (key, pool_id, username, submitted) = (p[0], text(p[1]), text(p[2]), text(p[3]));
    // Codes: the key must be at least 16 bytes.
    let mut key_bytes = [0u8; 32];
    for (i, b) in key.iter().enumerate() {
        key_bytes[i % 32] ^= *b;
    }
    let keys = CodeKeys::new(&[key_bytes]).unwrap();
    let digits: String = p[4]
        .iter()
        .map(|b| char::from(b'0' + b % 10))
        .chain(std::iter::repeat('0'))
        .take(6)
        .collect();
    let code = Code::parse(&digits).unwrap();
    let tag = keys.tag(&pool_id, &username, &code);
    let len = |s: &[u8]| u32::try_from(s.len()).unwrap().to_be_bytes();
    let want = naive_hmac(
        &key_bytes,
        &[
            &len(pool_id.as_bytes()),
            pool_id.as_bytes(),
            &len(username.as_bytes()),
            username.as_bytes(),
            &len(code.as_str().as_bytes()),
            code.as_str().as_bytes(),
        ],
    );
    assert_eq!(tag.to_bytes(), want, "a code tag is not the prefixed HMAC");
    // Verification recomputes the tag of what was submitted (the library's own test,
    // `verification_agrees_with_equality`, covers `verify` itself): a submitted code tags to
    // the stored tag exactly when it is the code, and never for another user.
    if let Some(parsed) = Code::parse(&submitted) {
        assert_eq!(
            keys.tag(&pool_id, &username, &parsed) == tag,
            submitted == code.as_str(),
            "code tags disagree with equality"
        );
    }
    let other_user = format!("{username}x");
    assert_ne!(keys.tag(&pool_id, &other_user, &code), tag);
    // SecretHash.
    let (secret, client_id) = (text(p[0]), text(p[5]));
    let mac = naive_hmac(
        secret.as_bytes(),
        &[username.as_bytes(), client_id.as_bytes()],
    );
    use base64::Engine as _;
    let good = base64::engine::general_purpose::STANDARD.encode(mac);
    let naive_ok = base64::engine::general_purpose::STANDARD
        .decode(submitted.as_bytes())
        .is_ok_and(|d| d == mac);
    assert_eq!(
        verify_secret_hash(&secret, &username, &client_id, &submitted),
        naive_ok,
        "SecretHash verification disagrees with the naive reference"
    );
    assert!(verify_secret_hash(&secret, &username, &client_id, &good));
    assert_eq!(
        cognito_signup::code::secret_hash(&secret, &username, &client_id),
        good
    );
}

/// Pool and client management sequences over one in-memory catalog ([pool-operations]): the
/// bytes are requests separated by `0xFF`, each an operation byte and the request's JSON, in
/// which `$P` and `$C` stand for the pool and the client created last. No request panics or
/// answers InternalErrorException; no error shows a client secret; afterwards every listed pool
/// and client describes as listed, every client's pool exists, and a deleted pool's clients and
/// users are gone ([pool-delete]).
pub fn manage(data: &[u8]) {
    use cognito_signup::manage::{
        CreateUserPoolClientRequest, CreateUserPoolRequest, ListUserPoolClientsRequest,
        ListUserPoolsRequest, UpdateUserPoolClientRequest, UpdateUserPoolRequest,
        UserPoolClientRequest, UserPoolRequest,
    };
    use cognito_signup::reference::{CatalogDirectory, StaticDirectory};
    use cognito_signup::{Driver, ManualClock, PasswordHashing, SeededRandomness};

    let store = Arc::new(MemoryStore::new());
    let directory = CatalogDirectory::new(StaticDirectory::new(), store.clone(), |_: &str| {
        Ok(CodeKeys::new(&[[7; 32]])?)
    });
    let driver = Driver::new(store.clone(), Arc::new(directory))
        .with_catalog(store.clone())
        .with_clock(Arc::new(ManualClock::new(Timestamp::from_millis(T0))))
        .with_randomness(Arc::new(SeededRandomness::new([5; 32])))
        .with_password_hashing(PasswordHashing::insecure_fast_for_tests());
    let mut pool = String::from("us-east-1_none");
    let mut client = String::from("noclient");
    let mut secrets: Vec<String> = Vec::new();
    let mut deleted: Vec<String> = Vec::new();
    for chunk in data.split(|&b| b == 0xFF).take(48) {
        let Some((&op, json)) = chunk.split_first() else {
            continue;
        };
        let text = String::from_utf8_lossy(json)
            .replace("$P", &pool)
            .replace("$C", &client);
        fn parse<T: serde::de::DeserializeOwned>(text: &str) -> Option<T> {
            serde_json::from_str(text).ok()
        }
        let result: Option<Result<(), Error>> = match op % 12 {
            0 => parse::<CreateUserPoolRequest>(&text).map(|r| {
                driver.create_user_pool(r).map(|out| {
                    pool.clone_from(&out.user_pool.id);
                    deleted.retain(|d| *d != pool);
                })
            }),
            1 => parse::<UserPoolRequest>(&text).map(|r| driver.describe_user_pool(r).map(drop)),
            2 => {
                parse::<UpdateUserPoolRequest>(&text).map(|r| driver.update_user_pool(r).map(drop))
            }
            3 => parse::<UserPoolRequest>(&text).map(|r| {
                let id = r.user_pool_id.clone();
                driver.delete_user_pool(r).map(|_| deleted.extend(id))
            }),
            4 => parse::<ListUserPoolsRequest>(&text).map(|r| driver.list_user_pools(r).map(drop)),
            5 => parse::<CreateUserPoolClientRequest>(&text).map(|r| {
                driver.create_user_pool_client(r).map(|out| {
                    client.clone_from(&out.user_pool_client.client_id);
                    secrets.extend(out.user_pool_client.client_secret.clone());
                })
            }),
            6 => parse::<UserPoolClientRequest>(&text)
                .map(|r| driver.describe_user_pool_client(r).map(drop)),
            7 => parse::<UpdateUserPoolClientRequest>(&text)
                .map(|r| driver.update_user_pool_client(r).map(drop)),
            8 => parse::<UserPoolClientRequest>(&text)
                .map(|r| driver.delete_user_pool_client(r).map(drop)),
            9 => parse::<ListUserPoolClientsRequest>(&text)
                .map(|r| driver.list_user_pool_clients(r).map(drop)),
            10 => parse::<SignUpRequest>(&text).map(|r| driver.sign_up(r).map(drop)),
            _ => parse::<ListUsersRequest>(&text).map(|r| driver.list_users(&r).map(drop)),
        };
        if let Some(Err(e)) = result {
            assert!(Exception::from_name(e.name()).is_some());
            assert_ne!(e.exception(), Exception::InternalError, "{e}");
            for secret in &secrets {
                assert!(!e.message().contains(secret.as_str()), "{e}");
                assert!(!format!("{e:?}").contains(secret.as_str()), "{e:?}");
            }
        }
    }
    // The catalog is consistent with itself and with the users.
    let pools = driver
        .list_user_pools(ListUserPoolsRequest::new(60))
        .unwrap()
        .user_pools;
    for listed in &pools {
        let described = driver
            .describe_user_pool(UserPoolRequest::new(&listed.id))
            .unwrap()
            .user_pool;
        assert_eq!(described.id, listed.id);
        let clients = driver
            .list_user_pool_clients(ListUserPoolClientsRequest::new(&listed.id))
            .unwrap()
            .user_pool_clients;
        for c in clients {
            let d = driver
                .describe_user_pool_client(UserPoolClientRequest::new(&listed.id, &c.client_id))
                .unwrap()
                .user_pool_client;
            assert_eq!(d.user_pool_id.as_deref(), Some(listed.id.as_str()));
        }
    }
    for gone in &deleted {
        assert!(
            pools.iter().all(|p| p.id != *gone),
            "a deleted pool is listed"
        );
        let e = driver
            .describe_user_pool(UserPoolRequest::new(gone))
            .unwrap_err();
        assert_eq!(e.exception(), Exception::ResourceNotFound, "{e}");
        use cognito_signup::host::UserStore as _;
        assert!(
            store.list(gone, None, 1).unwrap().is_empty(),
            "a deleted pool keeps users"
        );
    }
}
