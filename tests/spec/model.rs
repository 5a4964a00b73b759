//! The reference model: the sign-up confirmation family as plain data, written from
//! `docs/behaviour.md` (order of checks, codes, attempt limits, existence hiding, names, triggers,
//! resend and admin confirmation), without calling into the crate's operations.
//!
//! The model knows users by the order they were created and codes by the order they were issued;
//! the system under test maps those to real `sub`s and real codes.

use std::fmt;

/// The start of time in every test: 2023-11-14T22:13:20Z.
pub(crate) const T0: u64 = 1_700_000_000_000;
const HOUR: u64 = 3_600_000;

/// Which kind of pool a test runs against.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum PoolKind {
    /// A username, no aliases.
    Plain,
    /// A username, with `email` as an alias attribute.
    EmailAlias,
    /// `email` is the username attribute: the username is the `sub`.
    EmailUsername,
}

/// The pool and clients of one test case.
#[derive(Clone, Debug)]
pub(crate) struct Config {
    /// The kind of pool.
    pub(crate) kind: PoolKind,
    /// `UsernameConfiguration.CaseSensitive = false`.
    pub(crate) case_insensitive: bool,
    /// `SignUpPolicy::hardened()` instead of `::cognito()`.
    pub(crate) hardened: bool,
    /// A PreSignUp trigger is configured.
    pub(crate) pre_sign_up: bool,
    /// A PostConfirmation trigger is configured.
    pub(crate) post_confirmation: bool,
    /// Both app clients have a client secret.
    pub(crate) secret: bool,
    /// A CustomMessage trigger is configured.
    pub(crate) custom_message: bool,
    /// `phone_number` is auto-verified too (and wins over `email`, [verified-attribute]).
    pub(crate) phone: bool,
}

impl Config {
    fn failures_per_window(&self) -> usize {
        15
    }
    fn resends_per_window(&self) -> usize {
        5
    }
    fn per_code_cap(&self) -> Option<u32> {
        self.hardened.then_some(5)
    }
    fn min_between_codes(&self) -> u64 {
        if self.hardened { 60_000 } else { 0 }
    }
    fn code_validity(&self) -> u64 {
        24 * HOUR
    }
    fn window(&self) -> u64 {
        HOUR
    }
    pub(crate) fn fold(&self, s: &str) -> String {
        if self.case_insensitive {
            s.to_lowercase()
        } else {
            s.to_owned()
        }
    }
}

/// The two app clients.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Client {
    /// `PreventUserExistenceErrors=LEGACY`.
    Legacy,
    /// `PreventUserExistenceErrors=ENABLED`.
    Enabled,
}

impl Client {
    /// The client id.
    pub(crate) fn id(self) -> &'static str {
        match self {
            Client::Legacy => "legacyclient",
            Client::Enabled => "enabledclient",
        }
    }
}

/// What the request carries as `SecretHash`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Secret {
    /// No `SecretHash`.
    Missing,
    /// The right hash over the Username as sent.
    Good,
    /// A hash computed with another secret.
    Wrong,
}

/// What a Lambda trigger does when invoked.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Reply {
    /// Returns the event unchanged.
    Echo,
    /// PreSignUp: returns the event with these flags. CustomMessage: returns an
    /// `emailMessage`, with the code placeholder when `confirm`, without it otherwise.
    /// PostConfirmation: as `Echo`.
    Flags {
        /// `autoConfirmUser`
        confirm: bool,
        /// `autoVerifyEmail`
        verify: bool,
    },
    /// The function throws.
    FunctionError,
    /// Every try times out.
    Timeout,
    /// The function returns a body that is not the event's shape (which one: `n`).
    Garbage(u8),
}

/// How a request names its user.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Addr {
    /// The username as signed up (the email in username-attribute pools).
    Username,
    /// The same in upper case.
    UsernameUpper,
    /// The email address.
    Email,
    /// The email address in upper case.
    EmailUpper,
    /// The `sub`.
    Sub,
}

/// Which code a ConfirmSignUp sends.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum CodePick {
    /// The target's live code.
    Correct,
    /// The live code with its first digit changed.
    WrongFirst,
    /// The live code with its last digit changed.
    WrongLast,
    /// The target's previous code.
    Superseded,
    /// Another user's live code.
    OtherUsers,
}

