#!/usr/bin/env python3
"""Benchmark: playbooks/k3s.yml, first converge and re-run with nothing to change, as the cluster grows.

    source scripts/lib.sh; ensure_venv requirements.txt requirements-test.txt; link_collection
    export CONTAINERS_CONF=$PWD/tests/containers/containers.conf
    python3 benchmarks/k3s.py                  # 1 server + 2, 8 and 16 agents
    python3 benchmarks/k3s.py --agents 2 4     # other sizes
    python3 benchmarks/k3s.py --servers 3 --agents 1   # HA: three servers joining one at a time
    python3 benchmarks/k3s.py --connection ssh          # over ssh, as users run it (pipelining, ControlPersist)

Each size gets fresh privileged systemd containers of localhost/debian-systemd:bookworm on a podman network
and the k3s STAND-IN (tests/standins/k3s) through the role's air-gap path: k3s itself cannot run here, so
the figures measure the role and Ansible (connections, checks, copies, unit starts), not k3s start-up. Each
size has a fact cache of its own, so a first converge never starts from an earlier run's facts.

For each run it prints: wall time, changed, tasks executed (ok, changed included) and skipped per host, and
connection round trips per host (`podman exec` calls, counted from podman's event log), with the load average
before and after, and where the CPU went: the controller's (Ansible and the connection clients it runs) and the
nodes' (each container's cgroup: sshd or podman exec sessions, module runs, the install script, systemd, the
stand-in). On this 2-core machine both share the same cores; on real machines a node's share runs on its own CPU,
so the controller's CPU per added node is what an added lab desktop costs the run. With --connection ssh, Ansible reaches the same containers over ssh, as a user's machines are
reached: a user `bench` with password-less sudo, this repository's ansible.cfg (pipelining, ControlPersist), so a
module run is one round trip; the round trips are then the sudo commands each node's journal recorded.
Then, at each size, a floor: a playbook of nothing but ping tasks, as many as give every node
an agent's first-converge round trips (what the same connections cost this machine). Then the re-run/first
ratio per size and the growth from the first size to the others, the floor's too.
"""
import argparse
import collections
import datetime
import json
import os
import re
import resource
import subprocess
import sys
import tempfile
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(REPO, "tests", "fixtures"))
from ssh_login import ssh_key, ssh_login  # noqa: E402  (tests/fixtures: also used by test_ssh_become.py)

IMAGE = "localhost/debian-systemd:bookworm"
VERSION = "v1.31.4+k3s1"
RECAP = re.compile(r"^(\S+)\s*:\s*ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)\s+skipped=(\d+)")


def run(*cmd, **kw):
    return subprocess.run(cmd, check=True, text=True, capture_output=True, **kw)


def start(names, network):
    subprocess.run(["podman", "network", "create", network], capture_output=True)
    for name in names:
        run("podman", "run", "-d", "--name", name, "--hostname", name, "--network", network, "--privileged",
            "-v", "/sys/fs/cgroup:/sys/fs/cgroup:rw", "--cgroupns=host", IMAGE, "/sbin/init")
    # Until systemd has booted, its tmpfiles clean-up of /tmp can delete a module's unpacked payload under it.
    for name in names:
        subprocess.run(["podman", "exec", name, "systemctl", "is-system-running", "--wait"], capture_output=True)


def stop(names, network):
    subprocess.run(["podman", "rm", "-f", "-t", "0", *names], capture_output=True)
    subprocess.run(["podman", "network", "rm", "-f", network], capture_output=True)


def cluster_inventory(path, servers, agents, host_vars=None, **group_vars):
    """A JSON inventory of podman-connected containers (host_vars may give a host another connection): servers,
    agents, no desktops (benchmarks/node_prep.py uses it too)."""
    host_vars = host_vars or {}
    hosts = {"all": {
        "vars": dict({"ansible_connection": "containers.podman.podman",
                      "ansible_python_interpreter": "/usr/bin/python3", "cluster_api_endpoint": servers[0]},
                     **group_vars),
        "children": {"k3s_cluster": {"children": {
            "k3s_servers": {"hosts": {s: host_vars.get(s, {}) for s in servers}},
            "k3s_agents": {"hosts": {a: host_vars.get(a, {}) for a in agents}},
            "desktops": {"hosts": {}},
        }}},
    }}
    with open(path, "w", encoding="utf-8") as f:
        json.dump(hosts, f)


def inventory(path, servers, agents, airgap, workdir, host_vars=None):
    """host_vars: each node's connection (ssh_access) when the nodes are not reached through podman."""
    cluster_inventory(path, servers, agents, host_vars, k3s_install_method="airgap", k3s_version=VERSION,
                      k3s_airgap_dir=airgap, k3s_kubeconfig_local_path=os.path.join(workdir, "kubeconfig.yaml"))


