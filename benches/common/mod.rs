//! The fixture shared by the benches and the profiling example: a pool, three app clients, users
//! committed straight into a [`MemoryStore`] with known codes, and the floor (the work no
//! implementation of ConfirmSignUp can skip).
//!
//! Users are `user` + 12 digits (16 characters), with an email address and a pending code whose
//! tag is made with the pool's [`CodeKeys`], exactly as SignUp stores it.

#![allow(
    dead_code,
    unreachable_pub,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::arithmetic_side_effects,
    clippy::cast_possible_truncation,
    missing_docs
)]

use base64::Engine as _;
use cognito_signup::code::{Code, secret_hash};
use cognito_signup::host::RateLimiter;
use cognito_signup::protocol::ThrottleRequest;
use cognito_signup::reference::Unlimited;
use cognito_signup::store::{Commit, IndexKey, IndexWrite, RecordWrite};
use cognito_signup::user::PendingCode;
use cognito_signup::{
    AppClient, CodeKeys, ConfirmSignUpRequest, Driver, ManualClock, MemoryStore, NoDelivery,
    SeededRandomness, StaticDirectory, Timestamp, UserPool, UserRecord, UserStatus, UserStore,
    VerifiableAttribute,
};
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;
use std::collections::HashMap;
use std::hint::black_box;
use std::sync::Arc;
use std::time::{Duration, Instant};
use subtle::ConstantTimeEq;

pub const POOL_ID: &str = "us-east-1_BenchPool01";
/// A client without a secret, LEGACY existence errors.
pub const PLAIN: &str = "benchplainclient0000000000";
/// A client with a secret.
pub const SECRET_CLIENT: &str = "benchsecretclient000000000";
/// A client without a secret, PreventUserExistenceErrors ENABLED.
pub const HIDDEN: &str = "benchhiddenclient000000000";
pub const CLIENT_SECRET: &str = "1example23456789secretsecretsecret0123456789abcdef";
pub const CODE_KEY: [u8; 32] = [0x42; 32];
pub const NOW: Timestamp = Timestamp::from_secs(1_800_000_000);

pub fn pool() -> UserPool {
    UserPool::from_json(&format!(
        r#"{{"UserPool": {{
            "Id": "{POOL_ID}",
            "AutoVerifiedAttributes": ["email"],
            "Policies": {{"SignInPolicy": {{"AllowedFirstAuthFactors": ["PASSWORD", "EMAIL_OTP"]}}}}
        }}}}"#
    ))
    .unwrap()
}

pub fn code_keys() -> CodeKeys {
    CodeKeys::new(&[CODE_KEY]).unwrap()
}

pub fn directory() -> StaticDirectory {
    let mut d = StaticDirectory::new();
    d.add_pool(pool(), code_keys());
    d.add_client(POOL_ID, AppClient::new(PLAIN)).unwrap();
    let mut secret = AppClient::new(SECRET_CLIENT);
    secret.client_secret = Some(CLIENT_SECRET.to_owned());
    d.add_client(POOL_ID, secret).unwrap();
    let hidden = AppClient::from_json(&format!(
        r#"{{"ClientId": "{HIDDEN}", "PreventUserExistenceErrors": "ENABLED"}}"#
    ))
    .unwrap();
    d.add_client(POOL_ID, hidden).unwrap();
    d
}

/// A rate limiter that refuses every request (the throttled path).
#[derive(Debug)]
pub struct DenyAll;

impl RateLimiter for DenyAll {
    fn try_acquire(&self, _: &ThrottleRequest) -> bool {
        false
    }
}

/// A driver over `store`: fixed clock, seeded randomness, no delivery, no throttling (the
/// limiter is the host's and the pool's 50 requests/s would stop a benchmark at once).
pub fn driver(store: Arc<MemoryStore>) -> Driver<Arc<MemoryStore>> {
    Driver::new(store, Arc::new(directory()))
        .with_clock(Arc::new(ManualClock::new(NOW)))
        .with_randomness(Arc::new(SeededRandomness::new([9; 32])))
        .with_delivery(Arc::new(NoDelivery))
        .with_rate_limiter(Arc::new(Unlimited))
}

pub fn username(i: usize) -> String {
    format!("user{i:012}")
}

pub fn email(i: usize) -> String {
    format!("user{i:012}@example.com")
}

pub fn sub(i: usize) -> String {
    format!("00000000-0000-4000-8000-{i:012}")
}

/// The code of user `i` (six digits).
pub fn code(i: usize) -> String {
    format!("{:06}", (i.wrapping_mul(7919)) % 1_000_000)
}

/// A code that is not user `i`'s.
pub fn wrong_code(i: usize) -> String {
    format!("{:06}", (i.wrapping_mul(7919).wrapping_add(1)) % 1_000_000)
}

