//! Several OS processes, each with its own `Driver` over its own handle on one database,
//! hammering the same users; and a process killed with SIGKILL mid-load.
//!
//! The test binary is its own worker: run with `WORKER_FLAG` as its first argument it plays one
//! role and prints one line per outcome to stdout (flushed at each line), which the parent reads.

use crate::host::{self, Inspect, POOL, TestHost, check_invariants};
use cognito_signup::store::UserStore;
use serde_json::{Value, json};
use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::mpsc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

pub const WORKER_FLAG: &str = "--cross-process-worker";

/// How a process opens the store under test from a spec string (a file, a schema).
pub type Open<S> = fn(&str) -> Arc<S>;

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_millis() as u64
}

fn sleep_until_ms(at: u64) {
    let now = now_ms();
    if at > now {
        std::thread::sleep(Duration::from_millis(at - now));
    }
}

fn outcome(r: Result<(), cognito_signup::Error>) -> &'static str {
    match r {
        Ok(()) => "OK",
        Err(e) => e.name(),
    }
}

/// A store that counts the conflicts it answers: evidence that the processes really raced.
pub struct Counting<S> {
    inner: Arc<S>,
    conflicts: std::sync::atomic::AtomicU64,
}

impl<S: UserStore> UserStore for Counting<S> {
    fn find(
        &self,
        pool_id: &str,
        keys: &[cognito_signup::store::IndexKey],
    ) -> Result<
        Option<cognito_signup::store::Versioned<cognito_signup::UserRecord>>,
        cognito_signup::HostError,
    > {
        self.inner.find(pool_id, keys)
    }
    fn commit(
        &self,
        pool_id: &str,
        commit: &cognito_signup::store::Commit,
    ) -> Result<cognito_signup::store::CommitOutcome, cognito_signup::HostError> {
        let outcome = self.inner.commit(pool_id, commit)?;
        if outcome == cognito_signup::store::CommitOutcome::Conflict {
            self.conflicts
                .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        }
        Ok(outcome)
    }
    fn list(
        &self,
        pool_id: &str,
        after: Option<&str>,
        limit: usize,
    ) -> Result<
        Vec<cognito_signup::store::Versioned<cognito_signup::UserRecord>>,
        cognito_signup::HostError,
    > {
        self.inner.list(pool_id, after, limit)
    }
}

/// The worker side: `args` are what follows `WORKER_FLAG`: role, spec, JSON plan.
pub fn worker<S: UserStore + 'static>(open: Open<S>, args: &[String]) {
    let (role, spec, plan) = (&args[0], &args[1], &args[2]);
    let plan: Value = serde_json::from_str(plan).unwrap();
    let store = Arc::new(Counting {
        inner: open(spec),
        conflicts: std::sync::atomic::AtomicU64::new(0),
    });
    match role.as_str() {
        "hammer" => hammer_worker(store.clone(), &plan),
        "load" => load_worker(store.clone(), &plan),
        other => panic!("unknown worker role {other}"),
    }
    println!(
        "CONFLICTS {}",
        store.conflicts.load(std::sync::atomic::Ordering::Relaxed)
    );
    println!("DONE");
}

fn hammer_worker<S: UserStore + 'static>(store: Arc<S>, plan: &Value) {
    let start = plan["start_at_ms"].as_u64().unwrap();
    let threads = plan["threads"].as_u64().unwrap();
    let attempts = plan["attempts"].as_u64().unwrap();
    std::thread::scope(|scope| {
        for (tag, who) in [("RIGHT", &plan["right"]), ("WRONG", &plan["wrong"])] {
            for _ in 0..threads {
                let store = store.clone();
                scope.spawn(move || {
                    let h = host::host(store);
                    let (user, code) =
                        (who["user"].as_str().unwrap(), who["code"].as_str().unwrap());
                    sleep_until_ms(start);
                    for _ in 0..attempts {
                        println!("{tag} {}", outcome(h.confirm(user, code, false)));
                    }
                });
            }
        }
        let store = store.clone();
        scope.spawn(move || {
            let h = host::host(store);
            let slot = plan["slot_ms"].as_u64().unwrap();
            for (round, u) in plan["alias"].as_array().unwrap().iter().enumerate() {
                sleep_until_ms(start + slot * round as u64);
                let r = h.confirm(
                    u["user"].as_str().unwrap(),
                    u["code"].as_str().unwrap(),
                    u["force"].as_bool().unwrap(),
                );
                println!("ALIAS {round} {}", outcome(r));
            }
        });
    });
}

