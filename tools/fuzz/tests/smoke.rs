//! The fuzz smoke pass of `bazel test //...` (and `cargo test` here): every
//! byte-input target's body (`actiond_fuzz::targets`) on its seeds, on its
//! crash reproducers (`regressions/<target>/`), and on deterministic
//! mutations of them: bit flips, overwritten, inserted and removed bytes,
//! truncations and splices. No libFuzzer, no coverage guidance: it checks in
//! seconds that nothing panics near known inputs; `run.sh` does the real
//! fuzzing. A failing input is written to TEST_UNDECLARED_OUTPUTS_DIR.

use std::path::{Path, PathBuf};

/// Mutated inputs per target.
const MUTATIONS: usize = 20_000;

/// xorshift64*: the same sequence on every run and machine.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

fn mutate(rng: &mut Rng, input: &[u8], other: &[u8]) -> Vec<u8> {
    let mut data = input.to_vec();
    for _ in 0..=rng.below(4) {
        let at = rng.below(data.len() + 1);
        let last = at.min(data.len().saturating_sub(1));
        match rng.below(7) {
            0 if !data.is_empty() => data[last] ^= 1 << rng.below(8),
            1 if !data.is_empty() => data[last] = rng.next() as u8,
            2 => data.insert(at, [0, 0xff, 0x7f, 0x80, b'/', b'.'][rng.below(6)]),
            3 if at < data.len() => {
                let end = (at + 1 + rng.below(16)).min(data.len());
                data.drain(at..end);
            }
            4 => data.truncate(at),
            5 if !other.is_empty() => {
                let from = rng.below(other.len());
                let len = rng.below(other.len() - from) + 1;
                data.splice(at..at, other[from..from + len].iter().copied());
            }
            _ => {
                // A little-endian 32-bit value near a boundary.
                let v = [0u32, 1, 0x7fff_ffff, 0x8000_0000, u32::MAX][rng.below(5)];
                let at = at.min(data.len().saturating_sub(4));
                if data.len() >= 4 {
                    data[at..at + 4].copy_from_slice(&v.to_le_bytes());
                }
            }
        }
    }
    data
}

/// `regressions/`, from cargo test (the package) or bazel test (runfiles).
fn regressions() -> PathBuf {
    ["regressions", "tools/fuzz/regressions"]
        .iter()
        .map(PathBuf::from)
        .find(|p| p.is_dir())
        .expect("regressions/ is among the test's files")
}

fn reproducers(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut files: Vec<_> = entries
        .map(|e| e.expect("a readable directory").path())
        .collect();
    files.sort();
    files
        .into_iter()
        .map(|p| {
            let bytes = std::fs::read(&p).expect("a readable reproducer");
            (p.display().to_string(), bytes)
        })
        .collect()
}

/// Runs `body` on `input`; on a panic, keeps the input and says where.
fn run(
    target: &str,
    what: &str,
    body: actiond_fuzz::targets::Body,
    input: &[u8],
) -> Result<(), String> {
    if std::panic::catch_unwind(|| body(input)).is_ok() {
        return Ok(());
    }
    let kept = std::env::var_os("TEST_UNDECLARED_OUTPUTS_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(std::env::temp_dir)
        .join(format!("crash-{target}-{}", what.replace('/', "_")));
    let _ = std::fs::write(&kept, input);
    Err(format!(
        "{target} panicked on {what} ({} bytes, kept in {})",
        input.len(),
        kept.display()
    ))
}

#[test]
fn every_target_survives_its_seeds_reproducers_and_mutations() {
    let seeds = actiond_fuzz::seeds::all();
    let regressions = regressions();
    let mut failures = Vec::new();
    for (target, body) in actiond_fuzz::targets::ALL {
        let mut inputs: Vec<(String, Vec<u8>)> = seeds
            .iter()
            .filter(|(t, _, _)| *t == target)
            .map(|(_, name, bytes)| (format!("seed {name}"), bytes.clone()))
            .collect();
        assert!(!inputs.is_empty(), "{target} has no seeds");
        inputs.extend(reproducers(&regressions.join(target)));
        for (what, input) in &inputs {
            failures.extend(run(target, what, body, input).err());
        }
        let mut rng = Rng(0x9e37_79b9_7f4a_7c15 ^ target.len() as u64);
        for i in 0..MUTATIONS {
            let (_, base) = &inputs[rng.below(inputs.len())];
            let (_, other) = &inputs[rng.below(inputs.len())];
            let input = mutate(&mut rng, base, other);
            failures.extend(run(target, &format!("mutation {i}"), body, &input).err());
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
