"""Unit tests of libc_platform."""

load("@bazel_skylib//lib:unittest.bzl", "asserts", "unittest")
load("//rules/private:libc_platform.bzl", "libc_exec_properties", "validate_libc")

def _validate_libc_test_impl(ctx):
    env = unittest.begin(ctx)
    for good in ["glibc2.31", "glibc2.35", "glibc2.39", "glibc10.0"]:
        asserts.equals(env, None, validate_libc(good), good)
    for bad, why in [
        ("musl1.2", "must start with 'glibc'"),
        ("glibc2", "glibc<major>.<minor>"),
        ("glibc2.35.1", "glibc<major>.<minor>"),
        ("glibc2.x", "glibc<major>.<minor>"),
        ("glibc.35", "glibc<major>.<minor>"),
    ]:
        error = validate_libc(bad)
        asserts.true(env, error != None and why in error, "{}: got {}".format(bad, error))
    return unittest.end(env)

_validate_libc_test = unittest.make(_validate_libc_test_impl)

def _exec_properties_test_impl(ctx):
    env = unittest.begin(ctx)
    asserts.equals(env, {"libc": "glibc2.35"}, libc_exec_properties("glibc2.35"))
    asserts.equals(
        env,
        {"OSFamily": "Linux", "libc": "glibc2.31"},
        libc_exec_properties("glibc2.31", {"OSFamily": "Linux"}),
    )
    return unittest.end(env)

_exec_properties_test = unittest.make(_exec_properties_test_impl)

def libc_platform_test_suite(name):
    """The tests of libc_platform.

    Args:
      name: the test_suite's name.
    """
    _validate_libc_test(name = name + "_validate_libc", size = "small")
    _exec_properties_test(name = name + "_exec_properties", size = "small")
    native.test_suite(
        name = name,
        tests = [
            name + "_validate_libc",
            name + "_exec_properties",
        ],
    )