/// One step of a test.
#[derive(Clone, Debug)]
pub(crate) enum Transition {
    /// SignUp.
    SignUp {
        /// Which of the candidate names.
        name: u8,
        /// Which of the candidate emails (alias and plain pools).
        email: u8,
        /// Send the username with an upper-case first letter.
        upper_name: bool,
        /// Send the email with upper-case first letters.
        upper_email: bool,
        /// Which of the candidate phone numbers, if any.
        phone: Option<u8>,
        /// The client.
        client: Client,
        /// The SecretHash.
        secret: Secret,
        /// The PreSignUp function's reply.
        pre: Reply,
        /// The PostConfirmation function's reply.
        post: Reply,
        /// The CustomMessage function's reply.
        custom: Reply,
        /// Delivery fails.
        delivery_fails: bool,
    },
    /// ConfirmSignUp.
    Confirm {
        /// The target user (modulo users + 1; the extra one is a user who does not exist).
        who: u8,
        /// How the user is named.
        addr: Addr,
        /// Which code.
        code: CodePick,
        /// `ForceAliasCreation`.
        force: Option<bool>,
        /// The client.
        client: Client,
        /// The SecretHash.
        secret: Secret,
        /// The PostConfirmation function's reply.
        post: Reply,
    },
    /// ResendConfirmationCode.
    Resend {
        /// The target user.
        who: u8,
        /// How the user is named.
        addr: Addr,
        /// The client.
        client: Client,
        /// The SecretHash.
        secret: Secret,
        /// The CustomMessage function's reply.
        custom: Reply,
        /// Delivery fails.
        delivery_fails: bool,
    },
    /// AdminConfirmSignUp.
    AdminConfirm {
        /// The target user.
        who: u8,
        /// How the user is named.
        addr: Addr,
        /// The PostConfirmation function's reply.
        post: Reply,
    },
    /// AdminDisableUser (`enable = false`) or AdminEnableUser.
    SetEnabled {
        /// The target user.
        who: u8,
        /// How the user is named.
        addr: Addr,
        /// Enable or disable.
        enable: bool,
    },
    /// The same ConfirmSignUp with a wrong code, `times` times in a row (a guessing attack).
    Hammer {
        /// The target user.
        who: u8,
        /// How many attempts.
        times: u8,
        /// The client.
        client: Client,
    },
    /// Time passes.
    Tick {
        /// Milliseconds.
        millis: u64,
    },
    /// The host's clock steps back.
    StepBack {
        /// Milliseconds.
        millis: u64,
    },
}

/// A name as sent: text, or the `sub` of a model user (known only to the system under test).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Sent {
    /// This text.
    Text(String),
    /// The `sub` of this user.
    SubOf(usize),
}

/// A code as sent.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum SentCode {
    /// The code of this issuance.
    Issued(usize),
    /// The code of this issuance with its first digit changed.
    AlteredFirst(usize),
    /// The code of this issuance with its last digit changed.
    AlteredLast(usize),
    /// A fixed code that was never issued.
    Never,
}

/// A response as the model predicts it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Response {
    /// SignUp: `UserConfirmed`, and the masked destination if a code was sent.
    SignUp {
        /// `UserConfirmed`
        confirmed: bool,
        /// `CodeDeliveryDetails.Destination` (medium EMAIL, attribute email).
        destination: Option<String>,
    },
    /// ResendConfirmationCode to a real user.
    Resend {
        /// `CodeDeliveryDetails.Destination`.
        destination: String,
    },
    /// ResendConfirmationCode under ENABLED to a missing or disabled user: a delivery that did
    /// not happen, with a destination that reveals nothing: the name masked where the name is an
    /// address users sign in with (`Some`), else a fake that is the same for every call with
    /// that name (`None`).
    SimulatedResend {
        /// The masked name, when the name is the delivery address.
        destination: Option<String>,
    },
    /// `{}`.
    Empty,
}

/// An expected outcome: a response, or an exception name and message.
#[derive(Clone, PartialEq, Eq)]
pub(crate) enum Expected {
    /// Success.
    Ok(Response),
    /// The exception's name and message.
    Err(&'static str, String),
}

impl fmt::Debug for Expected {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Expected::Ok(r) => write!(f, "Ok({r:?})"),
            Expected::Err(n, m) => write!(f, "{n}: {m}"),
        }
    }
}