/// Signs users up and confirms them (with ForceAliasCreation, over a few shared emails so that
/// aliases keep moving), printing `ACK <user>` after each acknowledged confirmation, until
/// `ops` confirmations per thread or `seconds` have passed.
fn load_worker<S: UserStore + 'static>(store: Arc<S>, plan: &Value) {
    let prefix = plan["prefix"].as_str().unwrap();
    let threads = plan["threads"].as_u64().unwrap();
    let ops = plan["ops"].as_u64().unwrap();
    let deadline = Instant::now() + Duration::from_secs(plan["seconds"].as_u64().unwrap());
    std::thread::scope(|scope| {
        for t in 0..threads {
            let store = store.clone();
            scope.spawn(move || {
                let h: TestHost<S> = host::host(store);
                for i in 0..ops {
                    if Instant::now() > deadline {
                        break;
                    }
                    let user = format!("{prefix}-{t}-{i}");
                    let email = format!("shared{}@example.com", i % 4);
                    let code = h.sign_up(&user, &email);
                    if h.confirm(&user, &code, true).is_ok() {
                        println!("ACK {user}");
                    }
                }
            });
        }
    });
}

fn spawn(role: &str, spec: &str, plan: &Value) -> Child {
    Command::new(std::env::current_exe().unwrap())
        .arg(WORKER_FLAG)
        .arg(role)
        .arg(spec)
        .arg(plan.to_string())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap()
}

/// Counts of outcomes by tag: "RIGHT" -> {"OK": 1, …}.
type Tally = BTreeMap<String, BTreeMap<String, usize>>;

