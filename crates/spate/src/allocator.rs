//! The binary's global allocator: mimalloc, asked for plain blocks wherever a plain block is
//! aligned enough. Every block made and freed is reported to `spate_engine::memory`, which
//! counts it against a job's memory budget when the thread belongs to a job.
//!
//! The `mimalloc` crate hands every request to `mi_malloc_aligned`. Its fast path serves a
//! request only while the size class's page has a block on its free list; otherwise it falls
//! to a generic path that, for sizes that are not powers of two, over-allocates by the
//! alignment and offsets the pointer (`mi_theap_malloc_zero_aligned_at_overalloc`). A SQL row
//! (`Vec<Value>`, 32 bytes a column, aligned to 16) is such a size, allocated and freed per
//! record: in the tumble-count benchmark the generic and over-allocating paths and the slower
//! frees of offset blocks were about a tenth of the samples (BENCHMARKS.md, "Session 19").
//!
//! `mi_malloc` gives every block at least 8-byte alignment (blocks are whole words from an
//! aligned page start), and in practice 16 for sizes that are multiples of 16, so: alignment up
//! to 8 asks `mi_malloc`; alignment 16 asks `mi_malloc` too and checks the pointer, falling back
//! to the aligned call when it is not aligned; larger alignments use the aligned call.

use std::alloc::{GlobalAlloc, Layout};
use std::ffi::c_void;

use spate_engine::memory;

use libmimalloc_sys::{
    mi_free, mi_malloc, mi_malloc_aligned, mi_realloc, mi_realloc_aligned, mi_zalloc, mi_zalloc_aligned,
};

/// Every block mimalloc hands out is aligned to this.
const WORD_ALIGN: usize = 8;
/// Alignments checked on a plain block before falling back to an aligned call.
const CHECKED_ALIGN: usize = 16;

/// See the module docs.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Mimalloc;

fn is_aligned(p: *mut c_void, align: usize) -> bool {
    (p as usize) & (align - 1) == 0
}

/// A block for `layout` from `plain` where a plain block is aligned enough, else from
/// `aligned`.
///
/// # Safety
/// `plain` and `aligned` must be a matching pair of mimalloc's allocation calls.
#[inline]
unsafe fn allocate(
    layout: Layout,
    plain: unsafe extern "C" fn(usize) -> *mut c_void,
    aligned: unsafe extern "C" fn(usize, usize) -> *mut c_void,
) -> *mut u8 {
    let (size, align) = (layout.size(), layout.align());
    // SAFETY: plain FFI calls; a returned block is only used if aligned as asked.
    unsafe {
        if align <= WORD_ALIGN {
            return plain(size).cast();
        }
        if align <= CHECKED_ALIGN {
            let p = plain(size);
            if is_aligned(p, align) {
                return p.cast();
            }
            mi_free(p);
        }
        aligned(size, align).cast()
    }
}

// SAFETY: every block comes from mimalloc with at least the layout's size and alignment
// (checked where not guaranteed), and every block is given back to mimalloc's `mi_free` /
// `mi_realloc*`, which take blocks of either kind of allocation.
unsafe impl GlobalAlloc for Mimalloc {
    #[inline]
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        memory::allocated(layout.size());
        // SAFETY: mimalloc's allocation calls take any size and a power-of-two alignment.
        unsafe { allocate(layout, mi_malloc, mi_malloc_aligned) }
    }

    #[inline]
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        memory::allocated(layout.size());
        // SAFETY: as in `alloc`.
        unsafe { allocate(layout, mi_zalloc, mi_zalloc_aligned) }
    }

    #[inline]
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        memory::freed(layout.size());
        // SAFETY: `ptr` came from this allocator, so from mimalloc.
        unsafe { mi_free(ptr.cast()) }
    }

    #[inline]
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        memory::freed(layout.size());
        memory::allocated(new_size);
        // SAFETY: `ptr` came from this allocator; mimalloc's realloc keeps the contents.
        unsafe {
            if layout.align() <= WORD_ALIGN {
                mi_realloc(ptr.cast(), new_size).cast()
            } else {
                mi_realloc_aligned(ptr.cast(), new_size, layout.align()).cast()
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Blocks of every alignment up to a page come back aligned, hold their bytes through
    /// a reallocation, and zeroed blocks are zero.
    #[test]
    fn blocks_are_aligned_as_asked_and_keep_their_contents() {
        let a = Mimalloc;
        for align in [1, 2, 4, 8, 16, 32, 64, 4096] {
            for size in [1, 8, 24, 48, 96, 100, 1000, 70_000] {
                let Ok(layout) = Layout::from_size_align(size, align) else {
                    continue;
                };
                // SAFETY: the layouts are valid and non-zero; blocks are freed once.
                unsafe {
                    let z = a.alloc_zeroed(layout);
                    assert!(!z.is_null() && is_aligned(z.cast(), align), "{size} {align}");
                    assert!(std::slice::from_raw_parts(z, size).iter().all(|b| *b == 0));
                    a.dealloc(z, layout);
                    let p = a.alloc(layout);
                    assert!(!p.is_null() && is_aligned(p.cast(), align), "{size} {align}");
                    std::ptr::write_bytes(p, 0xa5, size);
                    let q = a.realloc(p, layout, size * 3);
                    assert!(!q.is_null() && is_aligned(q.cast(), align), "{size} {align}");
                    assert!(std::slice::from_raw_parts(q, size).iter().all(|b| *b == 0xa5));
                    a.dealloc(q, Layout::from_size_align_unchecked(size * 3, align));
                }
            }
        }
    }
}
