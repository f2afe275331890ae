"""Test-only: a repository of synthetic .debs made by make_debs.py at fetch time."""

def _synthetic_debs_impl(rctx):
    python = rctx.which("python3")
    if not python:
        fail("synthetic_debs: python3 (3.14+, for zstd) is needed to make the test .debs")
    result = rctx.execute([python, rctx.path(Label("//runtimes/tests/synthetic:make_debs.py")), "."])
    if result.return_code != 0:
        fail("synthetic_debs: make_debs.py failed:\n" + result.stderr)
    rctx.file("BUILD.bazel", 'exports_files(glob(["*.deb"]))\n')

synthetic_debs = repository_rule(
    implementation = _synthetic_debs_impl,
    doc = "Small .debs with the layouts of real libc6 packages, for repository tests.",
)

def _synthetic_impl(_module_ctx):
    synthetic_debs(name = "synthetic_debs")

synthetic = module_extension(implementation = _synthetic_impl)
