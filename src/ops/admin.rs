//! AdminConfirmSignUp, AdminGetUser, AdminDisableUser, AdminEnableUser and AdminDeleteUser.
//!
//! Admin operations name a pool, not a client: no SecretHash, no request guard, no
//! PreventUserExistenceErrors. A missing user is UserNotFoundException "User does not exist.".
//! AdminConfirmSignUp shares the UserCreation bucket ([rate-limits]); the reads and Enabled
//! switches are not throttled.

use super::gate::{AdminGate, Gated};
use super::support::{
    alias_key, cannot_confirm, finished, fold, lookup_keys, may_commit_again, post_confirmation,
    unexpected,
};
use crate::config::OperationName as Op;
use crate::error::{Error, Exception, messages};
use crate::protocol::Operation;
use crate::protocol::machine::{Answer, Ask, Machine, Raw};
use crate::protocol::{Bucket, PoolContext, Trigger};
use crate::protocol::{
    Commit, CommitOutcome, IndexKey, IndexWrite, RecordRemoval, RecordWrite, Versioned,
};
use crate::time::Timestamp;
use crate::triggers::{decode_post_confirmation, returned_body};
use crate::types::{
    AdminConfirmSignUpRequest, AdminConfirmSignUpResponse, AdminDeleteUserRequest,
    AdminDeleteUserResponse, AdminGetUserResponse, AdminUserRequest, AdminUserUpdateResponse,
    AttributeType, ClientMetadata,
};
use crate::user::{UserRecord, UserStatus};
use crate::validate::{self, Violations};
use std::sync::Arc;

fn validate_shape(
    pool_id: Option<&str>,
    username: Option<&str>,
    client_metadata: Option<&ClientMetadata>,
) -> Result<(), Error> {
    let mut v = Violations::default();
    v.string(validate::C_USER_POOL_ID, pool_id);
    v.string(validate::C_USERNAME, username);
    validate::client_metadata(&mut v, client_metadata);
    v.finish()
}

fn user_not_found() -> Error {
    Error::new(Exception::UserNotFound, messages::USER_DOES_NOT_EXIST)
}

/// What an admin operation does with the user it found.
// Moved once per operation; boxing the record would only add an allocation.
#[allow(clippy::large_enum_variant)]
enum Decision<T> {
    Done(Result<T, Error>),
    Commit(UserRecord, u64),
    /// A commit of its own (AdminDeleteUser's removal), with the record it concerns.
    Apply(Commit, UserRecord),
}

/// The shared machine of admin operations: gate, find, decide, commit, then (optionally) a
/// PostConfirmation.
struct AdminMachine<T> {
    operation: Op,
    bucket: Option<Bucket>,
    pool_id: String,
    username: String,
    now: Timestamp,
    commits: u32,
    state: AdminState<T>,
}

#[allow(clippy::large_enum_variant)]
enum AdminState<T> {
    Gate(AdminGate),
    Find(Arc<PoolContext>),
    Commit(Arc<PoolContext>, UserRecord),
    PostConfirmation(T),
    Done,
}

impl<T> AdminMachine<T> {
    /// The machine of `operation`, which takes from `bucket` if it is throttled.
    fn new(
        operation: Op,
        bucket: Option<Bucket>,
        pool_id: Option<&str>,
        username: Option<&str>,
        now: Timestamp,
    ) -> Self {
        Self {
            operation,
            bucket,
            pool_id: pool_id.unwrap_or_default().to_owned(),
            username: username.unwrap_or_default().to_owned(),
            now,
            commits: 0,
            state: AdminState::Done,
        }
    }

    fn fail(&mut self, e: Error) -> Raw<T> {
        self.state = AdminState::Done;
        Raw::Done(Err(e))
    }

    fn start(&mut self) -> Raw<T> {
        let gate = AdminGate::new(self.operation, self.bucket, &self.pool_id, self.now);
        let g = gate.start();
        self.state = AdminState::Gate(gate);
        self.gated(g)
    }

    /// A commit answered `Conflict`: the pool is resolved again first
    /// ([conflict-resolve-again]).
    fn conflict(&mut self) -> Raw<T> {
        let mut gate = AdminGate::new(self.operation, self.bucket, &self.pool_id, self.now);
        let g = gate.again();
        self.state = AdminState::Gate(gate);
        self.gated(g)
    }

