//! The build script (Cargo.toml's `build`), not a module of the crate: it links the
//! `quire` executable position-dependent (`-no-pie`) on x86-64 GNU/Linux.
//!
//! Why: a cold `quire build` of the sample takes about 20 ms, and its budget is 20 ms
//! (BENCHMARKS.md). As a position-independent executable the binary carries 41,000
//! relative relocations (vtables, tables of string slices in `.data.rel.ro`), which the
//! dynamic loader applies at every start, copying 180 pages on write: `quire --version`
//! took 0.95 ms of CPU and 308 page faults. Linked at a fixed address the loader has
//! nothing to relocate: 0.51 ms and 115 page faults (`perf stat -r 50`), half a
//! millisecond off every build's start, which no thread can hide.
//!
//! What it costs: the executable's own code and data load at a fixed address (shared
//! libraries, the heap and the stacks are still randomised), a hardening that matters
//! for programs that take input from the network, which quire does not. Other targets
//! keep their default; `cargo:rustc-link-arg-bins` touches the binaries only, not the
//! tests or the proc-macros the build runs.

fn main() {
    println!("cargo:rerun-if-changed=src/link.rs");
    let target = std::env::var("TARGET").unwrap_or_default();
    if target == "x86_64-unknown-linux-gnu" {
        println!("cargo:rustc-link-arg-bins=-no-pie");
    }
}
