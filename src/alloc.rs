//! The process allocator: mimalloc, except for huge requests, which get address space that the
//! kernel does not reserve up front (`MAP_NORESERVE`).
//!
//! Why: a wire decoder (the kafka-protocol crate's) sizes a vector from the element count a
//! request declares before it reads any element, so twenty bytes that declare 2^31 elements ask
//! for hundreds of gigabytes. A refused allocation aborts the process; an unreserved mapping of
//! that size succeeds, and the decoder then fails at the end of the request having touched no
//! more memory than the request's own bytes can fill. Legitimate allocations this large do not
//! occur (requests, values and batches are limited far below).

use std::alloc::{GlobalAlloc, Layout};

use mimalloc::MiMalloc;

/// At or above this size (with page alignment or less) an allocation is mapped directly.
const HUGE: usize = 1 << 30;
const PAGE: usize = 4096;

pub struct Guarded;

fn is_huge(size: usize, align: usize) -> bool {
    size >= HUGE && align <= PAGE
}

unsafe fn map(size: usize) -> *mut u8 {
    // SAFETY: an anonymous private mapping with no address hint has no preconditions.
    let p = unsafe {
        libc::mmap(
            std::ptr::null_mut(),
            size,
            libc::PROT_READ | libc::PROT_WRITE,
            libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_NORESERVE,
            -1,
            0,
        )
    };
    if p == libc::MAP_FAILED {
        std::ptr::null_mut()
    } else {
        p.cast()
    }
}

// SAFETY: every block is freed by the allocator that made it, told apart by the same size
// test on allocation and on deallocation (`Layout` is the one it was allocated with).
unsafe impl GlobalAlloc for Guarded {
    unsafe fn alloc(&self, l: Layout) -> *mut u8 {
        if is_huge(l.size(), l.align()) {
            return unsafe { map(l.size()) };
        }
        unsafe { MiMalloc.alloc(l) }
    }

    unsafe fn alloc_zeroed(&self, l: Layout) -> *mut u8 {
        if is_huge(l.size(), l.align()) {
            // Fresh anonymous pages are zero.
            return unsafe { map(l.size()) };
        }
        unsafe { MiMalloc.alloc_zeroed(l) }
    }

    unsafe fn dealloc(&self, p: *mut u8, l: Layout) {
        if is_huge(l.size(), l.align()) {
            unsafe { libc::munmap(p.cast(), l.size()) };
            return;
        }
        unsafe { MiMalloc.dealloc(p, l) }
    }

    unsafe fn realloc(&self, p: *mut u8, l: Layout, new_size: usize) -> *mut u8 {
        if !is_huge(l.size(), l.align()) && !is_huge(new_size, l.align()) {
            return unsafe { MiMalloc.realloc(p, l, new_size) };
        }
        // SAFETY: the caller guarantees `new_size`, rounded up to `l.align()`, fits isize.
        let new = unsafe { Layout::from_size_align_unchecked(new_size, l.align()) };
        let q = unsafe { self.alloc(new) };
        if !q.is_null() {
            unsafe {
                std::ptr::copy_nonoverlapping(p, q, l.size().min(new_size));
                self.dealloc(p, l);
            }
        }
        q
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_huge_allocation_is_address_space_not_memory() {
        let a = Guarded;
        let l = Layout::from_size_align(64 << 30, 8).expect("layout");
        // SAFETY: allocated and freed with the same layout; only the first page is touched.
        unsafe {
            let p = a.alloc(l);
            assert!(!p.is_null());
            *p = 7;
            assert_eq!(*p, 7);
            a.dealloc(p, l);
        }
    }
}