/// User `i` as SignUp would have stored it: UNCONFIRMED, email, a live code.
pub fn record(keys: &CodeKeys, i: usize) -> UserRecord {
    let username = username(i);
    let tag = keys.tag(POOL_ID, &username, &Code::parse(&code(i)).unwrap());
    UserRecord {
        username: username.into(),
        sub: sub(i).into(),
        status: UserStatus::Unconfirmed,
        enabled: true,
        email: Some(email(i).into()),
        email_verified: false,
        phone_number: None,
        phone_number_verified: false,
        other_attributes: Vec::new(),
        password: None,
        created: NOW,
        last_modified: NOW,
        code: Some(PendingCode {
            tag,
            issued_at: NOW,
            attribute: VerifiableAttribute::Email,
            failed_checks: 0,
        }),
        failed_confirmations: Vec::new(),
        resends: Vec::new(),
    }
}

/// Commits users `range` as new users (record, username and `sub` index entries).
pub fn populate(store: &MemoryStore, keys: &CodeKeys, range: std::ops::Range<usize>) {
    for i in range {
        let rec = record(keys, i);
        let commit = Commit {
            removals: Vec::new(),
            index: vec![
                IndexWrite {
                    key: IndexKey::username(&rec.username),
                    expected: None,
                    new: Some(rec.sub.to_string()),
                },
                IndexWrite {
                    key: IndexKey::sub(&rec.sub),
                    expected: None,
                    new: Some(rec.sub.to_string()),
                },
            ],
            records: vec![RecordWrite {
                expected_version: None,
                record: rec,
            }],
        };
        let _ = store.commit(POOL_ID, &commit).unwrap();
    }
}

/// Puts user `i` back to UNCONFIRMED with a live code and no counted attempts.
pub fn rearm(store: &MemoryStore, keys: &CodeKeys, i: usize) {
    let found = store
        .find(POOL_ID, &[IndexKey::sub(&sub(i))])
        .unwrap()
        .expect("populated");
    let commit = Commit {
        removals: Vec::new(),
        records: vec![RecordWrite {
            expected_version: Some(found.version),
            record: record(keys, i),
        }],
        index: Vec::new(),
    };
    let _ = store.commit(POOL_ID, &commit).unwrap();
}

/// A fixed pseudo-random permutation of `0..n` (so that users are visited in no cache-friendly
/// order, as real traffic would).
pub fn shuffled(n: usize, seed: u64) -> Vec<usize> {
    let mut v: Vec<usize> = (0..n).collect();
    let mut x = seed | 1;
    for i in (1..n).rev() {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        let j = (x % (i as u64 + 1)) as usize;
        v.swap(i, j);
    }
    v
}

/// ConfirmSignUp stepped through the public continuations, as a host that answers each need
/// itself does: [`Operation::start`](cognito_signup::Operation::start), then
/// [`Driver::answer`] for every need.
pub fn stepped(
    driver: &Driver<Arc<MemoryStore>>,
    request: ConfirmSignUpRequest,
) -> Result<cognito_signup::ConfirmSignUpResponse, cognito_signup::Error> {
    use cognito_signup::Operation as _;
    let mut step = cognito_signup::ops::ConfirmSignUp::new(request, NOW).start();
    loop {
        match step {
            cognito_signup::Step::Need(need) => step = driver.answer(need),
            cognito_signup::Step::Done(result) => return result,
        }
    }
}

/// The ConfirmSignUp request of user `i`, with a SecretHash when `client` is the secret client.
pub fn confirm_request(client: &str, i: usize, code: String) -> ConfirmSignUpRequest {
    let mut r = ConfirmSignUpRequest::new(client, username(i), code);
    if client == SECRET_CLIENT {
        r.secret_hash = Some(secret_hash(CLIENT_SECRET, &username(i), SECRET_CLIENT));
    }
    r
}

type HmacSha256 = Hmac<Sha256>;

/// The floor: what any ConfirmSignUp must do for one request. One HMAC-SHA256 of the SecretHash
/// message with the Base64 decode and a constant-time compare (for a client with a secret), one
/// HMAC-SHA256 code tag with a constant-time compare, one hash-map lookup (username → tag) in a
/// map of the same size as the store. Both HMAC keys are set up once, as a server can cache
/// them.
pub struct Floor {
    secret: HmacSha256,
    code: HmacSha256,
    tags: HashMap<String, [u8; 32]>,
}

/// One user's request as the floor sees it.
pub struct FloorRequest {
    pub username: String,
    pub code: String,
    pub secret_hash: String,
}

