//! The CI-sized form of the fuzz target (fuzz/fuzz_targets/verify_and_parse.rs): the same function
//! on random and mutated inputs, bounded in time, must never panic — and signed random bodies must
//! verify, so the parsers behind the signature check are exercised too.

use std::time::{Duration, Instant};

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use zoom::ZoomEvent;
use zoom::webhook::{Verifier, sign, verify_and_parse};

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/fixtures/zoom");
const NOW_MS: i64 = 1_764_579_612_000;

fn seeds() -> Vec<Vec<u8>> {
    let mut seeds: Vec<Vec<u8>> = std::fs::read_dir(FIXTURES)
        .expect("fixtures")
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy() != "vectors.json")
        .filter_map(|e| std::fs::read(e.path()).ok())
        .collect();
    seeds.extend([
        b"{}".to_vec(),
        b"[]".to_vec(),
        br#"{"event":"a.b","payload":{"object":{"id":"1"}}}"#.to_vec(),
        vec![0xff, 0xfe],
    ]);
    seeds
}

/// One mutation of `input`: flip, insert, delete, duplicate a range, or splice JSON tokens.
fn mutate(rng: &mut StdRng, input: &[u8]) -> Vec<u8> {
    let mut out = input.to_vec();
    for _ in 0..rng.random_range(1..8) {
        let len = out.len();
        match rng.random_range(0..6) {
            0 if len > 0 => {
                let i = rng.random_range(0..len);
                out[i] ^= 1 << rng.random_range(0..8);
            }
            1 => {
                let i = rng.random_range(0..=len);
                out.insert(i, rng.random());
            }
            2 if len > 0 => {
                let i = rng.random_range(0..len);
                let j = rng.random_range(i..len.min(i + 32) + 1).min(len);
                out.drain(i..j);
            }
            3 if len > 1 => {
                let i = rng.random_range(0..len);
                let j = rng.random_range(i..len);
                let copy = out[i..=j].to_vec();
                let at = rng.random_range(0..=out.len());
                out.splice(at..at, copy);
            }
            4 => {
                const TOKENS: [&[u8]; 12] = [
                    b"{",
                    b"}",
                    b"[",
                    b"]",
                    b"\"",
                    b":",
                    b",",
                    b"null",
                    b"-1e999",
                    b"\"\\u0000\"",
                    b"18446744073709551616",
                    b"\"event\"",
                ];
                let token = TOKENS[rng.random_range(0..TOKENS.len())];
                let at = rng.random_range(0..=out.len());
                out.splice(at..at, token.iter().copied());
            }
            _ => {
                let n = rng.random_range(0..64);
                out.extend((0..n).map(|_| rng.random::<u8>()));
            }
        }
    }
    out
}

/// What the fuzz target does with one input.
fn exercise(verifier: &Verifier, rng: &mut StdRng, body: &[u8]) {
    let timestamp = if rng.random_bool(0.9) {
        (NOW_MS / 1000).to_string()
    } else {
        String::from_utf8_lossy(&body[..body.len().min(12)]).into_owned()
    };
    let garbage = String::from_utf8_lossy(&body[body.len() / 2..]).into_owned();
    let _ = verify_and_parse(verifier, Some(&timestamp), Some(&garbage), body, NOW_MS);
    let signature = sign(b"fuzz-secret", &timestamp, body);
    let result = verify_and_parse(verifier, Some(&timestamp), Some(&signature), body, NOW_MS);
    if timestamp.bytes().all(|b| b.is_ascii_digit()) && timestamp == (NOW_MS / 1000).to_string() {
        assert!(
            !matches!(result, Err(zoom::webhook::ReceiveError::Signature(_))),
            "a correctly signed body must verify"
        );
    }
    let _ = ZoomEvent::parse(body);
}

#[test]
fn random_and_mutated_webhook_requests_never_panic_the_verifier_or_the_parsers() {
    let verifier = Verifier::new(["fuzz-secret"]).expect("secret");
    let seeds = seeds();
    let mut rng = StdRng::seed_from_u64(0x5eed_2026);
    let deadline = Instant::now() + Duration::from_secs(3);
    let mut runs = 0u64;
    while Instant::now() < deadline {
        let seed = &seeds[rng.random_range(0..seeds.len())];
        let input = mutate(&mut rng, seed);
        exercise(&verifier, &mut rng, &input);
        runs += 1;
    }
    assert!(runs > 1000, "only {runs} inputs in 3 s");
}
