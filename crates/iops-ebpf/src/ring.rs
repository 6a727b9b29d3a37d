//! The reader of the kernel's ring buffer (BPF_MAP_TYPE_RINGBUF), read in
//! place through the map's mappings: the consumer page, which we write,
//! then, read-only, the producer page and the data pages (mapped twice in a
//! row by the kernel, so that a record that wraps is contiguous).
//!
//! Why not aya's reader: it publishes the consumer position after every
//! record, and the kernel reads that position at every reserve, in the
//! traced program's thread: while we drain, each of its calls would then
//! fetch a cache line just written by our CPU. Here the position is
//! published once per drain (or per quarter of the buffer, so that a long
//! drain frees room as it goes).

use std::io;
use std::os::fd::RawFd;
use std::sync::atomic::{fence, AtomicU32, AtomicUsize, Ordering};

/// `struct bpf_ringbuf_hdr`: `u32 len` (with these two flags) and `u32 pg_off`.
const HDR_LEN: usize = 8;
const BUSY: u32 = 1 << 31;
const DISCARD: u32 = 1 << 30;

pub struct Ring {
    /// The consumer page (our position, read by the kernel).
    consumer: *mut libc::c_void,
    /// The producer page, then the data pages twice.
    producer: *mut libc::c_void,
    page: usize,
    size: usize,
    /// Where we have read up to; published to `consumer` by `publish`.
    pos: usize,
    published: usize,
}

// SAFETY: the mappings belong to this value alone; the kernel synchronises
// its side through the positions (acquire/release below).
unsafe impl Send for Ring {}

impl Ring {
    /// Maps ring buffer map `fd` of `size` bytes (its max_entries: a power
    /// of two, a multiple of the page size). The fd must outlive the Ring.
    pub fn new(fd: RawFd, size: usize) -> io::Result<Ring> {
        let page = unsafe { libc::sysconf(libc::_SC_PAGESIZE) } as usize;
        let consumer = unsafe { libc::mmap(std::ptr::null_mut(), page, libc::PROT_READ | libc::PROT_WRITE, libc::MAP_SHARED, fd, 0) };
        if consumer == libc::MAP_FAILED {
            return Err(io::Error::last_os_error());
        }
        let producer = unsafe { libc::mmap(std::ptr::null_mut(), page + 2 * size, libc::PROT_READ, libc::MAP_SHARED, fd, page as libc::off_t) };
        if producer == libc::MAP_FAILED {
            let e = io::Error::last_os_error();
            unsafe { libc::munmap(consumer, page) };
            return Err(e);
        }
        let pos = unsafe { &*(consumer as *const AtomicUsize) }.load(Ordering::Acquire);
        Ok(Ring { consumer, producer, page, size, pos, published: pos })
    }

    fn producer_pos(&self) -> usize {
        unsafe { &*(self.producer as *const AtomicUsize) }.load(Ordering::Acquire)
    }

    fn publish(&mut self) {
        if self.published != self.pos {
            unsafe { &*(self.consumer as *const AtomicUsize) }.store(self.pos, Ordering::Release);
            self.published = self.pos;
        }
    }

    /// Calls `f` on each committed record in order, up to the first one
    /// still being written; returns how many it read.
    pub fn drain(&mut self, mut f: impl FnMut(&[u8])) -> usize {
        let data = unsafe { (self.producer as *const u8).add(self.page) };
        let mask = self.size - 1;
        let mut n = 0;
        'outer: loop {
            let end = self.producer_pos();
            if self.pos == end {
                break;
            }
            while self.pos != end {
                let at = unsafe { data.add(self.pos & mask) };
                let len = unsafe { &*(at as *const AtomicU32) }.load(Ordering::Acquire);
                if len & BUSY != 0 {
                    break 'outer;
                }
                let body = (len & !(BUSY | DISCARD)) as usize;
                if len & DISCARD == 0 {
                    // The record stays ours until the position passes it.
                    f(unsafe { std::slice::from_raw_parts(at.add(HDR_LEN), body) });
                    n += 1;
                }
                self.pos += (HDR_LEN + body).next_multiple_of(8);
                if self.pos.wrapping_sub(self.published) >= self.size / 4 {
                    self.publish();
                }
            }
        }
        self.publish();
        // Pairs with the kernel's check of our position before it decides
        // whether to wake us (we ask for wake-ups explicitly anyway).
        fence(Ordering::SeqCst);
        n
    }
}

impl Drop for Ring {
    fn drop(&mut self) {
        unsafe {
            libc::munmap(self.consumer, self.page);
            libc::munmap(self.producer, self.page + 2 * self.size);
        }
    }
}
