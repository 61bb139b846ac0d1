//! Random operation sequences on two evbuffers, checked against byte-vector models
//! (the same checker the `evbuffer_ops` fuzz target runs).

#[path = "buffer_model/ops.rs"]
mod ops;

/// xorshift64*: reproducible sequences without a dependency.
fn sequence(seed: u64, len: usize) -> Vec<u8> {
    let mut x = seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1;
    (0..len)
        .map(|_| {
            x ^= x >> 12;
            x ^= x << 25;
            x ^= x >> 27;
            (x.wrapping_mul(0x2545_f491_4f6c_dd1d) >> 56) as u8
        })
        .collect()
}

#[test]
fn random_sequences_match_the_model() {
    let runs = std::env::var("EVRS_MODEL_RUNS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(3000u64);
    for seed in 0..runs {
        let data = sequence(seed, 600);
        let result = std::panic::catch_unwind(|| ops::run_ops(&data));
        if result.is_err() {
            panic!("sequence with seed {seed} failed");
        }
    }
}
