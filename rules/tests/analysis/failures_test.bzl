"""Analysis tests: each fail() of the rules' implementations, with its message."""

load("@bazel_skylib//lib:unittest.bzl", "analysistest", "asserts")

def _expect_failure_impl(ctx):
    env = analysistest.begin(ctx)
    asserts.expect_failure(env, ctx.attr.message)
    return analysistest.end(env)

_expect_failure_test = analysistest.make(
    _expect_failure_impl,
    expect_failure = True,
    attrs = {"message": attr.string(mandatory = True)},
)

def failure_test_suite(name, cases):
    """One analysis test per case: analysing the target fails with the message.

    Args:
      name: the test_suite's name.
      cases: dict of a manual target (label string) -> a substring of its failure.
    """
    tests = []
    for i, (target, message) in enumerate(sorted(cases.items())):
        test = "{}_{}".format(name, i)
        _expect_failure_test(
            name = test,
            size = "small",
            target_under_test = target,
            message = message,
        )
        tests.append(test)
    native.test_suite(name = name, tests = tests)