def ssh_access(names, network, workdir):
    """For --connection ssh: on every node a user `bench` with password-less sudo and the controller's key, sshd
    running (tests/fixtures/ssh_login.py); returns each node's host vars that reach it over ssh."""
    key = ssh_key(workdir)
    return {name: ssh_login(name, network, "bench", key) for name in names}


def sudo_calls(since_epoch, names):
    """Over ssh with pipelining a module run is one round trip, and with become one sudo command: count them in
    each node's journal since an instant."""
    counts = {}
    for name in names:
        out = run("podman", "exec", name, "journalctl", "-q", "--no-pager", "_COMM=sudo",
                  "--since", f"@{since_epoch}").stdout
        counts[name] = sum(1 for line in out.splitlines() if "COMMAND=" in line)
    return counts


def exec_calls(since, names):
    """podman exec calls per container since an instant (podman's event log; read right after the run, so
    nothing later is counted: --until makes podman 4.3 return no events at all)."""
    out = run("podman", "events", "--stream=false", "--since", since, "--filter", "event=exec",
              "--format", "{{.Name}}").stdout
    counts = collections.Counter(line.strip() for line in out.splitlines())
    return {name: counts.get(name, 0) for name in names}


def cgroup_cpu_seconds(name):
    """CPU seconds used so far by every process of a container (its cgroup, v2 or v1), or None if unreadable."""
    path = run("podman", "inspect", "--format", "{{.State.CgroupPath}}", name).stdout.strip().lstrip("/")
    try:
        with open(f"/sys/fs/cgroup/{path}/cpu.stat", encoding="utf-8") as f:
            return int(dict(line.split() for line in f)["usage_usec"]) / 1e6
    except (OSError, KeyError, ValueError):
        pass
    try:
        with open(f"/sys/fs/cgroup/cpuacct/{path}/cpuacct.usage", encoding="utf-8") as f:
            return int(f.read()) / 1e9
    except (OSError, ValueError):
        return None


def nodes_cpu_seconds(names):
    seconds = [cgroup_cpu_seconds(name) for name in names]
    return None if None in seconds else sum(seconds)


def stamp():
    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def converge(inv, names, cache, playbook=os.path.join(REPO, "playbooks", "k3s.yml"), ssh=False):
    env = dict(os.environ, ANSIBLE_FORCE_COLOR="0", ANSIBLE_HOST_KEY_CHECKING="0",
               ANSIBLE_CACHE_PLUGIN_CONNECTION=cache)
    load_before = os.getloadavg()[0]
    since, since_epoch = stamp(), int(time.time())
    time.sleep(1)  # the event log has one-second resolution
    nodes_before, own_before = nodes_cpu_seconds(names), resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.monotonic()
    out = subprocess.run(["ansible-playbook", "-i", inv, "-f", "20", playbook],
                         text=True, capture_output=True, env=env, cwd=REPO)
    elapsed = time.monotonic() - t0
    nodes_after, own_after = nodes_cpu_seconds(names), resource.getrusage(resource.RUSAGE_CHILDREN)
    # Ansible's processes and the clients it ran (ssh, podman exec): this process waits for nothing else meanwhile.
    controller_cpu = (own_after.ru_utime - own_before.ru_utime) + (own_after.ru_stime - own_before.ru_stime)
    nodes_cpu = None if None in (nodes_before, nodes_after) else nodes_after - nodes_before
    if out.returncode != 0:
        sys.exit(f"converge failed:\n{out.stdout[-4000:]}\n{out.stderr[-2000:]}")
    recap = {}
    for line in out.stdout.splitlines():
        m = RECAP.match(line.strip())
        if m:
            recap[m.group(1)] = {"ok": int(m.group(2)), "changed": int(m.group(3)), "skipped": int(m.group(6))}
    calls = sudo_calls(since_epoch, names) if ssh else exec_calls(since, names)
    return {"wall": elapsed, "changed": sum(r["changed"] for r in recap.values()), "recap": recap,
            "execs": calls, "load": (load_before, os.getloadavg()[0]),
            "cpu": {"controller": controller_cpu, "nodes": nodes_cpu}}


def spread(values):
    """'70-72' for differing values, '72' for equal ones, '0' for none."""
    if not values:
        return "0"
    return f"{min(values)}-{max(values)}" if min(values) != max(values) else str(values[0])


def describe(label, res, servers, agents):
    def per(hosts, key):
        return spread([res["recap"].get(h, {}).get(key, 0) for h in hosts])

    def calls(hosts):
        return spread([res["execs"][h] for h in hosts])

    groups = [("server", servers), ("agent", agents)]
    detail = "; ".join(f"{name}: {per(hosts, 'ok')} executed, {per(hosts, 'skipped')} skipped, "
                       f"{calls(hosts)} round trips" for name, hosts in groups if hosts)
    nodes_cpu = "n/a" if res["cpu"]["nodes"] is None else f"{res['cpu']['nodes']:.1f} s"
    print(f"  {label}: {res['wall']:.1f} s, changed={res['changed']}, per host ({detail}), "
          f"CPU: controller {res['cpu']['controller']:.1f} s, nodes {nodes_cpu}, "
          f"load {res['load'][0]:.1f} -> {res['load'][1]:.1f}", flush=True)


