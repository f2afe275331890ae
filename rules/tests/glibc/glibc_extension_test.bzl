"""Unit tests of the glibc extension's tag handling and strip patterns."""

load("@bazel_skylib//lib:unittest.bzl", "asserts", "unittest")
load("//rules/private:glibc_deb_runtime.bzl", "DEFAULT_STRIP", "GCONV_STRIP", "strip_matches")
load("//rules/private:glibc_extension.bzl", "collect_runtimes")

_SHA_A = "a" * 64
_SHA_B = "b" * 64

def _module(name, is_root, runtimes, debs):
    return struct(name = name, is_root = is_root, tags = struct(runtime = runtimes, deb = debs))

def _runtime(name, arch, strip = [], keep_gconv = False):
    return struct(name = name, arch = arch, strip = strip, keep_gconv = keep_gconv)

def _deb(runtime, arch, urls, sha256, filename = "", file = None):
    return struct(runtime = runtime, arch = arch, urls = urls, sha256 = sha256, filename = filename, file = file)

def _collect_test_impl(ctx):
    env = unittest.begin(ctx)
    root = _module("root", True, [_runtime("glibc2.35", "x86_64", strip = ["etc"])], [
        _deb("glibc2.35", "x86_64", ["https://mirror.example/pool/libc6_2.35_amd64.deb"], _SHA_A),
        _deb("glibc2.35", "x86_64", ["https://mirror.example/x?id=1"], _SHA_B, filename = "zlib1g.deb"),
    ])
    dep = _module("rules_actiond", False, [
        _runtime("glibc2.35", "x86_64"),
        _runtime("glibc2.39", "aarch64", keep_gconv = True),
    ], [
        _deb("glibc2.35", "x86_64", ["https://other.example/libc6.deb"], _SHA_B),
        _deb("glibc2.39", "aarch64", ["https://other.example/libc6_arm64.deb"], _SHA_A),
    ])
    runtimes = collect_runtimes([root, dep])
    asserts.equals(env, ["glibc2.35_x86_64", "glibc2.39_aarch64"], sorted(runtimes.keys()))

    # The root module's declaration wins over a dependency's.
    jammy = runtimes["glibc2.35_x86_64"]
    asserts.equals(env, ["libc6_2.35_amd64.deb", "zlib1g.deb"], [d.filename for d in jammy.debs])
    asserts.equals(env, DEFAULT_STRIP + GCONV_STRIP + ["etc"], jammy.strip)

    # keep_gconv leaves gconv out of the strip list.
    asserts.equals(env, DEFAULT_STRIP, runtimes["glibc2.39_aarch64"].strip)
    return unittest.end(env)

_collect_test = unittest.make(_collect_test_impl)

def _strip_test_impl(ctx):
    env = unittest.begin(ctx)
    patterns = DEFAULT_STRIP + GCONV_STRIP
    for path in [
        "usr/share/doc",
        "usr/share/doc/libc6/copyright",
        "usr/share/locale/de/LC_MESSAGES/libc.mo",
        "usr/lib/x86_64-linux-gnu/gconv",
        "usr/lib/x86_64-linux-gnu/gconv/UTF-16.so",
        "lib/aarch64-linux-gnu/gconv/gconv-modules",
    ]:
        asserts.true(env, strip_matches(patterns, path), path + " should be stripped")
    for path in [
        "usr/share",
        "usr/share/docs",
        "usr/lib/x86_64-linux-gnu/libc.so.6",
        "usr/lib/gconv",
        "lib64/ld-linux-x86-64.so.2",
    ]:
        asserts.false(env, strip_matches(patterns, path), path + " should be kept")
    return unittest.end(env)

_strip_test = unittest.make(_strip_test_impl)

def glibc_extension_test_suite(name):
    """The tests of the glibc extension.

    Args:
      name: the test_suite's name.
    """
    _collect_test(name = name + "_collect", size = "small")
    _strip_test(name = name + "_strip", size = "small")
    native.test_suite(name = name, tests = [name + "_collect", name + "_strip"])
