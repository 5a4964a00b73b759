//! Resolving a client through `CatalogDirectory` ([pool-directory]): a client configured at
//! start (fixed) beside one created through the catalog, by `Directory::client` alone and by a
//! whole ConfirmSignUp through `Driver`.
//!
//! Both pools have the same settings (those of `host::pool`) and the same code keys; only where
//! the client comes from differs.

use crate::host::{self, CLIENT, PASSWORD, POOL};
use cognito_signup::reference::{CatalogDirectory, StaticDirectory, Unlimited};
use cognito_signup::store::{CatalogOutcome, PoolCatalog, UserStore};
use cognito_signup::*;
use criterion::{Criterion, Throughput};
use std::hint::black_box;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// The pool and client created through the catalog.
pub const CATALOG_POOL: &str = "us-east-1_CatalogBench";
pub const CATALOG_CLIENT: &str = "catalogbenchclient";

static NEXT: AtomicU64 = AtomicU64::new(0);

fn keys(_: &str) -> Result<CodeKeys, HostError> {
    Ok(CodeKeys::new(&[[7; 32]])?)
}

/// A directory over `store` with the fixed pool and client and the catalog pool and client, and
/// a driver over both.
fn setup<S: UserStore + PoolCatalog + 'static>(
    store: Arc<S>,
) -> (
    Arc<CatalogDirectory>,
    Driver<Arc<S>>,
    Arc<RecordingDelivery>,
) {
    let mut fixed = StaticDirectory::new();
    fixed.add_pool(host::pool(), keys("").unwrap());
    fixed.add_client(POOL, AppClient::new(CLIENT)).unwrap();
    let mut pool = host::pool();
    pool.id = CATALOG_POOL.into();
    assert_eq!(store.insert_pool(&pool).unwrap(), CatalogOutcome::Done);
    let mut client = AppClient::new(CATALOG_CLIENT);
    client.user_pool_id = Some(CATALOG_POOL.into());
    assert_eq!(store.insert_client(&client).unwrap(), CatalogOutcome::Done);
    let catalog: Arc<dyn PoolCatalog> = store.clone();
    let directory = Arc::new(CatalogDirectory::new(fixed, catalog, keys));
    let delivery = Arc::new(RecordingDelivery::new());
    let driver = Driver::new(store, directory.clone())
        .with_clock(Arc::new(ManualClock::new(host::START)))
        .with_delivery(delivery.clone())
        .with_rate_limiter(Arc::new(Unlimited))
        .with_password_hashing(PasswordHashing::insecure_fast_for_tests());
    (directory, driver, delivery)
}

/// Registers `<group>/directory_client/{fixed,catalog}` and
/// `<group>/confirm_sign_up/{fixed,catalog}_client`. Each ConfirmSignUp variant runs on a fresh
/// store from `make`: the users it signs up make the store grow as it runs, and a variant that
/// ran second on the first one's store would pay for that growth.
pub fn directory_benches<S: UserStore + PoolCatalog + 'static>(
    c: &mut Criterion,
    group: &str,
    make: impl Fn() -> Arc<S>,
) {
    let (directory, _, _) = setup(make());
    let mut g = c.benchmark_group(group);
    g.sample_size(20)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3))
        .throughput(Throughput::Elements(1));
    for (name, id) in [("fixed", CLIENT), ("catalog", CATALOG_CLIENT)] {
        assert!(directory.client(id).unwrap().is_some());
        g.bench_function(format!("directory_client/{name}"), |b| {
            b.iter(|| black_box(directory.client(black_box(id)).unwrap()))
        });
    }
    for (name, id) in [("fixed", CLIENT), ("catalog", CATALOG_CLIENT)] {
        let (_, driver, delivery) = setup(make());
        g.bench_function(format!("confirm_sign_up/{name}_client"), |b| {
            b.iter_custom(|iters| confirm(&driver, &delivery, id, iters))
        });
    }
    g.finish();
}

/// Signs `iters` users up through `client` (not timed), then times their confirmations.
fn confirm<S: UserStore>(
    driver: &Driver<S>,
    delivery: &RecordingDelivery,
    client: &str,
    iters: u64,
) -> Duration {
    let run = std::process::id();
    let users: Vec<(String, String)> = (0..iters)
        .map(|_| {
            let n = NEXT.fetch_add(1, Ordering::Relaxed);
            let name = format!("dir-{run}-{n}");
            driver
                .sign_up(
                    SignUpRequest::new(client, &name, PASSWORD)
                        .attribute("email", format!("{name}@example.com")),
                )
                .unwrap();
            let code = delivery.last().unwrap().code.as_str().to_owned();
            (name, code)
        })
        .collect();
    let start = Instant::now();
    for (name, code) in &users {
        driver
            .confirm_sign_up(ConfirmSignUpRequest::new(client, name, code))
            .unwrap();
    }
    start.elapsed()
}