    fn gated(&mut self, g: Gated<Arc<PoolContext>>) -> Raw<T> {
        match g {
            Gated::Need(n) => Raw::Need(n),
            Gated::Fail(e) => self.fail(e),
            Gated::Pass(pool) => self.find(pool),
            // Read again with the pool as it is now, while the budget lasts.
            Gated::Again(pool) => match may_commit_again(self.commits, &pool.pool) {
                Ok(()) => self.find(pool),
                Err(e) => self.fail(e),
            },
        }
    }

    fn find(&mut self, pool: Arc<PoolContext>) -> Raw<T> {
        let need = Ask::Find {
            pool_id: Arc::clone(pool.id()),
            keys: lookup_keys(&pool.pool, &self.username),
        };
        self.state = AdminState::Find(pool);
        Raw::Need(need)
    }

    fn commit(&mut self, pool: Arc<PoolContext>, commit: Commit, record: UserRecord) -> Raw<T> {
        self.commits = self.commits.saturating_add(1);
        let need = Ask::Commit {
            pool_id: Arc::clone(pool.id()),
            commit,
        };
        self.state = AdminState::Commit(pool, record);
        Raw::Need(need)
    }

    /// Drives the machine; `decide` sees the found user, `after` runs once the commit is in.
    fn resume(
        &mut self,
        answer: Answer,
        decide: impl FnOnce(&PoolContext, Option<Versioned<UserRecord>>, Timestamp) -> Decision<T>,
        after: impl FnOnce(&PoolContext, UserRecord) -> Raw<T>,
        post: impl FnOnce(T, crate::protocol::LambdaReply) -> Result<T, Error>,
    ) -> Raw<T> {
        match (std::mem::replace(&mut self.state, AdminState::Done), answer) {
            (AdminState::Gate(mut gate), answer) => {
                let g = gate.resume(answer);
                self.state = AdminState::Gate(gate);
                self.gated(g)
            }
            (AdminState::Find(pool), Answer::Found(found)) => {
                match decide(&pool, found, self.now) {
                    Decision::Done(r) => Raw::Done(r),
                    Decision::Commit(record, version) => {
                        let commit = Commit {
                            removals: Vec::new(),
                            records: vec![RecordWrite {
                                expected_version: Some(version),
                                record: record.clone(),
                            }],
                            index: Vec::new(),
                        };
                        self.commit(pool, commit, record)
                    }
                    Decision::Apply(commit, record) => self.commit(pool, commit, record),
                }
            }
            (AdminState::Commit(pool, record), Answer::Committed(CommitOutcome::Committed)) => {
                after(&pool, record)
            }
            (AdminState::Commit(..), Answer::Committed(CommitOutcome::Conflict)) => self.conflict(),
            (AdminState::PostConfirmation(out), Answer::Lambda(reply)) => {
                Raw::Done(post(out, reply))
            }
            (AdminState::Done, _) => Raw::Done(Err(finished())),
            (_, answer) => self.fail(unexpected(answer)),
        }
    }
}

/// The AdminConfirmSignUp operation.
pub struct AdminConfirmSignUp {
    req: AdminConfirmSignUpRequest,
    m: AdminMachine<AdminConfirmSignUpResponse>,
}

impl std::fmt::Debug for AdminConfirmSignUp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AdminConfirmSignUp")
            .field("req", &self.req)
            .finish_non_exhaustive()
    }
}

impl AdminConfirmSignUp {
    /// An AdminConfirmSignUp at time `now`.
    #[must_use]
    pub fn new(request: AdminConfirmSignUpRequest, now: Timestamp) -> Self {
        let m = AdminMachine::new(
            Op::AdminConfirmSignUp,
            Some(Bucket::UserCreation),
            request.user_pool_id.as_deref(),
            request.username.as_deref(),
            now,
        );
        Self { req: request, m }
    }
}

impl Operation for AdminConfirmSignUp {
    type Output = AdminConfirmSignUpResponse;
}

impl Machine for AdminConfirmSignUp {
    fn begin(&mut self) -> Raw<<Self as Operation>::Output> {
        if let Err(e) = validate_shape(
            self.req.user_pool_id.as_deref(),
            self.req.username.as_deref(),
            self.req.client_metadata.as_ref(),
        ) {
            return self.m.fail(e);
        }
        self.m.start()
    }