/// What the last transition did, for the system under test to replay and compare.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Last {
    /// The expected outcome (`None` for time passing).
    pub(crate) expected: Option<Expected>,
    /// The Username as sent.
    pub(crate) sent: Option<Sent>,
    /// The code as sent (ConfirmSignUp).
    pub(crate) code: Option<SentCode>,
    /// The user the request found, if any.
    pub(crate) found: Option<usize>,
    /// Whether the operation committed (a code check failure counts: it commits its counters).
    pub(crate) committed: bool,
    /// Whether the only change is a counted failed code check of `found`.
    pub(crate) counted_failure: bool,
    /// The issuance the operation created, if it issued a code.
    pub(crate) issued: Option<usize>,
    /// The live code of the found user before the operation (ConfirmSignUp).
    pub(crate) live: Option<usize>,
    /// The email attribute sent (SignUp).
    pub(crate) email: Option<String>,
    /// The phone_number attribute sent (SignUp).
    pub(crate) phone: Option<String>,
    /// The outcomes of each attempt of a `Hammer`, with the code each sent.
    pub(crate) burst: Vec<(Expected, SentCode, Option<usize>)>,
}

impl Last {
    fn none() -> Self {
        Self {
            expected: None,
            sent: None,
            code: None,
            found: None,
            committed: false,
            counted_failure: false,
            issued: None,
            live: None,
            email: None,
            phone: None,
            burst: Vec::new(),
        }
    }
}

/// A pending code.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct MCode {
    /// Which issuance.
    pub(crate) issue: usize,
    /// When it was issued.
    pub(crate) issued_at: u64,
    /// Failed checks against it.
    pub(crate) failed: u32,
    /// Sent by SMS to the phone number (else by email).
    pub(crate) sms: bool,
}

/// A user of the model.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct MUser {
    /// The Username sent to SignUp (in username-attribute pools: the email).
    pub(crate) signed_up_as: String,
    /// The email address, as sent.
    pub(crate) email: String,
    /// CONFIRMED.
    pub(crate) confirmed: bool,
    /// Enabled.
    pub(crate) enabled: bool,
    /// `email_verified`.
    pub(crate) email_verified: bool,
    /// The phone number, as sent.
    pub(crate) phone: Option<String>,
    /// `phone_number_verified`.
    pub(crate) phone_verified: bool,
    /// The live code.
    pub(crate) code: Option<MCode>,
    /// Issuances of this user, oldest first.
    pub(crate) issues: Vec<usize>,
    /// Times of counted failed code checks.
    pub(crate) failures: Vec<u64>,
    /// Times of resends.
    pub(crate) resends: Vec<u64>,
    /// PostConfirmation invocations for this user.
    pub(crate) post_confirmations: u32,
}

/// The model's state.
#[derive(Clone, Debug)]
pub(crate) struct ModelState {
    /// The configuration.
    pub(crate) config: Config,
    /// The time.
    pub(crate) now: u64,
    /// Users, in order of creation.
    pub(crate) users: Vec<MUser>,
    /// How many codes were issued.
    pub(crate) issued: usize,
    /// What the last transition did.
    pub(crate) last: Last,
    /// Resend times of names that must look present (missing or disabled) under ENABLED, by
    /// name as folded: each counts as a present user's resends do.
    pub(crate) hidden_resends: std::collections::HashMap<String, Vec<u64>>,
}

/// Candidate usernames.
pub(crate) const NAMES: [&str; 3] = ["alice", "bob", "carol"];
/// Candidate emails: two, so that users compete for them.
pub(crate) const EMAILS: [&str; 3] = ["ann@example.com", "bo@example.com", "cy@example.org"];

/// The first letter of each part in upper case: `Ann@Example.com`.
pub(crate) fn upper_email(e: &str) -> String {
    let (local, domain) = e.split_once('@').unwrap_or((e, ""));
    format!("{}@{}", upper_first(local), upper_first(domain))
}

