//! Webhook verification and parsing on arbitrary input: the timestamp header, the signature
//! header and the body all come from the fuzzer. Half of the runs sign the body correctly first,
//! so the parsers behind the signature check get arbitrary bodies too. Nothing may panic.

#![no_main]

use libfuzzer_sys::fuzz_target;
use zoom::ZoomEvent;
use zoom::webhook::{Verifier, sign, verify_and_parse};

const NOW_MS: i64 = 1_764_579_612_000;

fuzz_target!(|data: &[u8]| {
    let Ok(verifier) = Verifier::new(["fuzz-secret", "rotated-secret"]) else { return };
    let Some((&mode, rest)) = data.split_first() else { return };
    let split = rest.len().min(usize::from(mode & 0x0f) + 8);
    let (header_bytes, body) = rest.split_at(split);
    let timestamp = String::from_utf8_lossy(header_bytes).into_owned();
    if mode & 0x80 == 0 {
        let signature = String::from_utf8_lossy(&body[..body.len().min(70)]).into_owned();
        let _ = verify_and_parse(&verifier, Some(&timestamp), Some(&signature), body, NOW_MS);
    } else {
        let now = (NOW_MS / 1000).to_string();
        let signature = sign(b"rotated-secret", &now, body);
        let result = verify_and_parse(&verifier, Some(&now), Some(&signature), body, NOW_MS);
        assert!(!matches!(result, Err(zoom::webhook::ReceiveError::Signature(_))));
    }
    let _ = ZoomEvent::parse(body);
});