/// Two processes (each with several threads) confirm one user with the right code, send wrong
/// codes to another, and race pairs of users for one alias per round, with and without
/// ForceAliasCreation. Then: exactly one confirmation succeeded and is stored, the failures were
/// counted exactly to the policy's 15, each alias has one holder, and the invariants hold.
pub fn hammer<S: Inspect>(store: Arc<S>, spec: &str) -> Result<String, String> {
    const PROCS: usize = 2;
    const THREADS: u64 = 3;
    const ATTEMPTS: u64 = 6;
    const ROUNDS: usize = 16;
    let h = host::host(store.clone());
    let right = h.sign_up("racer", "racer@example.com");
    let guesser_code = h.sign_up("guesser", "guesser@example.com");
    let bad = host::wrong(&guesser_code);
    // alias[p][round]: the user of process p in a round; both share the round's email.
    let mut alias: Vec<Vec<Value>> = vec![Vec::new(); PROCS];
    for round in 0..ROUNDS {
        for (p, users) in alias.iter_mut().enumerate() {
            let user = format!("p{p}r{round}");
            let code = h.sign_up(&user, &format!("Round{round}@example.com"));
            users.push(json!({"user": user, "code": code, "force": round % 2 == 0}));
        }
    }
    let start = now_ms() + 1_500;
    let children: Vec<Child> = (0..PROCS)
        .map(|p| {
            let plan = json!({
                "start_at_ms": start, "threads": THREADS, "attempts": ATTEMPTS, "slot_ms": 40,
                "right": {"user": "racer", "code": right},
                "wrong": {"user": "guesser", "code": bad},
                "alias": alias[p],
            });
            spawn("hammer", spec, &plan)
        })
        .collect();
    let mut tally = Tally::new();
    let mut conflicts = 0u64;
    let mut rounds: Vec<Vec<String>> = vec![vec![String::new(); PROCS]; ROUNDS];
    for (p, child) in children.into_iter().enumerate() {
        let out = child.wait_with_output().unwrap();
        if !out.status.success() {
            return Err(format!("worker {p} failed: {}", out.status));
        }
        let text = String::from_utf8(out.stdout).unwrap();
        if text.lines().last() != Some("DONE") {
            return Err(format!("worker {p} did not finish"));
        }
        for line in text.lines() {
            let parts: Vec<&str> = line.split(' ').collect();
            match parts.as_slice() {
                ["ALIAS", round, what] => {
                    rounds[round.parse::<usize>().unwrap()][p] = what.to_string()
                }
                ["CONFLICTS", n] => conflicts += n.parse::<u64>().unwrap(),
                [tag, what] => {
                    *tally
                        .entry(tag.to_string())
                        .or_default()
                        .entry(what.to_string())
                        .or_default() += 1
                }
                _ => {}
            }
        }
    }
    let total = PROCS * THREADS as usize * ATTEMPTS as usize;
    let count = |tag: &str, what: &str| {
        tally
            .get(tag)
            .and_then(|t| t.get(what))
            .copied()
            .unwrap_or(0)
    };
    // One successful confirmation; every other attempt saw the user confirmed.
    if count("RIGHT", "OK") != 1 || count("RIGHT", "NotAuthorizedException") != total - 1 {
        return Err(format!(
            "right-code confirmations: {:?}",
            tally.get("RIGHT")
        ));
    }
    let racer = store
        .all_records(POOL)
        .into_iter()
        .find(|r| r.value.username == "racer")
        .unwrap();
    if racer.version != 2 || racer.value.status.as_str() != "CONFIRMED" {
        return Err(format!(
            "racer stored at version {} as {}",
            racer.version, racer.value.status
        ));
    }
    // Wrong codes: exactly 15 counted failures, the rest locked out.
    if count("WRONG", "CodeMismatchException") != 15
        || count("WRONG", "LimitExceededException") != total - 15
    {
        return Err(format!("wrong codes: {:?}", tally.get("WRONG")));
    }
    let guesser = store
        .all_records(POOL)
        .into_iter()
        .find(|r| r.value.username == "guesser")
        .unwrap();
    if guesser.value.failed_confirmations.len() != 15 || guesser.version != 16 {
        return Err(format!(
            "guesser stored {} failures at version {}",
            guesser.value.failed_confirmations.len(),
            guesser.version
        ));
    }
    if host::err_name(h.confirm("guesser", &guesser_code, false)) != "LimitExceededException" {
        return Err("the right code got through the lockout".into());
    }
    // Alias races.
    let index: BTreeMap<String, String> = store
        .all_index(POOL)
        .into_iter()
        .map(|(k, s)| (k.as_str().to_owned(), s))
        .collect();
    let records: BTreeMap<String, cognito_signup::UserRecord> = store
        .all_records(POOL)
        .into_iter()
        .map(|r| (r.value.username.to_string(), r.value))
        .collect();
    let mut moved = 0;
    for (round, answers) in rounds.iter().enumerate() {
        let key = format!("a:email:round{round}@example.com");
        let Some(holder_sub) = index.get(&key) else {
            return Err(format!("round {round}: no holder ({answers:?})"));
        };
        let users: Vec<&cognito_signup::UserRecord> = (0..PROCS)
            .map(|p| &records[&format!("p{p}r{round}")])
            .collect();
        let holder: Vec<usize> = (0..PROCS)
            .filter(|p| &users[*p].sub == holder_sub)
            .collect();
        let verified: Vec<usize> = (0..PROCS).filter(|p| users[*p].email_verified).collect();
        if holder.len() != 1 || verified != holder {
            return Err(format!(
                "round {round}: holder {holder:?}, verified {verified:?}"
            ));
        }
        if round % 2 == 0 {
            if answers.iter().any(|a| a != "OK") {
                return Err(format!("round {round} (force): {answers:?}"));
            }
            moved += 1;
        } else {
            let ok: Vec<usize> = (0..PROCS).filter(|p| answers[*p] == "OK").collect();
            let refused = answers
                .iter()
                .filter(|a| *a == "AliasExistsException")
                .count();
            if ok != holder || refused != PROCS - 1 {
                return Err(format!(
                    "round {round}: answers {answers:?}, holder {holder:?}"
                ));
            }
        }
    }
    check_invariants(&*store)?;
    if conflicts == 0 {
        return Err("no commit conflicted: the processes did not race".into());
    }
    Ok(format!(
        "{total} right-code confirms across {PROCS} processes: 1 OK; {total} wrong codes: 15 \
         counted, {} locked out; {ROUNDS} alias races ({moved} with ForceAliasCreation): one holder \
         each; {conflicts} commits answered Conflict and were retried",
        total - 15
    ))
}

