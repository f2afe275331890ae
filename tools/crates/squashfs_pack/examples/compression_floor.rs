//! The compression work any SquashFS writer does on a tree, alone: the
//! tree's data cut into blocks as squashfs_pack and mksquashfs cut it (files of
//! at least one block as blocks, short tails included; smaller files packed
//! into fragment blocks in path order), each block compressed with zstd at
//! LEVEL on THREADS threads. Its wall time is a lower bound for packing the
//! tree at those settings; BENCHMARKS.md compares both tools against it.
//!
//! Usage: compression_floor TREE LEVEL BLOCK_SIZE THREADS
//! (cargo run --release -p squashfs_pack --example compression_floor -- ...)

use std::path::{Path, PathBuf};
use std::time::Instant;

fn files(dir: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    let mut entries: Vec<_> = std::fs::read_dir(dir)?.collect::<Result<_, _>>()?;
    entries.sort_by_key(|e| e.file_name());
    for entry in entries {
        let kind = entry.file_type()?;
        if kind.is_dir() {
            files(&entry.path(), out)?;
        } else if kind.is_file() {
            out.push(entry.path());
        }
    }
    Ok(())
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [tree, level, block, threads] = &args[..] else {
        return Err("usage: compression_floor TREE LEVEL BLOCK_SIZE THREADS".into());
    };
    let (level, block, threads): (i32, usize, usize) =
        (level.parse()?, block.parse()?, threads.parse()?);
    if !(1..=22).contains(&level) || block == 0 || threads == 0 {
        return Err("LEVEL must be 1..=22, BLOCK_SIZE and THREADS positive".into());
    }
    let mut paths = Vec::new();
    files(Path::new(tree), &mut paths)?;
    let mut blocks: Vec<Vec<u8>> = Vec::new();
    let mut fragment = Vec::new();
    for path in &paths {
        let data = std::fs::read(path)?;
        if data.len() >= block {
            blocks.extend(data.chunks(block).map(<[u8]>::to_vec));
        } else {
            if fragment.len() + data.len() > block {
                blocks.push(std::mem::take(&mut fragment));
            }
            fragment.extend_from_slice(&data);
        }
    }
    if !fragment.is_empty() {
        blocks.push(fragment);
    }
    let input: usize = blocks.iter().map(Vec::len).sum();
    let wall = Instant::now();
    let next = std::sync::atomic::AtomicUsize::new(0);
    let output: usize = std::thread::scope(|s| {
        let workers: Vec<_> = (0..threads)
            .map(|_| {
                s.spawn(|| {
                    let mut compressor = zstd::bulk::Compressor::new(level).expect("a valid level");
                    let mut out = 0;
                    loop {
                        let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                        let Some(b) = blocks.get(i) else { break out };
                        let packed = compressor.compress(b).expect("zstd compresses any bytes");
                        out += packed.len().min(b.len());
                    }
                })
            })
            .collect();
        workers.into_iter().map(|w| w.join().unwrap_or(0)).sum()
    });
    println!(
        "{} blocks, {input} bytes -> {output}, wall {:.3} s",
        blocks.len(),
        wall.elapsed().as_secs_f64()
    );
    Ok(())
}
