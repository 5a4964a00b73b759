//! Statistical checks of the code generator: every digit at every position is uniform.

use cognito_signup::seed::generate_code;
use cognito_signup::{Seed, SeededRandomness};

/// Codes drawn for the test, each from its own seed.
const CODES: u32 = 100_000;

/// The chi-square statistic of observed counts against a uniform distribution.
fn chi_square(counts: &[u64]) -> f64 {
    let total: u64 = counts.iter().sum();
    let expected = total as f64 / counts.len() as f64;
    counts
        .iter()
        .map(|c| {
            let d = *c as f64 - expected;
            d * d / expected
        })
        .sum()
}

/// The 0.1% critical value of chi-square with 9 degrees of freedom.
const CRITICAL_DF9: f64 = 27.877;
/// The 0.1% critical value of chi-square with 99 degrees of freedom.
const CRITICAL_DF99: f64 = 148.230;

/// A deterministic generator of distinct seeds (the code generator must be uniform for any).
fn seeds() -> impl Iterator<Item = Seed> {
    let randomness = SeededRandomness::new([0x5e; 32]);
    std::iter::repeat_with(move || Seed::generate(&randomness).unwrap())
}

/// Per position digit counts, and counts of the first two digits together.
fn tally(codes: impl Iterator<Item = [u8; 6]>) -> ([[u64; 10]; 6], [u64; 100]) {
    let mut per_position = [[0u64; 10]; 6];
    let mut pairs = [0u64; 100];
    for digits in codes {
        for (p, d) in digits.iter().enumerate() {
            per_position[p][usize::from(*d)] += 1;
        }
        pairs[usize::from(digits[0]) * 10 + usize::from(digits[1])] += 1;
    }
    (per_position, pairs)
}

fn digits_of(code: &str) -> [u8; 6] {
    let mut out = [0u8; 6];
    for (o, b) in out.iter_mut().zip(code.bytes()) {
        *o = b - b'0';
    }
    out
}

/// Every position of the generated codes passes the chi-square test at the 0.1% level, and so
/// does the joint distribution of the first two digits.
#[test]
fn generated_codes_are_uniform_per_position() {
    let codes = seeds()
        .take(CODES as usize)
        .map(|seed| digits_of(generate_code(seed).as_str()));
    let (per_position, pairs) = tally(codes);
    for (p, counts) in per_position.iter().enumerate() {
        let x2 = chi_square(counts);
        eprintln!("position {p}: chi-square {x2:.2} (df 9, 0.1% critical {CRITICAL_DF9})");
        assert!(
            x2 < CRITICAL_DF9,
            "position {p}: chi-square {x2:.2} >= {CRITICAL_DF9} ({counts:?})"
        );
    }
    let x2 = chi_square(&pairs);
    eprintln!("first two digits: chi-square {x2:.2} (df 99, 0.1% critical {CRITICAL_DF99})");
    assert!(x2 < CRITICAL_DF99, "first two digits: chi-square {x2:.2}");
}

/// The test has the power to see a generator with modulo bias (`byte % 10`) at this sample
/// size: the check above is not vacuous.
#[test]
fn chi_square_rejects_a_modulo_biased_generator() {
    let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut byte = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state >> 32) as u8
    };
    let biased = (0..CODES).map(|_| {
        let mut d = [0u8; 6];
        for x in &mut d {
            *x = byte() % 10;
        }
        d
    });
    let (per_position, _) = tally(biased);
    let rejected = per_position
        .iter()
        .inspect(|c| eprintln!("biased generator: chi-square {:.2}", chi_square(&c[..])))
        .filter(|c| chi_square(&c[..]) >= CRITICAL_DF9)
        .count();
    assert!(
        rejected >= 4,
        "only {rejected} of 6 positions rejected a biased generator"
    );
}
