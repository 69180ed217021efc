#!/usr/bin/env python3
"""Benchmark: site.yml on the molecule `hubs` layout, first converge against a re-run with nothing to change.

    source scripts/lib.sh; ensure_venv requirements.txt requirements-test.txt; link_collection
    export CONTAINERS_CONF=$PWD/tests/containers/containers.conf HELM_BIN=$(tests/tools/install-helm.sh "$cache/bin")
    python3 benchmarks/site.py            # first converge + one re-run
    python3 benchmarks/site.py --reruns 2 --top 20

The layout is molecule/hubs/molecule.yml's, read from that file (its group_vars, its two platforms), on
containers of its own (`sitebench-server`, `sitebench-agent`, network `sitebench-net`) so that it never
meets the scenario's. The same STAND-INS as the scenario (k3s, helm with the real charts' templates, the
air-gap folders), prepared by molecule/hubs/prepare.yml: the figures measure the roles and Ansible
(connections, checks, copies), not k3s or the charts' pods.

Prints for each run: wall time, changed per host, tasks run and skipped per host, `podman exec` calls per
container (one module run costs about four, PERF-NOTES), the time of each stage (play); for the re-run, the
tasks that cost most (profile_tasks' view) and the ratio re-run / first converge (issue 16: at most 0.20).
"""
import argparse
import collections
import datetime
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

import yaml

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
# podman's exec events per container (benchmarks/k3s.py, beside this one: no --until, which podman 4.3 answers
# with no event at all; this script's own copy used it and counted 0).
from k3s import exec_calls, stamp  # noqa: E402

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SCENARIO = os.path.join(REPO, "molecule", "hubs")
PREFIX = "sitebench"
NETWORK = PREFIX + "-net"


def layout(workdir):
    """The scenario's platforms and inventory, its host names renamed hubs-* -> sitebench-*."""
    with open(os.path.join(SCENARIO, "molecule.yml"), encoding="utf-8") as handle:
        text = handle.read()
    text = text.replace("${MOLECULE_EPHEMERAL_DIRECTORY}", workdir).replace("${MOLECULE_SCENARIO_DIRECTORY}",
                                                                             SCENARIO)
    text = re.sub(r"\bhubs-(server|agent)\b", PREFIX + r"-\1", text)
    config = yaml.safe_load(text)
    platforms = config["platforms"]
    group_vars = config["provisioner"]["inventory"]["group_vars"]
    groups = collections.defaultdict(dict)
    for platform in platforms:
        for group in platform["groups"]:
            groups[group][platform["name"]] = {}
    node_vars = dict(group_vars.get("k3s_cluster", {}), ansible_connection="containers.podman.podman")
    children = {"k3s_cluster": {"children": {"k3s_servers": {"hosts": groups["k3s_servers"]},
                                             "k3s_agents": {"hosts": groups["k3s_agents"]}},
                                "vars": node_vars}}
    inventory = {"all": {"vars": group_vars["all"], "children": children}}
    path = os.path.join(workdir, "inventory.json")
    with open(path, "w", encoding="utf-8") as handle:
        json.dump(inventory, handle)
    return [p["name"] for p in platforms], path


def podman(*args, check=True):
    return subprocess.run(["podman", *args], check=check, text=True, capture_output=True)


def start(names):
    podman("network", "create", NETWORK, check=False)
    for name in names:
        podman("run", "-d", "--name", name, "--hostname", name, "--network", NETWORK, "--privileged",
               "-v", "/sys/fs/cgroup:/sys/fs/cgroup:rw", "--cgroupns=host", "localhost/debian-systemd:bookworm",
               "/sbin/init")


def stop(names):
    podman("rm", "-f", "-t", "0", *names, check=False)
    podman("network", "rm", "-f", NETWORK, check=False)


def playbook(path, inventory, workdir, extra_env=None):
    env = dict(os.environ, ANSIBLE_STDOUT_CALLBACK="ansible.posix.json", ANSIBLE_CALLBACKS_ENABLED="ansible.posix.json",
               ANSIBLE_CACHE_PLUGIN_CONNECTION=os.path.join(workdir, "facts"), ANSIBLE_FORKS="10",
               ANSIBLE_FORCE_COLOR="0", MOLECULE_EPHEMERAL_DIRECTORY=workdir, **(extra_env or {}))
    env.pop("ANSIBLE_CONFIG", None)
    t0 = time.monotonic()
    proc = subprocess.run(["ansible-playbook", "-i", inventory, path], cwd=REPO, env=env, text=True,
                          capture_output=True)
    wall = time.monotonic() - t0
    try:
        report = json.loads(proc.stdout[proc.stdout.index("{"):])
    except ValueError:
        report = None
    if proc.returncode != 0 or report is None:
        sys.exit("%s failed (rc %s):\n%s\n%s" % (path, proc.returncode, proc.stdout[-6000:], proc.stderr[-3000:]))
    return wall, report


