#!/usr/bin/env python3
"""Benchmark: how fast the desktop guard gives a desktop back to its owner, and lends it again.

Runs the real guard program (roles/desktop_guard/files/desktop_guard.py) against the k3s stand-in on this machine
(tests/integration/desktop_guard_harness.py: a stand-in server and desktop agent, the role's `access` entry point
run with kubernetes.core for the guard's own ServiceAccount token), with the owner's sessions played by the logind
stand-in. For each round: the owner sits down (a GNOME session on seat0 that is not idle) with a user server on
the desktop, stays, then locks the screen. Prints, per round and as median / worst:
  activity -> NoSchedule   from the session appearing to the owner taint on the Node (as the API shows it)
  activity -> eviction     from the session appearing to the user pod being evicted (its deletionTimestamp set)
  idle -> schedulable      from the screen lock (IdleHint) to the owner taint gone
The thresholds are set short (--evict-after, --idle-after seconds) so that what is measured is the guard's own
delay beyond them: its polling interval (--interval), the loginctl and crictl calls, and the API round trips.
No assertions: figures for docs/desktops.md.

Run:  python3 benchmarks/desktop_guard.py [--rounds 5] [--interval 1] [--evict-after 5] [--idle-after 5]
(needs ansible-playbook with kubernetes.core, as scripts/test setup installs it)
"""
import argparse
import os
import statistics
import sys
import tempfile
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(REPO, "tests", "integration"))

from desktop_guard_harness import HUB, Cluster, Guard, access_playbook, wait  # noqa: E402


def evicted(cluster, name):
    code, pod = cluster.call("GET", "/api/v1/namespaces/%s/pods/%s" % (HUB, name))
    return code == 404 or bool(pod["metadata"].get("deletionTimestamp"))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--interval", type=float, default=1.0, help="the guard's polling interval (seconds)")
    parser.add_argument("--evict-after", type=float, default=5.0, help="seconds of activity before eviction")
    parser.add_argument("--idle-after", type=float, default=5.0, help="idle seconds before the desktop is lent")
    args = parser.parse_args()
    root = tempfile.mkdtemp(prefix="desktop-guard-bench-")
    cluster = Cluster(root)
    guard = None
    try:
        run = access_playbook(cluster, root)
        if run.returncode != 0:
            sys.exit("the access entry point failed:\n" + run.stdout[-3000:] + run.stderr[-2000:])
        guard = Guard(cluster, root, interval=args.interval, evict_after=args.evict_after,
                      idle_after=args.idle_after, evict_retry=args.evict_after)
        wait("the guard's first look", lambda: (guard.status() or {}).get("owner_active") is False, timeout=60)
        rows = []
        for n in range(args.rounds):
            wait("the desktop lent", lambda: not cluster.owner_tainted(), timeout=120)
            pod = "jupyter-bench-%d" % n
            cluster.user_pod(pod)
            wait("the desktop's runtime to list the pod", lambda: pod in cluster.local_pods(), timeout=30)
            time.sleep(args.interval)   # the guard has seen the pod at least once
            guard.owner_at_seat()
            t0 = time.monotonic()
            wait("the owner taint", cluster.owner_tainted, timeout=60, every=0.02)
            taint = time.monotonic() - t0
            wait("the eviction", lambda: evicted(cluster, pod), timeout=120, every=0.02)
            evict = time.monotonic() - t0
            guard.owner_at_seat(idle_since=time.time())
            t1 = time.monotonic()
            wait("the desktop lent again", lambda: not cluster.owner_tainted(), timeout=120, every=0.02)
            lend = time.monotonic() - t1
            rows.append((taint, evict, lend))
            print("round %d: activity -> NoSchedule %.2f s, -> eviction %.2f s, idle -> schedulable %.2f s"
                  % (n + 1, taint, evict, lend), flush=True)
        print("\nguard interval %.1f s, evict after %.1f s, lend after %.1f s idle, %d rounds, load %.1f"
              % (args.interval, args.evict_after, args.idle_after, args.rounds, os.getloadavg()[0]))
        for i, label, floor in ((0, "activity -> NoSchedule", 0.0), (1, "activity -> eviction", args.evict_after),
                                (2, "idle -> schedulable", args.idle_after)):
            values = [r[i] for r in rows]
            print("%-24s median %6.2f s  worst %6.2f s  (threshold %.1f s, guard's own delay median %.2f s)"
                  % (label, statistics.median(values), max(values), floor, statistics.median(values) - floor))
    finally:
        if guard:
            guard.stop()
        cluster.stop()


if __name__ == "__main__":
    main()
