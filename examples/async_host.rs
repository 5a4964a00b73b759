//! Driving the sans-IO core from an async runtime.
//!
//! The store and the Lambda trigger here are asynchronous (they `.await` simulated network
//! round trips), and many operations run at once on ONE thread: nothing blocks. The loop below is
//! the whole integration: every decision stays in the library's operations; the host only answers
//! what each operation asks for.
//!
//! One step is CPU-heavy: SignUp's `Need::Hash`, the password hash (argon2id, tens of
//! milliseconds with the default parameters). It runs on tokio's blocking pool, so that this
//! thread keeps serving the other operations, and hashes through one shared `PasswordHasher`,
//! which bounds how many hashes run at once and keeps their memory.
//!
//! Run with `cargo run --example async_host`.

use cognito_signup::host::HiddenResendLimiter;
use cognito_signup::ops::{ConfirmSignUp, Need, Operation, SignUp, Step};
use cognito_signup::protocol::{GuardVerdict, LambdaInvocation, LambdaReply, Message};
use cognito_signup::reference::MemoryHiddenResendLimiter;
use cognito_signup::store::{Commit, CommitOutcome, IndexKey, Versioned};
use cognito_signup::{
    AppClient, Clock, CodeKeys, ConfirmSignUpRequest, Directory, Error, HostError,
    MemoryRateLimiter, MemoryStore, OsRandomness, PasswordHasher, PasswordHashing, RateLimiter,
    Seed, SignUpRequest, StaticDirectory, SystemClock, UserPool, UserRecord, UserStore,
    VerifiableAttribute,
};
use std::collections::HashMap;
use std::rc::Rc;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// An asynchronous store: every call is a (simulated) network round trip to a database.
struct RemoteStore {
    db: MemoryStore,
    latency: Duration,
}

impl RemoteStore {
    async fn find(
        &self,
        pool: &str,
        keys: &[IndexKey],
    ) -> Result<Option<Versioned<UserRecord>>, HostError> {
        tokio::time::sleep(self.latency).await;
        self.db.find(pool, keys)
    }

    async fn commit(&self, pool: &str, commit: &Commit) -> Result<CommitOutcome, HostError> {
        tokio::time::sleep(self.latency).await;
        self.db.commit(pool, commit)
    }
}

/// An asynchronous Lambda: a trigger that takes a while and returns the event unchanged.
async fn invoke(invocation: &LambdaInvocation) -> LambdaReply {
    tokio::time::sleep(Duration::from_millis(20)).await;
    LambdaReply::Returned(invocation.payload.clone().into_bytes())
}

/// The host: the same traits as the sync driver's, some of them async.
struct Host {
    store: RemoteStore,
    directory: StaticDirectory,
    limiter: MemoryRateLimiter,
    hidden: MemoryHiddenResendLimiter,
    outbox: Mutex<HashMap<String, String>>,
    /// Shared by every SignUp.
    hasher: Arc<PasswordHasher>,
}

impl Host {
    /// Answers one need and returns the operation's next step. Nothing here decides anything
    /// about Cognito's behaviour.
    async fn answer<O: Operation>(&self, need: Need<O>) -> Result<Step<O>, Error> {
        Ok(match need {
            Need::Client(n) => {
                let client = self.directory.client(n.client_id());
                n.answer_result(client)
            }
            Need::Pool(n) => {
                let pool = self.directory.pool(n.pool_id());
                n.answer_result(pool)
            }
            Need::Guard(n) => n.answer(GuardVerdict::Allow),
            Need::Throttle(n) => {
                let taken = self.limiter.try_acquire(n.request());
                n.answer(taken)
            }
            Need::Find(n) => {
                let found = self.store.find(n.pool_id(), n.keys()).await;
                n.answer_result(found)
            }
            Need::Commit(n) => {
                let outcome = self.store.commit(n.pool_id(), n.commit()).await;
                n.answer_result(outcome)
            }
            Need::Invoke(n) => {
                let reply = invoke(n.invocation()).await;
                n.answer(reply)
            }
            Need::Deliver(n) => {
                let delivered = self.deliver(n.message());
                n.answer(delivered)
            }
            Need::HiddenResend(n) => {
                let within = self.hidden.try_record(n.request());
                n.answer(within)
            }
            // The one CPU-heavy step, on the blocking pool, so that this thread keeps serving
            // the other operations. `hash_with` waits there in the hasher's queue when every
            // slot is busy; a host that would rather refuse at once takes a slot here first
            // (`self.hasher.try_acquire()?`, never blocking) and hashes with
            // `hash_with_permit(permit)`.
            Need::Hash(n) => {
                let hasher = Arc::clone(&self.hasher);
                tokio::task::spawn_blocking(move || n.hash_with(&hasher))
                    .await
                    .map_err(|e| Error::internal(e.to_string().into()))?
            }
            // `Need` is non-exhaustive: a need this host does not know is a host failure.
            other => {
                let kind = other.kind();
                other.fail(format!("unsupported need {kind}").into())
            }
        })
    }

