//! `actiond-tool runtime derive` and `actiond-tool deb extract`: the build
//! actions that read .debs where repository rules used to unpack them. Both
//! read through squashfs_pack's checked reader, which refuses absolute names,
//! `..`, names below a symlink of the archive, hard links to anything but an
//! earlier file, device nodes and over-long names, naming the .deb and entry.

use anyhow::{bail, Context, Result};
use runtime_manifest::Arch;
use squashfs_pack::tree::{Node, Tree};
use std::path::PathBuf;

/// What a tree of .debs is: its glibc, arch, and what is left out.
#[derive(clap::Args)]
pub(crate) struct GlibcTreeArgs {
    /// The glibc, glibc<major>.<minor>; libc6 must be that version.
    #[arg(long)]
    name: String,
    #[arg(long)]
    arch: Arch,
    /// A path pattern removed from the tree (`*` matches one component).
    #[arg(long = "strip", value_name = "PATTERN")]
    strip: Vec<String>,
}

#[derive(clap::Args)]
pub(crate) struct DeriveArgs {
    #[command(flatten)]
    tree: GlibcTreeArgs,
    /// Write runtime_manifest.json here.
    #[arg(long)]
    manifest: PathBuf,
    /// Write runtime_packages.json (each .deb's provenance) here.
    #[arg(long)]
    packages: Option<PathBuf>,
    /// Write what was added to the .debs' tree (usrmerge symlinks, mount
    /// points) here, as JSON for the image packer.
    #[arg(long)]
    additions: Option<PathBuf>,
    /// Where each .deb came from, one per .deb, in order: a URL, a label, or
    /// apt:<package>:<arch>=<version>. The manifest's `debs`.
    #[arg(long = "source", value_name = "SOURCE", required = true)]
    sources: Vec<String>,
    /// Also write the runtime's tree into this directory, which must not exist.
    #[arg(long)]
    root: Option<PathBuf>,
    /// The .debs, in unpacking order.
    #[arg(required = true)]
    debs: Vec<PathBuf>,
}

pub(crate) fn derive(args: DeriveArgs) -> Result<()> {
    if args.sources.len() != args.debs.len() {
        bail!(
            "{} --source for {} .debs: give each .deb its source, in order",
            args.sources.len(),
            args.debs.len()
        );
    }
    let debs: Vec<runtime_derive::DebSource> = args
        .debs
        .iter()
        .zip(&args.sources)
        .map(|(path, source)| runtime_derive::DebSource {
            path: path.clone(),
            source: source.clone(),
        })
        .collect();
    let runtime = runtime_derive::derive(
        &args.tree.name,
        args.tree.arch,
        &debs,
        &args.tree.strip,
        decompress::DEFAULT_LIMIT,
    )?;
    if let Some(root) = &args.root {
        // Built beside its final name and renamed: a root appears whole or not at all.
        let parent = root.parent().filter(|p| !p.as_os_str().is_empty());
        let scratch = tempfile::Builder::new()
            .prefix(".root.")
            .tempdir_in(parent.unwrap_or(std::path::Path::new(".")))
            .context("cannot make a scratch directory beside --root")?;
        let tree_dir = scratch.path().join("root");
        runtime_derive::write_tree(&runtime.tree, &tree_dir)?;
        std::fs::rename(&tree_dir, root)
            .with_context(|| format!("cannot move the tree to {}", root.display()))?;
    }
    if let Some(path) = &args.additions {
        let text = serde_json::to_string_pretty(&runtime.additions)? + "\n";
        atomic_file::write(path, text.as_bytes())?;
    }
    if let Some(path) = &args.packages {
        atomic_file::write(path, runtime.packages.to_json().as_bytes())?;
    }
    atomic_file::write(&args.manifest, runtime.manifest.to_json().as_bytes())?;
    Ok(())
}

#[derive(clap::Args)]
pub(crate) struct SysrootArgs {
    #[command(flatten)]
    tree: GlibcTreeArgs,
    /// The directory to write it into: missing, or empty.
    #[arg(long)]
    out: PathBuf,
    /// The .debs, in unpacking order.
    #[arg(required = true)]
    debs: Vec<PathBuf>,
}

pub(crate) fn sysroot(args: SysrootArgs) -> Result<()> {
    let sysroot = glibc_sysroot::derive(
        &args.tree.name,
        args.tree.arch,
        &args.debs,
        &args.tree.strip,
        decompress::DEFAULT_LIMIT,
    )?;
    glibc_sysroot::write(&sysroot, &args.out)?;
    Ok(())
}

#[derive(clap::Args)]
pub(crate) struct ExtractArgs {
    /// PATH=OUT: the file at PATH in the .debs' data (through the
    /// archive's own symlinks) is written to OUT.
    #[arg(long = "member", value_name = "PATH=OUT", required = true)]
    members: Vec<String>,
    /// The .debs, read in order into one tree.
    #[arg(required = true)]
    debs: Vec<PathBuf>,
}

pub(crate) fn extract(args: ExtractArgs) -> Result<()> {
    let mut tree = Tree::default();
    for deb in &args.debs {
        squashfs_pack::deb::read_deb(deb, "", &[], decompress::DEFAULT_LIMIT)?.add_to(&mut tree)?;
    }
    let names = || {
        args.debs
            .iter()
            .map(|d| d.display().to_string())
            .collect::<Vec<_>>()
            .join(", ")
    };
    for member in &args.members {
        let Some((path, out)) = member.split_once('=') else {
            bail!("--member {member:?}: expected PATH=OUT");
        };
        let found = runtime_derive::resolve(&tree, path.trim_start_matches('/'))
            .ok()
            .and_then(|p| tree.get(&p));
        let Some(Node::File { content, .. }) = found.map(|i| &i.node) else {
            bail!("{}: no file {path:?} in their data", names());
        };
        let bytes = content
            .read()
            .with_context(|| format!("{}: {path}", names()))?;
        atomic_file::write(out, &bytes)?;
    }
    Ok(())
}
