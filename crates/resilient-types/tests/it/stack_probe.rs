//! `with_stack` near the end of a thread's stack: a block that reaches the
//! guard page must fault there, reported as a stack overflow, and never
//! step over it (an `alloca` of up to `STACK_CAP` bytes moves the stack
//! pointer past a 4 KiB guard page in one step unless it is probed).
//!
//! Each depth runs in a child process (this test binary, re-run with an
//! environment variable), on a thread with a 64 KiB stack: either it
//! completes, or Rust's handler reports the overflow. Without probing, some
//! depths died of a bare SIGSEGV with no report (seen before the fix).

use std::process::Command;

use resilient_types::{view, with_stack, Bound, Field, InProcess};

#[derive(layout_meta::Resilient, Clone, Copy, bytemuck::Zeroable)]
#[resilient(pod, prefix = "probe_")]
pub struct Big {
    pub tag: u64,
    pub data: [u64; 1900],
}

view! { pub struct BigView = "probe"::"Big" { pub tag: Field<u64> } }

const DEPTH_VAR: &str = "RESILIENT_STACK_PROBE_DEPTH";

#[inline(never)]
fn deep(n: usize, b: &Bound<BigView>) -> u64 {
    let pad = std::hint::black_box([0u8; 1024]);
    if n == 0 {
        with_stack(b, |m| m.get(b.tag)).unwrap() + u64::from(pad[0])
    } else {
        deep(n - 1, b) + u64::from(pad[1])
    }
}

#[test]
#[cfg_attr(
    miri,
    ignore = "runs child processes and the C `alloca` trampoline, which Miri cannot"
)]
fn with_stack_at_the_end_of_a_thread_stack_reports_an_overflow() {
    if let Ok(depth) = std::env::var(DEPTH_VAR) {
        let n: usize = depth.parse().unwrap();
        let b = Bound::<BigView>::bind(&InProcess::new("probe", "1.0.0").with::<Big>()).unwrap();
        let t = std::thread::Builder::new()
            .stack_size(64 * 1024)
            .spawn(move || deep(n, &b))
            .unwrap();
        println!("completed {}", t.join().unwrap());
        return;
    }
    let exe = std::env::current_exe().unwrap();
    let (mut completed, mut reported) = (0, 0);
    for depth in (0..=96).step_by(2) {
        let out = Command::new(&exe)
            .args([
                "--exact",
                "stack_probe::with_stack_at_the_end_of_a_thread_stack_reports_an_overflow",
                "--nocapture",
                "--test-threads=1",
            ])
            .env(DEPTH_VAR, depth.to_string())
            .output()
            .unwrap();
        let (stdout, stderr) = (
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr),
        );
        if out.status.success() && stdout.contains("completed 0") {
            completed += 1;
        } else if stderr.contains("has overflowed its stack") {
            reported += 1;
        } else {
            panic!(
                "depth {depth}: neither completed nor reported as an overflow ({}):\n{stdout}\n{stderr}",
                out.status
            );
        }
    }
    // The range covers both outcomes, so the boundary was crossed.
    assert!(
        completed > 0 && reported > 0,
        "{completed} completed, {reported} reported"
    );
}
