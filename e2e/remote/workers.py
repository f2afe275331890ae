"""Checks that a build's actions ran on different workers at the same time.

Usage: workers.py LOG JOBS --mnemonic M --count N

LOG is Bazel's --execution_log_json_file; JOBS is BuildGrid's jobs table as
psql -At -F '|' prints `SELECT action_digest, worker_name,
worker_start_timestamp, worker_completed_timestamp, execution_start_timestamp,
execution_completed_timestamp FROM jobs`. The N spawns of mnemonic M in LOG
must each have run remotely as a completed job; at least two workers must have
run them, and two of them, on different workers, must have been on their
workers at the same time (from the worker's start to its completion of the
job: fetching inputs, running the command, uploading outputs), which only a
scheduler that hands jobs out serially prevents. Prints what each worker ran,
and how many pairs overlapped, both on the workers and while their commands ran
(for the record: a small source's command takes 20-100 ms against 0.3-0.7 s
of staging, so whether two commands meet is chance), or what is wrong, and
exits 1.
"""

import argparse
import collections
import datetime
import sys

from exec_log import failed, spawns


class Job:
    """A completed job: its worker, and when it was on it and ran its command."""

    def __init__(self, worker, on, command):
        self.worker, self.on, self.command = worker, on, command


def jobs(path):
    """action digest ("hash/size") -> [Job] of completed jobs."""
    found = collections.defaultdict(list)
    for line in open(path, encoding="utf-8"):
        fields = line.rstrip("\n").split("|")
        if len(fields) != 6 or not all(fields[1:]):
            continue
        digest, worker, *times = fields
        start, end, run, ran = (datetime.datetime.fromisoformat(t) for t in times)
        found[digest].append(Job(worker, (start, end), (run, ran)))
    return found


def overlaps(pairs):
    """The seconds by which each of `pairs` ((start, end), (start, end)) overlap, if they do."""
    return [
        (min(a[1], b[1]) - max(a[0], b[0])).total_seconds()
        for a, b in pairs
        if max(a[0], b[0]) < min(a[1], b[1])
    ]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("log")
    parser.add_argument("jobs")
    parser.add_argument("--mnemonic", required=True)
    parser.add_argument("--count", type=int, required=True)
    args = parser.parse_args()
    table = jobs(args.jobs)
    problems = []
    ran = []
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
        ran.append(found[-1])
    if len(ran) + len(problems) != args.count:
        problems.append("{} spawns of {}, not {}".format(len(ran) + len(problems), args.mnemonic, args.count))
    by_worker = collections.Counter(job.worker for job in ran)
    if len(by_worker) < 2:
        problems.append("every {} job ran on {}".format(args.mnemonic, ", ".join(by_worker) or "no worker"))
    apart = [(a, b) for i, a in enumerate(ran) for b in ran[i + 1:] if a.worker != b.worker]
    on = overlaps((a.on, b.on) for a, b in apart)
    command = overlaps((a.command, b.command) for a, b in apart)
    if not on:
        problems.append("no two {} jobs on different workers were on them at the same time".format(args.mnemonic))
    if failed("workers", args.log, problems):
        return 1
    print("{} {} jobs: {}; {} pairs on different workers overlapped on them, the longest by {:.2f} s; "
          "{} of them while their commands ran".format(
              len(ran), args.mnemonic,
              ", ".join("{} ran {}".format(w, n) for w, n in sorted(by_worker.items())),
              len(on), max(on), len(command)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
