//! A Kafka request frame (without its size prefix), as the connection hands it to the parser:
//! whatever the bytes, parsing answers Ok or Err and never panics, aborts or runs out of memory.
#![no_main]

use libfuzzer_sys::fuzz_target;

// The server's allocator, so absurd element counts are mapped as they are in production.
#[global_allocator]
static GLOBAL: trident::alloc::Guarded = trident::alloc::Guarded;

fuzz_target!(|data: &[u8]| {
    let _ = trident::kafka::parse_request(bytes::Bytes::copy_from_slice(data));
});