    fn advance(&mut self, answer: Answer) -> Raw<<Self as Operation>::Output> {
        let metadata = self.req.client_metadata.clone();
        let mut invoked = false;
        let step = self.m.resume(
            answer,
            |_, found, now| {
                let Some(found) = found else {
                    return Decision::Done(Err(user_not_found()));
                };
                if found.value.status != UserStatus::Unconfirmed {
                    return Decision::Done(Err(cannot_confirm(found.value.status)));
                }
                // No attribute is verified; any pending code is dead ([admin-confirm]).
                let mut rec = found.value;
                rec.status = UserStatus::Confirmed;
                rec.code = None;
                rec.last_modified = now;
                Decision::Commit(rec, found.version)
            },
            |pool, user| match post_confirmation(&pool.pool, &user, None, metadata.as_ref()) {
                Some(inv) => {
                    invoked = true;
                    Raw::Need(Ask::Invoke(inv))
                }
                None => Raw::Done(Ok(AdminConfirmSignUpResponse {})),
            },
            |out, reply| {
                returned_body(Trigger::PostConfirmation, reply)
                    .and_then(|b| decode_post_confirmation(&b))
                    .map(|()| out)
            },
        );
        if invoked {
            self.m.state = AdminState::PostConfirmation(AdminConfirmSignUpResponse {});
        }
        step
    }
}

/// The AdminGetUser operation.
pub struct AdminGetUser {
    req: AdminUserRequest,
    m: AdminMachine<AdminGetUserResponse>,
}

impl std::fmt::Debug for AdminGetUser {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AdminGetUser")
            .field("req", &self.req)
            .finish_non_exhaustive()
    }
}

impl AdminGetUser {
    /// An AdminGetUser at time `now`.
    #[must_use]
    pub fn new(request: AdminUserRequest, now: Timestamp) -> Self {
        let m = AdminMachine::new(
            Op::AdminGetUser,
            None,
            request.user_pool_id.as_deref(),
            request.username.as_deref(),
            now,
        );
        Self { req: request, m }
    }
}

/// The AdminGetUser answer for a record.
#[must_use]
pub fn admin_get_user_response(user: &UserRecord) -> AdminGetUserResponse {
    AdminGetUserResponse {
        username: user.username.to_string(),
        user_attributes: user
            .attributes()
            .into_iter()
            .map(AttributeType::from)
            .collect(),
        user_create_date: user.created.as_secs_f64(),
        user_last_modified_date: user.last_modified.as_secs_f64(),
        enabled: user.enabled,
        user_status: user.status.as_str().to_owned(),
    }
}

impl Operation for AdminGetUser {
    type Output = AdminGetUserResponse;
}

impl Machine for AdminGetUser {
    fn begin(&mut self) -> Raw<<Self as Operation>::Output> {
        if let Err(e) = validate_shape(
            self.req.user_pool_id.as_deref(),
            self.req.username.as_deref(),
            None,
        ) {
            return self.m.fail(e);
        }
        self.m.start()
    }

    fn advance(&mut self, answer: Answer) -> Raw<<Self as Operation>::Output> {
        self.m.resume(
            answer,
            |_, found, _| {
                Decision::Done(
                    found
                        .map(|f| admin_get_user_response(&f.value))
                        .ok_or_else(user_not_found),
                )
            },
            |_, _| Raw::Done(Err(finished())),
            |_, _| Err(finished()),
        )
    }
}

macro_rules! enabled_switch {
    ($(#[$doc:meta])* $name:ident, $op:expr, $enabled:expr) => {
        $(#[$doc])*
        pub struct $name {
            req: AdminUserRequest,
            m: AdminMachine<AdminUserUpdateResponse>,
        }

        impl std::fmt::Debug for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.debug_struct(stringify!($name))
                    .field("req", &self.req)
                    .finish_non_exhaustive()
            }
        }

        impl $name {
            /// The operation at time `now`.
            #[must_use]
            pub fn new(request: AdminUserRequest, now: Timestamp) -> Self {
                let m = AdminMachine::new(
                    $op,
                    None,
                    request.user_pool_id.as_deref(),
                    request.username.as_deref(),
                    now,
                );
                Self { req: request, m }
            }
        }

        impl Operation for $name {
            type Output = AdminUserUpdateResponse;
            }

            impl Machine for $name {
                fn begin(&mut self) -> Raw<<Self as Operation>::Output> {
                if let Err(e) = validate_shape(
                    self.req.user_pool_id.as_deref(),
                    self.req.username.as_deref(),
                    None,
                ) {
                    return self.m.fail(e);
                }
                self.m.start()
            }

            fn advance(&mut self, answer: Answer) -> Raw<<Self as Operation>::Output> {
                self.m.resume(
                    answer,
                    |_, found, now| {
                        let Some(found) = found else {
                            return Decision::Done(Err(user_not_found()));
                        };
                        if found.value.enabled == $enabled {
                            return Decision::Done(Ok(AdminUserUpdateResponse {}));
                        }
                        let mut rec = found.value;
                        rec.enabled = $enabled;
                        rec.last_modified = now;
                        Decision::Commit(rec, found.version)
                    },
                    |_, _| Raw::Done(Ok(AdminUserUpdateResponse {})),
                    |_, _| Err(finished()),
                )
            }
        }
    };
}