/// Kills a loaded worker with SIGKILL three times, at different points, then lets a restarted
/// one run to its end; after each, every confirmation the worker acknowledged is CONFIRMED in the
/// database and the invariants hold (nothing half-applied).
pub fn crash<S: Inspect>(open: Open<S>, spec: &str) -> Result<String, String> {
    let mut acked: BTreeSet<String> = BTreeSet::new();
    let check = |acked: &BTreeSet<String>| -> Result<(), String> {
        // A fresh handle, as a restarted process would open the file.
        let store = open(spec);
        store.check_integrity()?;
        let records: BTreeMap<String, String> = store
            .all_records(POOL)
            .into_iter()
            .map(|r| {
                (
                    r.value.username.to_string(),
                    r.value.status.as_str().to_owned(),
                )
            })
            .collect();
        for user in acked {
            if records.get(user).map(String::as_str) != Some("CONFIRMED") {
                return Err(format!(
                    "acknowledged {user} is {:?} after the kill",
                    records.get(user)
                ));
            }
        }
        check_invariants(&*store)
    };
    let mut kills = Vec::new();
    for (cycle, kill_after) in [25usize, 60, 5].into_iter().enumerate() {
        let plan =
            json!({"prefix": format!("k{cycle}"), "threads": 3, "ops": 100_000, "seconds": 60});
        let mut child = spawn("load", spec, &plan);
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = mpsc::channel();
        let reader = std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let mut seen = 0;
        let deadline = Instant::now() + Duration::from_secs(60);
        while seen < kill_after && Instant::now() < deadline {
            match rx.recv_timeout(Duration::from_secs(1)) {
                Ok(line) => {
                    if let Some(user) = line.strip_prefix("ACK ") {
                        acked.insert(user.to_owned());
                        seen += 1;
                    }
                }
                Err(mpsc::RecvTimeoutError::Timeout) => {}
                Err(mpsc::RecvTimeoutError::Disconnected) => break,
            }
        }
        child.kill().unwrap(); // SIGKILL
        let status = child.wait().unwrap();
        reader.join().unwrap();
        // Lines written before the kill are still in the pipe: they count too.
        for line in rx.try_iter() {
            if let Some(user) = line.strip_prefix("ACK ") {
                acked.insert(user.to_owned());
                seen += 1;
            }
        }
        if status.success() {
            return Err(format!(
                "cycle {cycle}: the worker ended before it was killed"
            ));
        }
        kills.push(seen);
        check(&acked)?;
    }
    // Restarted: runs to its end on the recovered file.
    let plan = json!({"prefix": "restart", "threads": 2, "ops": 10, "seconds": 60});
    let out = spawn("load", spec, &plan).wait_with_output().unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    if !out.status.success() || text.lines().last() != Some("DONE") {
        return Err(format!("the restarted worker failed: {}", out.status));
    }
    let restarted = text.lines().filter(|l| l.starts_with("ACK ")).count();
    for line in text.lines() {
        if let Some(user) = line.strip_prefix("ACK ") {
            acked.insert(user.to_owned());
        }
    }
    if restarted != 20 {
        return Err(format!(
            "the restarted worker acknowledged {restarted} of 20"
        ));
    }
    check(&acked)?;
    Ok(format!(
        "3 SIGKILLs after {kills:?} acknowledged confirmations, then a restart with {restarted}: \
         all {} acknowledged confirmations CONFIRMED, invariants hold, file intact",
        acked.len()
    ))
}

/// The parent's entry: runs the named checks, prints one line each and a closing count, and
/// exits non-zero if any failed.
pub fn report(results: Vec<(&str, Result<String, String>)>, skipped: usize) {
    let mut failed = 0;
    for (name, r) in &results {
        match r {
            Ok(what) => println!("test {name} ... ok ({what})"),
            Err(why) => {
                failed += 1;
                println!("test {name} ... FAILED: {why}");
            }
        }
    }
    let passed = results.len() - failed;
    if skipped > 0 {
        println!("{passed} passed, {failed} failed, {skipped} skipped");
    } else {
        println!("{passed} passed, {failed} failed");
    }
    if failed > 0 {
        std::process::exit(1);
    }
}
