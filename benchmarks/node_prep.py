#!/usr/bin/env python3
"""Benchmark: wall time of playbooks/nodes.yml (node preparation), first converge and re-run.

    source scripts/lib.sh; ensure_venv requirements.txt requirements-test.txt; link_collection
    export CONTAINERS_CONF=$PWD/tests/containers/containers.conf
    python3 benchmarks/node_prep.py                  # 1 server + 2 agents, then 1 server + 8 agents
    python3 benchmarks/node_prep.py --agents 2 --ufw # the nodes run an active ufw (rules restricted to nodes)
    python3 benchmarks/node_prep.py --repo /tmp/old  # another checkout of the collection (before/after)
    python3 benchmarks/node_prep.py --image localhost/np-bench-node:bookworm  # packages already in the image

Each size gets fresh privileged systemd containers of localhost/debian-systemd:bookworm on a podman network,
reached through the podman connection (no pipelining: each module run costs several `podman exec`), a fact
cache of its own, forks 20. Prints, for the first converge and the re-run: wall time, changed, and the
tasks run and skipped on one node (from the play recap).
"""
import argparse
import os
import re
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

from k3s import cluster_inventory as inventory, stop  # noqa: E402  (benchmarks/k3s.py, beside this one)


def start(names, network, ufw, image):
    subprocess.run(["podman", "network", "create", network], capture_output=True, check=False)
    for name in names:
        subprocess.run(["podman", "run", "-d", "--name", name, "--hostname", name, "--network", network,
                        "--privileged", image, "/sbin/init"], check=True, capture_output=True)
    if ufw:
        for name in names:
            subprocess.run(["podman", "exec", name, "sh", "-c",
                            "command -v ufw >/dev/null || (apt-get -qq update && DEBIAN_FRONTEND=noninteractive"
                            " apt-get -qq install -y ufw >/dev/null); ufw allow 22/tcp >/dev/null"
                            " && ufw --force enable >/dev/null"], check=True, capture_output=True)


def converge(repo, inv, cache):
    env = dict(os.environ, ANSIBLE_FORCE_COLOR="0", ANSIBLE_CACHE_PLUGIN_CONNECTION=cache,
               ANSIBLE_COLLECTIONS_PATH=os.path.join(repo, ".ansible", "collections"))
    t0 = time.monotonic()
    out = subprocess.run(["ansible-playbook", "-i", inv, "-f", "20", os.path.join(repo, "playbooks", "nodes.yml")],
                         text=True, capture_output=True, env=env, cwd=repo, check=False)
    elapsed = time.monotonic() - t0
    if out.returncode != 0:
        sys.exit(f"converge failed:\n{out.stdout[-4000:]}\n{out.stderr[-2000:]}")
    recap = {m.group(1): {k: int(v) for k, v in re.findall(r"(\w+)=(\d+)", m.group(2))}
             for m in re.finditer(r"^(\S+)\s+:\s+(ok=.*)$", out.stdout, re.M)}
    changed = sum(r["changed"] for r in recap.values())
    return elapsed, changed, recap


def measure(repo, n_agents, ufw, image):
    prefix = f"npbench1x{n_agents}{'u' if ufw else ''}"
    servers = [f"{prefix}-server1"]
    agents = [f"{prefix}-agent{i}" for i in range(1, n_agents + 1)]
    network = f"{prefix}-net"
    stop(servers + agents, network)
    with tempfile.TemporaryDirectory(prefix="npbench") as work:
        inv = os.path.join(work, "hosts.json")
        inventory(inv, servers, agents)
        start(servers + agents, network, ufw, image)
        try:
            rows = []
            for label in ("first converge", "re-run"):
                elapsed, changed, recap = converge(repo, inv, os.path.join(work, "facts"))
                node = recap[agents[-1]]
                rows.append(elapsed)
                print(f"1+{n_agents} {label:15s} {elapsed:7.1f} s  changed={changed:<3d} "
                      f"agent tasks ok={node['ok']} skipped={node['skipped']}", flush=True)
            print(f"1+{n_agents} re-run / first = {rows[1] / rows[0]:.2f}", flush=True)
        finally:
            stop(servers + agents, network)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--agents", type=int, nargs="+", default=[2, 8])
    parser.add_argument("--repo", default=HERE, help="checkout of the collection to measure")
    parser.add_argument("--ufw", action="store_true", help="nodes run an active ufw")
    parser.add_argument("--image", default="localhost/debian-systemd:bookworm",
                        help="node image (one with the packages installed measures the role without downloads)")
    args = parser.parse_args()
    repo = os.path.abspath(args.repo)
    link = os.path.join(repo, ".ansible", "collections", "ansible_collections", "versatile")
    os.makedirs(link, exist_ok=True)
    if not os.path.islink(os.path.join(link, "jupyter")):
        os.symlink(repo, os.path.join(link, "jupyter"))
    with open("/proc/loadavg", encoding="utf-8") as f:
        print(f"load average at start: {' '.join(f.read().split()[:3])}", flush=True)
    for n in args.agents:
        measure(repo, n, args.ufw, args.image)


if __name__ == "__main__":
    main()