enabled_switch!(
    /// The AdminDisableUser operation: a disabled user cannot be confirmed ([disabled-user]).
    AdminDisableUser,
    Op::AdminDisableUser,
    false
);
enabled_switch!(
    /// The AdminEnableUser operation.
    AdminEnableUser,
    Op::AdminEnableUser,
    true
);

/// The AdminDeleteUser operation ([admin-delete-user]): the user named as AdminGetUser names
/// one (username, active alias or sign-in attribute, `sub`) is removed with every index entry
/// it holds, in one commit; afterwards its username, `sub` and aliases are free and its code
/// confirms nothing.
pub struct AdminDeleteUser {
    req: AdminDeleteUserRequest,
    m: AdminMachine<AdminDeleteUserResponse>,
}

impl std::fmt::Debug for AdminDeleteUser {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AdminDeleteUser")
            .field("req", &self.req)
            .finish_non_exhaustive()
    }
}

impl AdminDeleteUser {
    /// An AdminDeleteUser at time `now`.
    #[must_use]
    pub fn new(request: AdminDeleteUserRequest, now: Timestamp) -> Self {
        let m = AdminMachine::new(
            Op::AdminDeleteUser,
            None,
            request.user_pool_id.as_deref(),
            request.username.as_deref(),
            now,
        );
        Self { req: request, m }
    }
}

/// The index keys a user holds: its username (folded per the pool's case rule) and `sub`, the
/// sign-in attribute of a username-attribute pool (claimed at sign-up, verified or not), and each
/// alias of an alias pool that is verified (an alias becomes active, and its key the user's, when
/// it is verified; it is unverified when it moves to another user).
fn keys_held(pool: &crate::config::UserPool, user: &UserRecord) -> Vec<IndexKey> {
    let mut keys = vec![
        IndexKey::username(&fold(pool, &user.username)),
        IndexKey::sub(&user.sub),
    ];
    for attr in &pool.username_attributes {
        if let Some(value) = user.verifiable(*attr) {
            keys.push(alias_key(pool, attr.as_alias(), value));
        }
    }
    for attr in [
        crate::config::VerifiableAttribute::Email,
        crate::config::VerifiableAttribute::PhoneNumber,
    ] {
        let alias = attr.as_alias();
        if !pool.alias_attributes.contains(&alias) || pool.username_attributes.contains(&attr) {
            continue;
        }
        if let (true, Some(value)) = (user.is_verified(attr), user.verifiable(attr)) {
            keys.push(alias_key(pool, alias, value));
        }
    }
    keys
}

/// The commit that removes `user` (read at `version`) and every key it holds; each key must
/// still point to it.
fn removal(pool: &crate::config::UserPool, user: &UserRecord, version: u64) -> Commit {
    Commit {
        records: Vec::new(),
        removals: vec![RecordRemoval {
            sub: user.sub.to_string(),
            expected_version: version,
        }],
        index: keys_held(pool, user)
            .into_iter()
            .map(|key| IndexWrite {
                key,
                expected: Some(user.sub.to_string()),
                new: None,
            })
            .collect(),
    }
}

impl Operation for AdminDeleteUser {
    type Output = AdminDeleteUserResponse;
}

impl Machine for AdminDeleteUser {
    fn begin(&mut self) -> Raw<<Self as Operation>::Output> {
        if let Err(e) = validate_shape(
            self.req.user_pool_id.as_deref(),
            self.req.username.as_deref(),
            None,
        ) {
            return self.m.fail(e);
        }
        self.m.start()
    }

    fn advance(&mut self, answer: Answer) -> Raw<<Self as Operation>::Output> {
        self.m.resume(
            answer,
            |pool, found, _| match found {
                Some(found) if !found.value.is_decoy() => {
                    let commit = removal(&pool.pool, &found.value, found.version);
                    Decision::Apply(commit, found.value)
                }
                _ => Decision::Done(Err(user_not_found())),
            },
            |_, _| Raw::Done(Ok(AdminDeleteUserResponse {})),
            |_, _| Err(finished()),
        )
    }
}
