//! The stack the recursive phases run on.
//!
//! The parser, the lowering, the checker and its analysis, the evaluators, the formatter and the
//! SQL compiler recurse once per level of an expression. The depth guard ([`crate::scan`] and
//! [`crate::MAX_DEPTH`]) bounds the levels; this module bounds the stack they need: each phase's
//! entry point runs through [`guarded`], which moves to a fresh stack of [`STACK_SIZE`] when the
//! caller's thread has less than [`RED_ZONE`] left (a 2 MiB worker or test thread, an 8 MiB main
//! thread), and threads the toolchain spawns for such work are given [`STACK_SIZE`] directly.
//! pest's generated parser is the greediest: about 30 KiB a level in release builds and
//! 250 KiB in debug builds, so the deepest accepted scheme needs a few MiB, far below this.

/// The stack every recursive phase runs on: reserved address space, of which only what is
/// used is ever touched.
pub const STACK_SIZE: usize = 64 << 20;

/// Below this much stack left, [`guarded`] moves to a fresh stack.
pub const RED_ZONE: usize = 16 << 20;

/// Runs `f` with at least [`RED_ZONE`] of stack: on the caller's stack when it has that much
/// left, else on a fresh stack of [`STACK_SIZE`].
pub fn guarded<R>(f: impl FnOnce() -> R) -> R {
    stacker::maybe_grow(RED_ZONE, STACK_SIZE, f)
}