    fn deliver(&self, m: &Message) -> Result<(), HostError> {
        let mut outbox = self.outbox.lock().map_err(|e| e.to_string())?;
        outbox.insert(m.username.clone(), m.code.as_str().to_owned());
        Ok(())
    }

    /// The async twin of `Driver::run`.
    async fn run<O: Operation>(&self, op: O) -> Result<O::Output, Error> {
        let mut step = op.start();
        loop {
            match step {
                Step::Done(result) => return result,
                Step::Need(need) => step = self.answer(need).await?,
            }
        }
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut pool = UserPool::new("us-east-1_Async");
    pool.auto_verified_attributes
        .insert(VerifiableAttribute::Email);
    pool.lambda_config.post_confirmation = Some("post-confirmation".into());
    // Cognito's 50 requests/s per pool would throttle this burst of 80 operations.
    pool.sign_up_policy.user_creation_rate = 1000;
    pool.sign_up_policy.user_creation_burst = 1000;
    let mut directory = StaticDirectory::new();
    directory.add_pool(pool, CodeKeys::new(&[[3u8; 32]])?);
    directory.add_client("us-east-1_Async", AppClient::new("asyncclient"))?;
    let host = Rc::new(Host {
        store: RemoteStore {
            db: MemoryStore::new(),
            latency: Duration::from_millis(10),
        },
        directory,
        limiter: MemoryRateLimiter::new(),
        hidden: MemoryHiddenResendLimiter::new(),
        outbox: Mutex::new(HashMap::new()),
        // A real host keeps `PasswordHashing::default()` and the default queue (as long as the
        // slots). The burst below hashes 40 passwords at once: they all may wait for a slot.
        hasher: Arc::new(
            PasswordHasher::new(PasswordHashing::insecure_fast_for_tests()).with_queue(64),
        ),
    });
    let clock = SystemClock;
    let started = std::time::Instant::now();

    // 40 sign-ups at once, on one thread: each waits on its own store round trips.
    let users = 40u8;
    let mut tasks = tokio::task::JoinSet::new();
    let local = tokio::task::LocalSet::new();
    for i in 0..users {
        let host = Rc::clone(&host);
        let now = clock.now();
        // A fresh seed for each operation, from the operating system.
        let seed = Seed::generate(&OsRandomness)?;
        tasks.spawn_local_on(
            async move {
                let request =
                    SignUpRequest::new("asyncclient", format!("user{i}"), "Corr3ct-Horse")
                        .attribute("email", format!("user{i}@example.com"));
                host.run(SignUp::new(request, now, seed)).await
            },
            &local,
        );
    }
    let signed_up = local
        .run_until(async {
            let mut ok: usize = 0;
            while let Some(r) = tasks.join_next().await {
                r??;
                ok = ok.saturating_add(1);
            }
            Ok::<_, Box<dyn std::error::Error>>(ok)
        })
        .await?;

    // Confirm them all, concurrently again, with the codes the outbox received.
    let codes = host.outbox.lock().map_err(|e| e.to_string())?.clone();
    let mut tasks = tokio::task::JoinSet::new();
    for (username, code) in codes {
        let host = Rc::clone(&host);
        let now = clock.now();
        tasks.spawn_local_on(
            async move {
                let op = ConfirmSignUp::new(
                    ConfirmSignUpRequest::new("asyncclient", username, code),
                    now,
                );
                host.run(op).await
            },
            &local,
        );
    }
    let confirmed = local
        .run_until(async {
            let mut ok: usize = 0;
            while let Some(r) = tasks.join_next().await {
                r??;
                ok = ok.saturating_add(1);
            }
            Ok::<_, Box<dyn std::error::Error>>(ok)
        })
        .await?;

    let elapsed = started.elapsed();
    println!(
        "signed up {signed_up} and confirmed {confirmed} users on one thread in {elapsed:?} \
         (each confirmation alone waits ~{} ms on the store and the trigger)",
        10 * 2 + 20
    );
    let records = host.store.db.records("us-east-1_Async")?;
    let all_confirmed = records
        .iter()
        .all(|r| r.value.status.as_str() == "CONFIRMED");
    println!("every user confirmed: {all_confirmed}");
    if !all_confirmed || confirmed != usize::from(users) {
        return Err("not every user was confirmed".into());
    }
    Ok(())
}
