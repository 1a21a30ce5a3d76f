//! The isolate's ArrayBuffer allocator, with a budget: V8's heap limit does
//! not cover backing stores (`new Uint8Array(2 ** 31 - 1)` is 2 GiB outside
//! the heap), so each isolate gets an allocator that refuses past its own
//! limit; V8 then throws a RangeError in the app instead of the process
//! growing.

use std::ffi::c_void;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use deno_core::v8;

pub struct BufferBudget {
  limit: usize,
  used: AtomicUsize,
}

impl BufferBudget {
  fn reserve(&self, len: usize) -> bool {
    self
      .used
      .fetch_update(Ordering::AcqRel, Ordering::Acquire, |used| {
        used.checked_add(len).filter(|total| *total <= self.limit)
      })
      .is_ok()
  }

  fn release(&self, len: usize) {
    self.used.fetch_sub(len, Ordering::AcqRel);
  }
}

unsafe extern "C" fn allocate(budget: &BufferBudget, len: usize) -> *mut c_void {
  if !budget.reserve(len) {
    return std::ptr::null_mut();
  }
  // SAFETY: calloc with a non-zero size; freed by `free` below.
  let data = unsafe { libc::calloc(len.max(1), 1) };
  if data.is_null() {
    budget.release(len);
  }
  data
}

unsafe extern "C" fn allocate_uninitialized(budget: &BufferBudget, len: usize) -> *mut c_void {
  if !budget.reserve(len) {
    return std::ptr::null_mut();
  }
  // SAFETY: as above; V8 initialises what it asked for uninitialised.
  let data = unsafe { libc::malloc(len.max(1)) };
  if data.is_null() {
    budget.release(len);
  }
  data
}

unsafe extern "C" fn free(budget: &BufferBudget, data: *mut c_void, len: usize) {
  // SAFETY: `data` came from `allocate` or `allocate_uninitialized`.
  unsafe { libc::free(data) };
  budget.release(len);
}

unsafe extern "C" fn drop_budget(budget: *const BufferBudget) {
  // SAFETY: the handle is the `Arc` given away in `allocator`.
  drop(unsafe { Arc::from_raw(budget) });
}

static VTABLE: v8::RustAllocatorVtable<BufferBudget> = v8::RustAllocatorVtable {
  allocate,
  allocate_uninitialized,
  free,
  drop: drop_budget,
};

/// An allocator for one isolate whose backing stores may total `limit`
/// bytes at once.
pub fn allocator(limit: usize) -> v8::SharedRef<v8::Allocator> {
  let budget = Arc::new(BufferBudget {
    limit,
    used: AtomicUsize::new(0),
  });
  // SAFETY: the vtable is static and the handle stays valid until V8 calls
  // `drop` (the allocator owns one reference).
  unsafe { v8::new_rust_allocator(Arc::into_raw(budget), &VTABLE) }.make_shared()
}