/// The first letter in upper case.
pub(crate) fn upper_first(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

/// [delivery-mask]: `+`, a star per hidden digit, the last four digits.
pub(crate) fn mask_phone(number: &str) -> String {
    let digits: Vec<char> = number.chars().filter(char::is_ascii_digit).collect();
    let hidden = digits.len().saturating_sub(4);
    let shown: String = digits[hidden..].iter().collect();
    format!("+{}{shown}", "*".repeat(hidden))
}

/// Candidate phone numbers.
pub(crate) const PHONES: [&str; 2] = ["+15550100", "+447700900123"];

/// [delivery-mask]: first character of the local part and of the domain, then the top-level domain.
pub(crate) fn mask(email: &str) -> String {
    let (local, domain) = email.split_once('@').unwrap_or((email, ""));
    let first = |s: &str| s.chars().next().map(String::from).unwrap_or_default();
    let tld = domain.rsplit_once('.').map(|(_, t)| t).unwrap_or("");
    format!("{}***@{}***.{}", first(local), first(domain), tld)
}

fn err(name: &'static str, message: impl Into<String>) -> Expected {
    Expected::Err(name, message.into())
}

const MISMATCH: &str = "Invalid verification code provided, please try again.";
const EXPIRED: &str = "Invalid code provided, please request a code again.";
const LIMIT: &str = "Attempt limit exceeded, please try after some time.";
const NOT_FOUND_PUBLIC: &str = "Username/client id combination not found.";
const NOT_FOUND_ADMIN: &str = "User does not exist.";
const DISABLED: &str = "User is disabled.";
const DELIVERY: &str = "Unable to deliver the confirmation code.";

/// What a trigger's reply becomes ([trigger-invocation]): `None` when the trigger succeeded.
fn trigger_error(trigger: &str, reply: Reply) -> Option<Expected> {
    match reply {
        Reply::Flags { confirm: false, .. } if trigger == "CustomMessage" => Some(err(
            "InvalidLambdaResponseException",
            "Unrecognizable lambda output",
        )),
        Reply::Echo | Reply::Flags { .. } => None,
        Reply::FunctionError => Some(err(
            "UserLambdaValidationException",
            format!("{trigger} failed with error Rejected by the test function."),
        )),
        Reply::Timeout => Some(err(
            "UnexpectedLambdaException",
            format!(
                "{trigger} invocation failed due to error Socket timeout while invoking Lambda function."
            ),
        )),
        Reply::Garbage(_) => Some(err(
            "InvalidLambdaResponseException",
            "Unrecognizable lambda output",
        )),
    }
}

impl ModelState {
    /// A model with no users at `T0`.
    pub(crate) fn new(config: Config) -> Self {
        Self {
            config,
            now: T0,
            users: Vec::new(),
            issued: 0,
            last: Last::none(),
            hidden_resends: std::collections::HashMap::new(),
        }
    }

    /// Events inside the window; events later than now (the clock stepped back) still count:
    /// a clock change never gives guesses back.
    fn in_window(&self, times: &[u64]) -> usize {
        let from = self.now.saturating_sub(self.config.window());
        times.iter().filter(|t| **t > from).count()
    }

    /// Counted failures of a user inside the attempt window.
    pub(crate) fn failures_in_window(&self, u: &MUser) -> usize {
        self.in_window(&u.failures)
    }

    /// A counted failure of user `i` ([limits-confirm]): a time in the window, one more failed
    /// check of the live code, committed.
    fn count_failure(&mut self, i: usize) {
        let now = self.now;
        let window_from = now.saturating_sub(self.config.window());
        let u = &mut self.users[i];
        u.failures.retain(|t| *t > window_from);
        u.failures.push(now);
        // A record keeps the latest failures up to the limit: more would not change an answer.
        let keep = self.config.failures_per_window();
        if u.failures.len() > keep {
            let extra = u.failures.len() - keep;
            u.failures.drain(..extra);
        }
        let cap = self.config.per_code_cap();
        if let Some(code) = u.code.as_mut() {
            code.failed = cap.map_or(code.failed + 1, |cap| (code.failed + 1).min(cap));
        }
        self.last.committed = true;
        self.last.counted_failure = true;
    }

    /// Resends of a user inside the attempt window.
    pub(crate) fn resends_in_window(&self, u: &MUser) -> usize {
        self.in_window(&u.resends)
    }

    /// The user whose verified email (alias pools) or email (username-attribute pools) is
    /// `value`, folded.
    pub(crate) fn email_holder(&self, value: &str) -> Option<usize> {
        let c = &self.config;
        let v = c.fold(value);
        self.users.iter().position(|u| {
            c.fold(&u.email) == v
                && match c.kind {
                    PoolKind::EmailAlias => u.email_verified,
                    PoolKind::EmailUsername => true,
                    PoolKind::Plain => false,
                }
        })
    }

    /// [username-lookup]: the username, then the active alias or sign-in attribute, then the `sub`.
    pub(crate) fn lookup(&self, sent: &Sent) -> Option<usize> {
        let c = &self.config;
        let name = match sent {
            Sent::SubOf(i) => return Some(*i),
            Sent::Text(t) => t,
        };
        if c.kind != PoolKind::EmailUsername {
            let folded = c.fold(name);
            if let Some(i) = self
                .users
                .iter()
                .position(|u| c.fold(&u.signed_up_as) == folded)
            {
                return Some(i);
            }
        }
        self.email_holder(name)
    }

    /// The name a request sends for `who`, and which user that is meant to be (`None`: a user
    /// who does not exist).
    pub(crate) fn name_for(&self, who: u8, addr: Addr) -> (Sent, Option<usize>) {
        let n = self.users.len();
        let idx = usize::from(who) % (n + 1);
        if idx == n {
            let missing = match self.config.kind {
                PoolKind::EmailUsername => "nobody@example.net",
                _ => "nobody",
            };
            return (Sent::Text(missing.to_owned()), None);
        }
        let u = &self.users[idx];
        let text = match (addr, self.config.kind) {
            (Addr::Sub, _) => return (Sent::SubOf(idx), Some(idx)),
            (Addr::Username, _) => u.signed_up_as.clone(),
            (Addr::UsernameUpper, PoolKind::EmailUsername) => upper_email(&u.signed_up_as),
            (Addr::UsernameUpper, _) => upper_first(&u.signed_up_as),
            (Addr::Email, _) => u.email.clone(),
            (Addr::EmailUpper, _) => upper_email(&u.email),
        };
        (Sent::Text(text), Some(idx))
    }

    /// The SecretHash check of [secret-hash].
    fn secret_check(&self, client: Client, secret: Secret) -> Option<Expected> {
        let id = client.id();
        match (self.config.secret, secret) {
            (false, Secret::Missing) | (true, Secret::Good) => None,
            (false, _) => Some(err(
                "InvalidParameterException",
                format!(
                    "App client {id} is not configured for secret but secret hash was received"
                ),
            )),
            (true, Secret::Missing) => Some(err(
                "NotAuthorizedException",
                format!("Client {id} is configured for secret but secret was not received"),
            )),
            (true, Secret::Wrong) => Some(err(
                "NotAuthorizedException",
                format!("Unable to verify secret hash for client {id}"),
            )),
        }
    }

    /// [verified-attribute]: the phone number when it is auto-verified and present, else the email.
    fn target(&self, user: usize) -> (bool, String) {
        let u = &self.users[user];
        match (&u.phone, self.config.phone) {
            (Some(p), true) => (true, mask_phone(p)),
            _ => (false, mask(&u.email)),
        }
    }

    fn issue(&mut self, user: usize) -> usize {
        let id = self.issued;
        self.issued += 1;
        let now = self.now;
        let (sms, _) = self.target(user);
        let u = &mut self.users[user];
        u.code = Some(MCode {
            issue: id,
            issued_at: now,
            failed: 0,
            sms,
        });
        u.issues.push(id);
        id
    }

    /// Applies a transition.
    pub(crate) fn apply(mut self, t: &Transition) -> Self {
        self.last = Last::none();
        let expected = match t {
            Transition::Tick { millis } => {
                self.now += millis;
                return self;
            }
            Transition::StepBack { millis } => {
                self.now -= millis;
                return self;
            }
            Transition::SignUp {
                name,
                email,
                upper_name,
                upper_email: up_email,
                phone,
                client,
                secret,
                pre,
                post,
                custom,
                delivery_fails,
            } => self.sign_up(
                *name,
                *email,
                *upper_name,
                *up_email,
                phone.map(|p| PHONES[usize::from(p) % PHONES.len()].to_owned()),
                *client,
                *secret,
                [*pre, *post, *custom],
                *delivery_fails,
            ),
            Transition::Confirm {
                who,
                addr,
                code,
                force,
                client,
                secret,
                post,
            } => self.confirm(*who, *addr, *code, *force, *client, *secret, *post),
            Transition::Resend {
                who,
                addr,
                client,
                secret,
                custom,
                delivery_fails,
            } => self.resend(*who, *addr, *client, *secret, *custom, *delivery_fails),
            Transition::AdminConfirm { who, addr, post } => self.admin_confirm(*who, *addr, *post),
            Transition::Hammer { who, times, client } => {
                let mut burst = Vec::new();
                for _ in 0..*times {
                    let secret = if self.config.secret {
                        Secret::Good
                    } else {
                        Secret::Missing
                    };
                    let e = self.confirm(
                        *who,
                        Addr::Username,
                        CodePick::WrongLast,
                        None,
                        *client,
                        secret,
                        Reply::Echo,
                    );
                    burst.push((e, self.last.code.unwrap_or(SentCode::Never), self.last.live));
                }
                let sent = self.last.sent.clone();
                self.last = Last::none();
                self.last.sent = sent;
                self.last.burst = burst;
                // Several commits: the per-operation change check does not apply.
                self.last.committed = true;
                Expected::Ok(Response::Empty)
            }
            Transition::SetEnabled { who, addr, enable } => {
                let (sent, _) = self.name_for(*who, *addr);
                let found = self.lookup(&sent);
                self.last.sent = Some(sent);
                self.last.found = found;
                match found {
                    None => err("UserNotFoundException", NOT_FOUND_ADMIN),
                    Some(i) => {
                        if self.users[i].enabled != *enable {
                            self.users[i].enabled = *enable;
                            self.last.committed = true;
                        }
                        Expected::Ok(Response::Empty)
                    }
                }
            }
        };
        self.last.expected = Some(expected);
        self
    }

    #[allow(clippy::too_many_arguments)]
    fn sign_up(
        &mut self,
        name: u8,
        email: u8,
        upper_name: bool,
        up_email: bool,
        phone: Option<String>,
        client: Client,
        secret: Secret,
        [pre, post, custom]: [Reply; 3],
        delivery_fails: bool,
    ) -> Expected {
        let c = self.config.clone();
        // The first address is the most contended.
        let mut email = EMAILS[[0, 0, 1, 2][usize::from(email) % 4]].to_owned();
        if up_email {
            email = upper_email(&email);
        }
        let username = match c.kind {
            PoolKind::EmailUsername => email.clone(),
            _ => {
                let n = NAMES[usize::from(name) % NAMES.len()];
                if upper_name {
                    upper_first(n)
                } else {
                    n.to_owned()
                }
            }
        };
        self.last.sent = Some(Sent::Text(username.clone()));
        self.last.email = Some(email.clone());
        self.last.phone = phone.clone();
        if let Some(e) = self.secret_check(client, secret) {
            return e;
        }
        match c.kind {
            PoolKind::EmailUsername => {
                if self.email_holder(&username).is_some() {
                    return err(
                        "UsernameExistsException",
                        "An account with the given email already exists.",
                    );
                }
            }
            _ => {
                let folded = c.fold(&username);
                if self.users.iter().any(|u| c.fold(&u.signed_up_as) == folded) {
                    return err("UsernameExistsException", "User already exists");
                }
            }
        }
        let (mut confirmed, mut verified) = (false, false);
        if c.pre_sign_up {
            if let Some(e) = trigger_error("PreSignUp", pre) {
                return e;
            }
            if let Reply::Flags { confirm, verify } = pre {
                confirmed = confirm;
                verified = verify;
            }
        }
        // A code is due: CustomMessage_SignUp composes it, before anything is committed.
        if !confirmed && c.custom_message {
            if let Some(e) = trigger_error("CustomMessage", custom) {
                return e;
            }
        }
        // An auto-verified alias moves from its previous holder ([sign-up-pre-sign-up]).
        if verified && c.kind == PoolKind::EmailAlias {
            if let Some(h) = self.email_holder(&email) {
                self.users[h].email_verified = false;
            }
        }
        self.users.push(MUser {
            signed_up_as: username,
            email: email.clone(),
            confirmed,
            enabled: true,
            email_verified: verified,
            phone,
            phone_verified: false,
            code: None,
            issues: Vec::new(),
            failures: Vec::new(),
            resends: Vec::new(),
            post_confirmations: 0,
        });
        let me = self.users.len() - 1;
        self.last.found = Some(me);
        self.last.committed = true;
        if !confirmed {
            // `email` is auto-verified and present: a code goes to it, or to the phone
            // ([verified-attribute]).
            self.last.issued = Some(self.issue(me));
            if delivery_fails {
                return err("CodeDeliveryFailureException", DELIVERY);
            }
            return Expected::Ok(Response::SignUp {
                confirmed: false,
                destination: Some(self.target(me).1),
            });
        }
        if c.post_confirmation {
            self.users[me].post_confirmations += 1;
            if let Some(e) = trigger_error("PostConfirmation", post) {
                return e;
            }
        }
        Expected::Ok(Response::SignUp {
            confirmed: true,
            destination: None,
        })
    }

    /// The code a ConfirmSignUp sends for `target`.
    fn pick_code(&self, target: Option<usize>, pick: CodePick) -> SentCode {
        let Some(t) = target else {
            return SentCode::Never;
        };
        let u = &self.users[t];
        let live = u.code.as_ref().map(|c| c.issue);
        let newest = u.issues.last().copied();
        match pick {
            CodePick::Correct => live.or(newest).map_or(SentCode::Never, SentCode::Issued),
            CodePick::WrongFirst => newest.map_or(SentCode::Never, SentCode::AlteredFirst),
            CodePick::WrongLast => newest.map_or(SentCode::Never, SentCode::AlteredLast),
            CodePick::Superseded => {
                let n = u.issues.len();
                if n >= 2 {
                    SentCode::Issued(u.issues[n - 2])
                } else {
                    newest.map_or(SentCode::Never, SentCode::AlteredLast)
                }
            }
            CodePick::OtherUsers => {
                let other = (t + 1) % self.users.len();
                match self.users[other].issues.last() {
                    Some(i) if other != t => SentCode::Issued(*i),
                    _ => newest.map_or(SentCode::Never, SentCode::AlteredFirst),
                }
            }
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn confirm(
        &mut self,
        who: u8,
        addr: Addr,
        pick: CodePick,
        force: Option<bool>,
        client: Client,
        secret: Secret,
        post: Reply,
    ) -> Expected {
        let c = self.config.clone();
        let (sent, target) = self.name_for(who, addr);
        let code = self.pick_code(target, pick);
        self.last.code = Some(code);
        let found = self.lookup(&sent);
        self.last.sent = Some(sent);
        if let Some(e) = self.secret_check(client, secret) {
            return e;
        }
        self.last.found = found;
        let hidden = client == Client::Enabled;
        let Some(i) = found else {
            return if hidden {
                err("CodeMismatchException", MISMATCH)
            } else {
                err("UserNotFoundException", NOT_FOUND_PUBLIC)
            };
        };
        self.last.live = self.users[i].code.as_ref().map(|c| c.issue);
        if !self.users[i].enabled {
            if !hidden {
                return err("NotAuthorizedException", DISABLED);
            }
            // docs/behaviour.md: a disabled user under ENABLED costs what a wrong code costs,
            // and the attempt counts as one, whatever the code.
            self.count_failure(i);
            return err("CodeMismatchException", MISMATCH);
        }
        if self.failures_in_window(&self.users[i]) >= c.failures_per_window() {
            return err("LimitExceededException", LIMIT);
        }
        if let (Some(cap), Some(code)) = (c.per_code_cap(), &self.users[i].code) {
            if code.failed >= cap {
                return err(
                    "TooManyFailedAttemptsException",
                    "Too many failed attempts for this code, please request a code again.",
                );
            }
        }
        if self.users[i].confirmed {
            return err(
                "NotAuthorizedException",
                "User cannot be confirmed. Current status is CONFIRMED",
            );
        }
        // No live code: ExpiredCode under LEGACY whatever the code ([code-newest-only]); under
        // ENABLED only for the right code, any other being a counted mismatch, as for a missing
        // name.
        let live = self.users[i].code.clone();
        let expired = live
            .as_ref()
            .is_none_or(|l| self.now.saturating_sub(l.issued_at) >= c.code_validity());
        if expired {
            let right = live.is_some_and(|l| code == SentCode::Issued(l.issue));
            if !hidden || right {
                return err("ExpiredCodeException", EXPIRED);
            }
            self.count_failure(i);
            return err("CodeMismatchException", MISMATCH);
        }
        let Some(live) = live else {
            return err("ExpiredCodeException", EXPIRED);
        };
        if code != SentCode::Issued(live.issue) {
            self.count_failure(i);
            return err("CodeMismatchException", MISMATCH);
        }
        // [verified-attribute]: the attribute the code went to is verified; only email is an alias
        // here.
        if live.sms {
            let u = &mut self.users[i];
            u.confirmed = true;
            u.phone_verified = true;
            u.code = None;
            self.last.committed = true;
            if c.post_confirmation {
                self.users[i].post_confirmations += 1;
                if let Some(e) = trigger_error("PostConfirmation", post) {
                    return e;
                }
            }
            return Expected::Ok(Response::Empty);
        }
        if c.kind == PoolKind::EmailAlias {
            let email = self.users[i].email.clone();
            if let Some(h) = self.email_holder(&email).filter(|h| *h != i) {
                if !force.unwrap_or(false) {
                    return err(
                        "AliasExistsException",
                        "An account with the email already exists.",
                    );
                }
                self.users[h].email_verified = false;
            }
        }
        let u = &mut self.users[i];
        u.confirmed = true;
        u.email_verified = true;
        u.code = None;
        self.last.committed = true;
        if c.post_confirmation {
            self.users[i].post_confirmations += 1;
            if let Some(e) = trigger_error("PostConfirmation", post) {
                return e;
            }
        }
        Expected::Ok(Response::Empty)
    }

    fn resend(
        &mut self,
        who: u8,
        addr: Addr,
        client: Client,
        secret: Secret,
        custom: Reply,
        delivery_fails: bool,
    ) -> Expected {
        let c = self.config.clone();
        let (sent, _) = self.name_for(who, addr);
        let found = self.lookup(&sent);
        self.last.sent = Some(sent.clone());
        if let Some(e) = self.secret_check(client, secret) {
            return e;
        }
        self.last.found = found;
        let hidden = client == Client::Enabled;
        let Some(i) = found else {
            return if hidden {
                self.hidden_resend(&sent)
            } else {
                err("UserNotFoundException", NOT_FOUND_PUBLIC)
            };
        };
        if !self.users[i].enabled {
            return if hidden {
                self.hidden_resend(&sent)
            } else {
                err("NotAuthorizedException", DISABLED)
            };
        }
        let u = &self.users[i];
        if self.resends_in_window(u) >= c.resends_per_window() {
            return err("LimitExceededException", LIMIT);
        }
        let last_code = u
            .code
            .as_ref()
            .map(|c| c.issued_at)
            .into_iter()
            .chain(u.resends.last().copied())
            .max();
        if let Some(last) = last_code {
            if self.now.saturating_sub(last) < c.min_between_codes() {
                return err("LimitExceededException", LIMIT);
            }
        }
        if u.confirmed {
            return err("InvalidParameterException", "User is already confirmed.");
        }
        if c.custom_message {
            if let Some(e) = trigger_error("CustomMessage", custom) {
                return e;
            }
        }
        self.last.issued = Some(self.issue(i));
        let now = self.now;
        let window_from = now.saturating_sub(c.window());
        let u = &mut self.users[i];
        u.resends.retain(|t| *t > window_from);
        u.resends.push(now);
        self.last.committed = true;
        if delivery_fails {
            return err("CodeDeliveryFailureException", DELIVERY);
        }
        Expected::Ok(Response::Resend {
            destination: self.target(i).1,
        })
    }

    /// ResendConfirmationCode under ENABLED for a name that must look present: limited as a
    /// present user's resends are, with the name's own times; nothing else changes.
    fn hidden_resend(&mut self, sent: &Sent) -> Expected {
        let c = self.config.clone();
        let name = match sent {
            Sent::Text(t) => c.fold(t),
            Sent::SubOf(i) => format!("the sub of user {i}"),
        };
        let now = self.now;
        let from = now.saturating_sub(c.window());
        let times = self.hidden_resends.entry(name.clone()).or_default();
        let in_window = times.iter().filter(|t| **t > from).count();
        let too_soon = times
            .last()
            .is_some_and(|last| now.saturating_sub(*last) < c.min_between_codes());
        if in_window >= c.resends_per_window() || too_soon {
            return err("LimitExceededException", LIMIT);
        }
        times.retain(|t| *t > from);
        times.push(now);
        if times.len() > c.resends_per_window() {
            let extra = times.len() - c.resends_per_window();
            times.drain(..extra);
        }
        // Names here are never phone numbers: codes go by email.
        let is_email = matches!(name.split_once('@'), Some((_, d)) if d.contains('.'));
        let destination = (is_email && c.kind != PoolKind::Plain).then(|| mask(&name));
        Expected::Ok(Response::SimulatedResend { destination })
    }

    fn admin_confirm(&mut self, who: u8, addr: Addr, post: Reply) -> Expected {
        let (sent, _) = self.name_for(who, addr);
        let found = self.lookup(&sent);
        self.last.sent = Some(sent);
        self.last.found = found;
        let Some(i) = found else {
            return err("UserNotFoundException", NOT_FOUND_ADMIN);
        };
        if self.users[i].confirmed {
            return err(
                "NotAuthorizedException",
                "User cannot be confirmed. Current status is CONFIRMED",
            );
        }
        // [admin-confirm]: no attribute is verified; the pending code dies.
        let u = &mut self.users[i];
        u.confirmed = true;
        u.code = None;
        self.last.committed = true;
        if self.config.post_confirmation {
            self.users[i].post_confirmations += 1;
            if let Some(e) = trigger_error("PostConfirmation", post) {
                return e;
            }
        }
        Expected::Ok(Response::Empty)
    }
}
