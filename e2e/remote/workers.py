"""Checks that a build's actions ran on different workers at the same time.

Usage: workers.py LOG JOBS --mnemonic M --count N

LOG is Bazel's --execution_log_json_file; JOBS is BuildGrid's jobs table as
psql -At -F '|' prints `SELECT action_digest, worker_name,
execution_start_timestamp, execution_completed_timestamp FROM jobs`. The N spawns
of mnemonic M in LOG must each have run remotely as a completed job; at
least two workers must have run them, and two of them, on different workers,
must have overlapped in time. Prints what each worker ran, or what is wrong,
and exits 1.
"""

import argparse
import collections
import datetime
import sys

from exec_log import failed, spawns


def jobs(path):
    """action digest ("hash/size") -> [(worker, start, end)] of completed jobs."""
    found = collections.defaultdict(list)
    for line in open(path, encoding="utf-8"):
        fields = line.rstrip("\n").split("|")
        if len(fields) != 4:
            continue
        digest, worker, start, end = fields
        if worker and start and end:
            found[digest].append((
                worker,
                datetime.datetime.fromisoformat(start),
                datetime.datetime.fromisoformat(end),
            ))
    return found


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("log")
    parser.add_argument("jobs")
    parser.add_argument("--mnemonic", required=True)
    parser.add_argument("--count", type=int, required=True)
    args = parser.parse_args()
    table = jobs(args.jobs)
    problems = []
    ran = []  # (worker, start, end, what)
    for spawn in spawns(args.log):
        if spawn.get("mnemonic") != args.mnemonic:
            continue
        what = (spawn.get("actualOutputs") or [{}])[0].get("path", "")
        if spawn.get("runner") != "remote":
            problems.append("{} ran on {!r}, not remotely".format(what, spawn.get("runner")))
            continue
        digest = "{}/{}".format(spawn["digest"]["hash"], spawn["digest"]["sizeBytes"])
        found = table.get(digest)
        if not found:
            problems.append("{}: no completed job for action {}".format(what, digest))
            continue
        worker, start, end = found[-1]
        ran.append((worker, start, end, what))
    if len(ran) + len(problems) != args.count:
        problems.append("{} spawns of {}, not {}".format(len(ran) + len(problems), args.mnemonic, args.count))
    by_worker = collections.Counter(r[0] for r in ran)
    if len(by_worker) < 2:
        problems.append("every {} job ran on {}".format(args.mnemonic, ", ".join(by_worker) or "no worker"))
    overlaps = [
        (min(a[2], b[2]) - max(a[1], b[1])).total_seconds()
        for i, a in enumerate(ran)
        for b in ran[i + 1:]
        if a[0] != b[0] and max(a[1], b[1]) < min(a[2], b[2])
    ]
    if not overlaps:
        problems.append("no two {} jobs on different workers ran at the same time".format(args.mnemonic))
    if failed("workers", args.log, problems):
        return 1
    print("{} {} jobs: {}; {} pairs on different workers overlapped, the longest by {:.2f} s".format(
        len(ran), args.mnemonic,
        ", ".join("{} ran {}".format(w, n) for w, n in sorted(by_worker.items())),
        len(overlaps), max(overlaps)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
