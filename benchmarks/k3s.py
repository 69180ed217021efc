#!/usr/bin/env python3
"""Benchmark: wall time of playbooks/k3s.yml, first converge and re-converge, as the cluster grows.

    source scripts/lib.sh; ensure_venv requirements.txt requirements-test.txt; link_collection
    export CONTAINERS_CONF=$PWD/tests/containers/containers.conf
    python3 benchmarks/k3s.py                 # 1 server + 2 agents, then 1 server + 8 agents
    python3 benchmarks/k3s.py --agents 2 4    # other sizes
    python3 benchmarks/k3s.py --servers 3 --agents 1   # HA: three servers joining one at a time

Each size gets fresh privileged systemd containers of localhost/debian-systemd:bookworm on a podman network
and the k3s STAND-IN (tests/standins/k3s) through the role's air-gap path: k3s itself cannot run here, so
the figures measure the role and Ansible (connections, checks, copies, unit starts), not k3s start-up.
Prints the first-converge and re-converge times, their ratio, and how the cost grows with nodes.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
IMAGE = "localhost/debian-systemd:bookworm"
VERSION = "v1.31.4+k3s1"


def run(*cmd, **kw):
    return subprocess.run(cmd, check=True, text=True, capture_output=True, **kw)


def start(names, network):
    subprocess.run(["podman", "network", "create", network], capture_output=True)
    for name in names:
        run("podman", "run", "-d", "--name", name, "--hostname", name, "--network", network, "--privileged",
            "-v", "/sys/fs/cgroup:/sys/fs/cgroup:rw", "--cgroupns=host", IMAGE, "/sbin/init")


def stop(names, network):
    subprocess.run(["podman", "rm", "-f", "-t", "0", *names], capture_output=True)
    subprocess.run(["podman", "network", "rm", "-f", network], capture_output=True)


def inventory(path, servers, agents, airgap, workdir):
    hosts = {"all": {
        "vars": {"ansible_connection": "containers.podman.podman", "ansible_python_interpreter": "/usr/bin/python3",
                 "cluster_api_endpoint": servers[0], "k3s_install_method": "airgap", "k3s_version": VERSION,
                 "k3s_airgap_dir": airgap, "k3s_kubeconfig_local_path": os.path.join(workdir, "kubeconfig.yaml")},
        "children": {"k3s_cluster": {"children": {
            "k3s_servers": {"hosts": {s: {} for s in servers}},
            "k3s_agents": {"hosts": {a: {} for a in agents}},
            "desktops": {"hosts": {}},
        }}},
    }}
    with open(path, "w", encoding="utf-8") as f:
        json.dump(hosts, f)


def converge(inv):
    env = dict(os.environ, ANSIBLE_FORCE_COLOR="0", ANSIBLE_HOST_KEY_CHECKING="0")
    t0 = time.monotonic()
    out = subprocess.run(["ansible-playbook", "-i", inv, "-f", "20", os.path.join(REPO, "playbooks", "k3s.yml")],
                         text=True, capture_output=True, env=env, cwd=REPO)
    elapsed = time.monotonic() - t0
    if out.returncode != 0:
        sys.exit(f"converge failed:\n{out.stdout[-4000:]}\n{out.stderr[-2000:]}")
    changed = sum(int(part.split("=")[1]) for line in out.stdout.splitlines() if "changed=" in line
                  for part in line.split() if part.startswith("changed="))
    return elapsed, changed


def measure(n_servers, n_agents, workdir):
    prefix = f"k3sbench{n_servers}x{n_agents}"
    servers = [f"{prefix}-server{i}" for i in range(1, n_servers + 1)]
    agents = [f"{prefix}-agent{i}" for i in range(1, n_agents + 1)]
    network = f"{prefix}-net"
    airgap = os.path.join(workdir, "airgap")
    if not os.path.exists(airgap):
        run(sys.executable, os.path.join(REPO, "tests", "standins", "k3s", "build_airgap.py"),
            "--version", VERSION, "--out", airgap)
    inv = os.path.join(workdir, f"inventory-{n_agents}.json")
    inventory(inv, servers, agents, airgap, workdir)
    stop([*servers, *agents], network)
    try:
        start([*servers, *agents], network)
        first, changed_first = converge(inv)
        again, changed_again = converge(inv)
    finally:
        stop([*servers, *agents], network)
    return first, again, changed_first, changed_again


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--agents", type=int, nargs="+", default=[2, 8], help="agent counts to measure")
    parser.add_argument("--servers", type=int, default=1, help="servers (odd; 3 exercises the HA join)")
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory(prefix="k3s-bench-") as workdir:
        for n in args.agents:
            first, again, c1, c2 = measure(args.servers, n, workdir)
            rows.append((n, first, again, c1, c2))
            print(f"{args.servers} server(s) + {n} agents: first converge {first:.1f} s ({c1} changed), "
                  f"re-converge {again:.1f} s ({c2} changed), re-converge/first = {again / first:.2f}", flush=True)
    if len(rows) > 1:
        (n1, f1, a1, *_), (n2, f2, a2, *_) = rows[0], rows[-1]
        k = args.servers
        print(f"from {n1 + k} to {n2 + k} nodes: first converge x{f2 / f1:.2f}, re-converge x{a2 / a1:.2f} "
              f"(nodes x{(n2 + k) / (n1 + k):.2f})")
    print(f"load average at the end: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs (shared machine)")


if __name__ == "__main__":
    main()