impl Floor {
    pub fn new(n: usize) -> Self {
        let keys = code_keys();
        let mut tags = HashMap::with_capacity(n);
        for i in 0..n {
            let u = username(i);
            let tag = keys.tag(POOL_ID, &u, &Code::parse(&code(i)).unwrap());
            tags.insert(u, tag.to_bytes());
        }
        Self {
            secret: HmacSha256::new_from_slice(CLIENT_SECRET.as_bytes()).unwrap(),
            code: HmacSha256::new_from_slice(&CODE_KEY).unwrap(),
            tags,
        }
    }

    pub fn request(i: usize) -> FloorRequest {
        FloorRequest {
            username: username(i),
            code: code(i),
            secret_hash: secret_hash(CLIENT_SECRET, &username(i), SECRET_CLIENT),
        }
    }

    /// The floor's work for one request; `true` when everything matched.
    #[inline(never)]
    pub fn check(&self, r: &FloorRequest, with_secret: bool) -> bool {
        let mut ok = subtle::Choice::from(1);
        if with_secret {
            let mut mac = self.secret.clone();
            mac.update(r.username.as_bytes());
            mac.update(SECRET_CLIENT.as_bytes());
            let mut decoded = [0u8; 33];
            let good = match base64::engine::general_purpose::STANDARD
                .decode_slice(r.secret_hash.as_bytes(), &mut decoded)
            {
                Ok(32) => mac.verify_slice(&decoded[..32]).is_ok(),
                _ => false,
            };
            ok &= subtle::Choice::from(u8::from(good));
        }
        let Some(stored) = self.tags.get(r.username.as_str()) else {
            return false;
        };
        let mut mac = self.code.clone();
        for part in [POOL_ID.as_bytes(), r.username.as_bytes(), r.code.as_bytes()] {
            mac.update(&(part.len() as u32).to_be_bytes());
            mac.update(part);
        }
        let candidate: [u8; 32] = mac.finalize().into_bytes().into();
        ok &= candidate.ct_eq(stored);
        bool::from(ok)
    }
}

/// The `X-Amz-Target` of ConfirmSignUp.
pub const CONFIRM_TARGET: &str = "AWSCognitoIdentityProviderService.ConfirmSignUp";

/// The JSON body an SDK sends for [`confirm_request`]`(client, i, code)`: ClientId, Username,
/// ConfirmationCode and, for the secret client, SecretHash.
pub fn confirm_body(client: &str, i: usize, code: &str) -> Vec<u8> {
    let mut body = serde_json::json!({
        "ClientId": client,
        "Username": username(i),
        "ConfirmationCode": code,
    });
    if client == SECRET_CLIENT {
        body["SecretHash"] = secret_hash(CLIENT_SECRET, &username(i), SECRET_CLIENT).into();
    }
    serde_json::to_vec(&body).unwrap()
}

/// How many requests are prepared, untimed, between two timed stretches.
const CHUNK: usize = 4096;

/// Times `run` over inputs made by `make(k)` for consecutive `k`, `CHUNK` at a time, with
/// `between` called (untimed) before each chunk with the first `k` of the chunk. Chunks never
/// straddle a round of `users`, so that re-arming the users happens between rounds.
pub fn timed<R>(
    users: usize,
    iters: u64,
    next: &mut usize,
    mut between: impl FnMut(usize),
    make: impl Fn(usize) -> R,
    mut run: impl FnMut(R),
) -> Duration {
    let mut total = Duration::ZERO;
    let mut left = usize::try_from(iters).unwrap();
    while left > 0 {
        let take = left.min(CHUNK).min(users - *next % users);
        between(*next);
        let inputs: Vec<R> = (*next..*next + take).map(&make).collect();
        *next += take;
        left -= take;
        let t = Instant::now();
        for r in inputs {
            run(black_box(r));
        }
        total += t.elapsed();
    }
    total
}

/// A user as [`Bare`] keeps it: what the accepted path reads and writes.
struct BareUser {
    confirmed: bool,
    enabled: bool,
    email_verified: bool,
    /// The code's tag and when it was issued.
    code: Option<([u8; 32], u64)>,
    failed_confirmations: Vec<u64>,
    last_modified: u64,
}

/// ConfirmSignUp's accepted path written as one function over plain maps, with no step
/// protocol, no host traits, no index and no versions: request shape (the five members' lengths
/// and byte classes, ASCII only), client lookup, SecretHash, the user under a write lock,
/// enabled, attempts in the window, status, code age, the code tag, and the confirmation
/// written in place. It is not a conforming implementation (one lock for every user, no
/// PreventUserExistenceErrors, no alias handling, no trigger, no rate limiter; its request
/// validation is ASCII only); it shows what the checks themselves cost beside the floor, and so
/// how much of ConfirmSignUp's time is the protocol and the store's contract.
pub struct Bare {
    clients: HashMap<String, Option<HmacSha256>>,
    code: HmacSha256,
    users: std::sync::RwLock<HashMap<String, BareUser>>,
    /// Every user's tag, for [`rearm`](Self::rearm).
    tags: HashMap<String, [u8; 32]>,
}

