//! Timing side-channel checks (dudect-style Welch t-tests).

fn main() {}