# A module run through the podman connection (no pipelining) is about five `podman exec` calls: the home
# folder, the temporary folder, chmod, the run itself, the clean-up. Over ssh with pipelining it is one.
EXECS_PER_MODULE_RUN = 5


def floor(inv, names, cache, workdir, round_trips, ssh=False):
    """Ansible's own cost at this size, with nothing of the collection: on every node, as many
    ansible.builtin.ping tasks as give an agent's first-converge round trips. Its growth from one size to the
    next is what the same connections cost this machine, whatever the tasks do. Over ssh the pings run with
    become, as the k3s plays do (and as sudo_calls counts)."""
    tasks = max(1, round(round_trips / (1 if ssh else EXECS_PER_MODULE_RUN)))
    playbook = os.path.join(workdir, f"floor-{tasks}.yml")
    with open(playbook, "w", encoding="utf-8") as f:
        json.dump([{"hosts": "all", "gather_facts": False, "become": ssh,
                    "tasks": [{"name": f"Ping {i}", "ansible.builtin.ping": {}} for i in range(tasks)]}], f)
    return converge(inv, names, cache, playbook, ssh), tasks


def measure(n_servers, n_agents, workdir, connection="podman"):
    prefix = f"k3sbench{n_servers}x{n_agents}"
    servers = [f"{prefix}-server{i}" for i in range(1, n_servers + 1)]
    agents = [f"{prefix}-agent{i}" for i in range(1, n_agents + 1)]
    network = f"{prefix}-net"
    airgap = os.path.join(workdir, "airgap")
    if not os.path.exists(airgap):
        run(sys.executable, os.path.join(REPO, "tests", "standins", "k3s", "build_airgap.py"),
            "--version", VERSION, "--out", airgap)
    inv = os.path.join(workdir, f"inventory-{n_servers}x{n_agents}.json")
    cache = os.path.join(workdir, f"facts-{n_servers}x{n_agents}")
    names = [*servers, *agents]
    ssh = connection == "ssh"
    stop(names, network)
    try:
        start(names, network)
        inventory(inv, servers, agents, airgap, workdir, ssh_access(names, network, workdir) if ssh else None)
        print(f"{n_servers} server(s) + {n_agents} agents, over {connection}:", flush=True)
        first = converge(inv, names, cache, ssh=ssh)
        describe("first converge", first, servers, agents)
        again = converge(inv, names, cache, ssh=ssh)
        describe("re-run        ", again, servers, agents)
        print(f"  re-run/first = {again['wall'] / first['wall']:.2f}", flush=True)
        agent_trips = [first["execs"][a] for a in agents] or [first["execs"][servers[0]]]
        base, tasks = floor(inv, names, cache, workdir, sum(agent_trips) / len(agent_trips), ssh)
        describe(f"floor: {tasks} pings a node", base, servers, agents)
    finally:
        stop(names, network)
    return first, again, base


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--agents", type=int, nargs="+", default=[2, 8, 16], help="agent counts to measure")
    parser.add_argument("--servers", type=int, default=1, help="servers (odd; 3 exercises the HA join)")
    parser.add_argument("--connection", choices=["podman", "ssh"], default="podman",
                        help="how Ansible reaches the containers (ssh: as users reach machines)")
    args = parser.parse_args()
    rows = []
    print(f"load average at the start: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs (shared machine)")
    with tempfile.TemporaryDirectory(prefix="k3s-bench-") as workdir:
        for n in args.agents:
            first, again, base = measure(args.servers, n, workdir, args.connection)
            rows.append((n, first["wall"], again["wall"], base["wall"], first["cpu"]))
    k = args.servers
    n1, f1, a1, b1, c1 = rows[0]
    for n2, f2, a2, b2, c2 in rows[1:]:
        print(f"from {n1 + k} to {n2 + k} nodes (x{(n2 + k) / (n1 + k):.2f}): first converge x{f2 / f1:.2f}, "
              f"re-run x{a2 / a1:.2f}, floor x{b2 / b1:.2f}; each added node: first {(f2 - f1) / (n2 - n1):.2f} s, "
              f"re-run {(a2 - a1) / (n2 - n1):.2f} s, floor {(b2 - b1) / (n2 - n1):.2f} s")
        nodes = ("n/a" if None in (c1["nodes"], c2["nodes"])
                 else f"{(c2['nodes'] - c1['nodes']) / (n2 - n1):.2f} s")
        print(f"  first converge, CPU of each added node: controller "
              f"{(c2['controller'] - c1['controller']) / (n2 - n1):.2f} s, on the nodes {nodes}")
    print(f"load average at the end: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs (shared machine)")


if __name__ == "__main__":
    main()