/// Bytes of `[\w+=/]` (SecretHash) and of `\w` (ClientId); ASCII graphic bytes stand for the
/// username's and the code's classes.
fn bare_class(s: &str, max: usize, ok: impl Fn(u8) -> bool) -> bool {
    !s.is_empty() && s.len() <= max && s.bytes().all(ok)
}

impl Bare {
    const NOW: u64 = 1_800_000_000;
    const WINDOW: u64 = 3600;
    const PER_WINDOW: usize = 15;
    const VALIDITY: u64 = 24 * 3600;

    pub fn new(n: usize) -> Self {
        let tags = Floor::new(n).tags;
        let users = tags
            .iter()
            .map(|(name, &tag)| {
                let user = BareUser {
                    confirmed: false,
                    enabled: true,
                    email_verified: false,
                    code: Some((tag, Self::NOW)),
                    failed_confirmations: Vec::new(),
                    last_modified: Self::NOW,
                };
                (name.clone(), user)
            })
            .collect();
        let mut clients = HashMap::new();
        clients.insert(PLAIN.to_owned(), None);
        clients.insert(
            SECRET_CLIENT.to_owned(),
            Some(HmacSha256::new_from_slice(CLIENT_SECRET.as_bytes()).unwrap()),
        );
        Self {
            clients,
            code: HmacSha256::new_from_slice(&CODE_KEY).unwrap(),
            users: std::sync::RwLock::new(users),
            tags,
        }
    }

    /// Puts every user back to unconfirmed with their code.
    pub fn rearm(&self) {
        for (name, user) in self.users.write().unwrap().iter_mut() {
            user.confirmed = false;
            user.email_verified = false;
            user.code = Some((self.tags[name], Self::NOW));
        }
    }

    /// One ConfirmSignUp; `true` when the user was confirmed. Takes the request by value, as
    /// the driver does.
    #[inline(never)]
    pub fn confirm(&self, r: ConfirmSignUpRequest) -> bool {
        let word = |b: u8| b.is_ascii_alphanumeric() || b == b'_';
        let (Some(client_id), Some(username), Some(code)) = (
            r.client_id.as_deref(),
            r.username.as_deref(),
            r.confirmation_code.as_deref(),
        ) else {
            return false;
        };
        let shape = bare_class(client_id, 128, word)
            && bare_class(username, 128, |b| b.is_ascii_graphic())
            && bare_class(code, 2048, |b| b.is_ascii_graphic())
            && r.secret_hash
                .as_deref()
                .is_none_or(|h| bare_class(h, 128, |b| word(b) || matches!(b, b'+' | b'=' | b'/')))
            && r.session.is_none()
            && r.client_metadata.is_none();
        if !shape {
            return false;
        }
        let Some(secret) = self.clients.get(client_id) else {
            return false;
        };
        match (secret, r.secret_hash.as_deref()) {
            (None, None) => {}
            (Some(secret), Some(hash)) => {
                let mut mac = secret.clone();
                mac.update(username.as_bytes());
                mac.update(client_id.as_bytes());
                let mut decoded = [0u8; 33];
                let good = match base64::engine::general_purpose::STANDARD
                    .decode_slice(hash.as_bytes(), &mut decoded)
                {
                    Ok(32) => mac.verify_slice(&decoded[..32]).is_ok(),
                    _ => false,
                };
                if !good {
                    return false;
                }
            }
            _ => return false,
        }
        let mut users = self.users.write().unwrap();
        let Some(user) = users.get_mut(username) else {
            return false;
        };
        let now = Self::NOW;
        let failures = user
            .failed_confirmations
            .iter()
            .filter(|&&t| t.saturating_add(Self::WINDOW) > now)
            .count();
        if !user.enabled || failures >= Self::PER_WINDOW || user.confirmed {
            return false;
        }
        let Some((tag, issued)) = user.code else {
            return false;
        };
        if now.saturating_sub(issued) >= Self::VALIDITY {
            return false;
        }
        let mut mac = self.code.clone();
        for part in [POOL_ID.as_bytes(), username.as_bytes(), code.as_bytes()] {
            mac.update(&(part.len() as u32).to_be_bytes());
            mac.update(part);
        }
        let candidate: [u8; 32] = mac.finalize().into_bytes().into();
        if !bool::from(candidate.ct_eq(&tag)) {
            user.failed_confirmations.push(now);
            return false;
        }
        user.confirmed = true;
        user.email_verified = true;
        user.code = None;
        user.last_modified = now;
        true
    }
}
