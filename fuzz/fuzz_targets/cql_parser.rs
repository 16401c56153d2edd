//! CQL text: the parser answers a statement or a syntax error, never panics or overflows its
//! stack, whatever the input.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = trident::cql::parser::parse_statements(text);
        let _ = trident::cql::parser::parse_type(text);
    }
});