def _seconds(duration):
    """A play or task's seconds; 0 for one that never ran (the json callback gives it no end)."""
    fmt = "%Y-%m-%dT%H:%M:%S.%fZ"
    if "start" not in duration or "end" not in duration:
        return 0.0
    return (datetime.datetime.strptime(duration["end"], fmt)
            - datetime.datetime.strptime(duration["start"], fmt)).total_seconds()


def summary(report):
    """(per play [(name, seconds)], per task [(seconds, name)], tasks run/skipped per host)."""
    plays, tasks = [], []
    ran, skipped = collections.Counter(), collections.Counter()
    for play in report["plays"]:
        plays.append((play["play"]["name"], _seconds(play["play"]["duration"])))
        for task in play["tasks"]:
            tasks.append((_seconds(task["task"]["duration"]), play["play"]["name"], task["task"]["name"]))
            for host, result in task["hosts"].items():
                if result.get("skipped") or (result.get("results") and all(
                        r.get("skipped") for r in result["results"])):
                    skipped[host] += 1
                else:
                    ran[host] += 1
    return plays, tasks, ran, skipped


def run_once(label, names, inventory, workdir):
    since = stamp()
    time.sleep(1)  # the event log has one-second resolution
    wall, report = playbook(os.path.join(REPO, "site.yml"), inventory, workdir)
    execs = exec_calls(since, names)
    plays, tasks, ran, skipped = summary(report)
    changed = {host: stats["changed"] for host, stats in report["stats"].items()}
    print("%s: %.1f s wall, changed %s" % (label, wall, changed), flush=True)
    for host in names:
        print("  %-18s tasks run %3d, skipped %3d, podman exec calls %4d"
              % (host, ran[host], skipped[host], execs[host]))
    return {"wall": wall, "plays": plays, "tasks": tasks, "changed": changed, "execs": execs}


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--reruns", type=int, default=1, help="re-runs after the first converge (default 1)")
    parser.add_argument("--top", type=int, default=15, help="costliest re-run tasks to list (default 15)")
    parser.add_argument("--keep", action="store_true", help="keep the containers (remove with podman rm -f)")
    args = parser.parse_args()
    if not os.environ.get("HELM_BIN"):
        sys.exit("HELM_BIN is not set: the helm stand-in renders with the real helm (tests/tools/install-helm.sh)")
    workdir = tempfile.mkdtemp(prefix="vj-bench-site-")
    names, inventory = layout(workdir)
    stop(names)
    try:
        start(names)
        playbook(os.path.join(SCENARIO, "prepare.yml"), inventory, workdir)
        runs = [run_once("first converge", names, inventory, workdir)]
        for index in range(args.reruns):
            runs.append(run_once("re-run %d" % (index + 1), names, inventory, workdir))
    finally:
        if not args.keep:
            stop(names)
        shutil.rmtree(workdir, ignore_errors=True)
    first, again = runs[0], runs[-1]
    print("\nstage (play)                                             first    re-run")
    for (name, t1), (_, t2) in zip(first["plays"], again["plays"]):
        print("  %-52s %7.1f s %7.1f s" % (name[:52], t1, t2))
    print("\ncostliest tasks of the last re-run (all hosts of a task together):")
    for seconds, play, task in sorted(again["tasks"], reverse=True)[:args.top]:
        print("  %6.2f s  %s  [%s]" % (seconds, task[:90], play[:40]))
    ratio = again["wall"] / first["wall"]
    print("\nsite.yml on the hubs layout: first converge %.1f s, re-run %.1f s (changed %d), re-run / first = %.2f "
          "(target <= 0.20: %s)" % (first["wall"], again["wall"], sum(again["changed"].values()), ratio,
                                    "met" if ratio <= 0.20 else "NOT met"))
    print("load average at the end: %.1f on %d CPUs (shared machine)" % (os.getloadavg()[0], os.cpu_count()))


if __name__ == "__main__":
    main()
