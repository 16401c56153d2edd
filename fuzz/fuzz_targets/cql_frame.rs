//! Bytes off a CQL connection: the frame decoder, then the request body decoder (plain, and as
//! an LZ4 and a Snappy body), never panic, abort or allocate past the frame limit.
#![no_main]

use libfuzzer_sys::fuzz_target;
use trident::cql::frame::{decode_request, Compression, FrameDecoder};

#[global_allocator]
static GLOBAL: trident::alloc::Guarded = trident::alloc::Guarded;

fuzz_target!(|data: &[u8]| {
    let mut buf = bytes::BytesMut::from(data);
    let mut decoder = FrameDecoder::new(1 << 20);
    while let Ok(Some(frame)) = decoder.decode(&mut buf) {
        for c in [None, Some(Compression::Lz4), Some(Compression::Snappy)] {
            let _ = decode_request(&frame, c, 1 << 20);
        }
    }
});
