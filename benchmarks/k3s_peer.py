#!/usr/bin/env python3
"""Benchmark, side by side with k3s-ansible: node preparation + k3s, first converge and re-run, as the cluster grows.

    # k3s-ansible is read, never copied into this repository: put a checkout of it anywhere, e.g. with git
    #   git clone https://github.com/k3s-io/k3s-ansible /tmp/k3s-ansible
    # Its roles need the Python library netaddr on the controller (filter ansible.utils.ipwrap), which this
    # collection does not: install it beside, not into, the project's venv, e.g.
    #   pip install --target /tmp/k3s-peer-lib netaddr==1.3.0; export PYTHONPATH=/tmp/k3s-peer-lib
    source scripts/lib.sh; ensure_venv requirements.txt requirements-test.txt; link_collection
    export CONTAINERS_CONF=$PWD/tests/containers/containers.conf
    python3 benchmarks/k3s_peer.py --peer /tmp/k3s-ansible                   # 1+2 and 1+8, 2 rounds each
    python3 benchmarks/k3s_peer.py --peer /tmp/k3s-ansible --agents 2 --rounds 3 --top 25
    python3 benchmarks/k3s_peer.py --peer /tmp/k3s-ansible --agents 2 --also /tmp/before  # and another checkout

For each size and round, on fresh privileged systemd containers of localhost/debian-systemd:bookworm (the same
names, image and network for both tools, benchmarks/k3s.py's start()), each tool converges the nodes twice
(first converge, then a re-run with nothing to change):
  collection   `playbooks/nodes.yml`, then `playbooks/k3s.yml` (two ansible-playbook runs, as the issue's table)
  k3s-ansible  its `playbooks/site.yml` (its prereq and airgap roles, then servers, then agents)
Both install the k3s STAND-IN (tests/standins/k3s) from the same air-gap folder (build_airgap.py; the
stand-in install script is also offered under the name k3s-ansible looks for, k3s-install.sh). The rounds
alternate which tool goes first, so machine noise hits both. Both run with this repository's ansible.cfg
(forks 20, jsonfile fact cache emptied for every fresh set of containers; the podman connection cannot
pipeline, whatever a cfg says), with the json callback instead of profile_tasks; k3s-ansible's roles come from
--peer/roles. Its inventory: groups server and agent, token, api_endpoint (the first server), k3s_version,
airgap_dir, user_kubectl false (no remote user over podman), kubeconfig in a temporary folder (never the
controller's ~/.kube/config).

Prints each run (wall, changed, tasks executed/skipped per host, `podman exec` round trips per host, load),
then per size the medians and the ratios collection / k3s-ansible, and with --top the collection's costliest
tasks (all hosts of a task together, the median round). --also adds other checkouts of the collection (an
earlier commit, to see a change's effect) to the same alternation, each run from its own folder and ansible.cfg.
"""
import argparse
import datetime
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from k3s import REPO, VERSION, exec_calls, inventory, spread, stamp, start, stop  # noqa: E402  (beside this one)

PEER_TOKEN = "peer-benchmark-token"  # k3s-ansible's inventory needs one (its sample: "changeme!")
PEER = "k3s-ansible"


def label(tool):
    return PEER if tool == PEER else "collection" if tool == REPO else f"collection at {tool}"


def airgap_folder(workdir):
    airgap = os.path.join(workdir, "airgap")
    subprocess.run([sys.executable, os.path.join(REPO, "tests", "standins", "k3s", "build_airgap.py"),
                    "--version", VERSION, "--out", airgap], check=True, capture_output=True)
    # k3s-ansible's airgap role copies <airgap_dir>/k3s-install.sh (and would fetch get.k3s.io without it).
    shutil.copy(os.path.join(airgap, "install.sh"), os.path.join(airgap, "k3s-install.sh"))
    return airgap


def peer_inventory(path, servers, agents, airgap, workdir):
    node_vars = {"ansible_connection": "containers.podman.podman", "ansible_python_interpreter": "/usr/bin/python3",
                 "k3s_version": VERSION, "token": PEER_TOKEN, "api_endpoint": servers[0], "airgap_dir": airgap,
                 "user_kubectl": False, "kubeconfig": os.path.join(workdir, "peer-kubeconfig.yaml")}
    hosts = {"all": {"children": {"k3s_cluster": {
        "vars": node_vars,
        "children": {"server": {"hosts": {s: {} for s in servers}}, "agent": {"hosts": {a: {} for a in agents}}},
    }}}}
    with open(path, "w", encoding="utf-8") as f:
        json.dump(hosts, f)


def playbook(paths, inv, names, cache, cwd, repo=REPO, extra_env=None):
    """One ansible-playbook run: wall time, stats per host, podman exec calls per host, task durations."""
    env = dict(os.environ, ANSIBLE_CONFIG=os.path.join(repo, "ansible.cfg"), ANSIBLE_FORCE_COLOR="0",
               ANSIBLE_STDOUT_CALLBACK="ansible.posix.json", ANSIBLE_CALLBACKS_ENABLED="ansible.posix.json",
               ANSIBLE_CACHE_PLUGIN_CONNECTION=cache, ANSIBLE_HOST_KEY_CHECKING="0", **(extra_env or {}))
    load_before = os.getloadavg()[0]
    since = stamp()
    time.sleep(1)  # the event log has one-second resolution
    t0 = time.monotonic()
    out = subprocess.run(["ansible-playbook", "-i", inv, "-f", "20", *paths], text=True, capture_output=True,
                         env=env, cwd=cwd, check=False)
    wall = time.monotonic() - t0
    try:
        report = json.loads(out.stdout[out.stdout.index("{"):])
    except ValueError:
        report = None
    if out.returncode != 0 or report is None:
        sys.exit(f"{' '.join(paths)} failed (rc {out.returncode}):\n{out.stdout[-6000:]}\n{out.stderr[-3000:]}")
    tasks = []
    for play in report["plays"]:
        for task in play["tasks"]:
            d = task["task"]["duration"]
            if "start" in d and "end" in d:
                tasks.append((task["task"]["name"], seconds(d["start"], d["end"])))
    stats = report["stats"]
    return {"wall": wall, "changed": sum(s["changed"] for s in stats.values()),
            "recap": {h: {"ok": s["ok"], "skipped": s["skipped"]} for h, s in stats.items()},
            "execs": exec_calls(since, names), "load": (load_before, os.getloadavg()[0]), "tasks": tasks}


def seconds(start_iso, end_iso):
    """A task's duration from the json callback's ISO start and end."""
    fmt = "%Y-%m-%dT%H:%M:%S.%fZ"
    return (datetime.datetime.strptime(end_iso, fmt) - datetime.datetime.strptime(start_iso, fmt)).total_seconds()


def combine(runs):
    """Several ansible-playbook runs of one tool run as one (walls, changed, tasks and round trips added)."""
    hosts = {h for r in runs for h in r["recap"]}
    return {"wall": sum(r["wall"] for r in runs), "changed": sum(r["changed"] for r in runs),
            "recap": {h: {k: sum(r["recap"].get(h, {}).get(k, 0) for r in runs) for k in ("ok", "skipped")}
                      for h in hosts},
            "execs": {h: sum(r["execs"][h] for r in runs) for h in runs[0]["execs"]},
            "load": (runs[0]["load"][0], runs[-1]["load"][1]), "tasks": [t for r in runs for t in r["tasks"]],
            "parts": [r["wall"] for r in runs]}


def describe(label, res, servers, agents):
    def per(hosts, key):
        return spread([res["recap"].get(h, {}).get(key, 0) for h in hosts])

    detail = "; ".join(f"{kind}: {per(hosts, 'ok')} executed, {per(hosts, 'skipped')} skipped, "
                       f"{spread([res['execs'][h] for h in hosts])} round trips"
                       for kind, hosts in (("server", servers), ("agent", agents)) if hosts)
    parts = " (" + " + ".join(f"{p:.1f}" for p in res["parts"]) + ")" if len(res.get("parts", [])) > 1 else ""
    print(f"    {label}: {res['wall']:.1f} s{parts}, changed={res['changed']}, per host ({detail}), "
          f"load {res['load'][0]:.1f} -> {res['load'][1]:.1f}", flush=True)


def tool_run(tool, args, size, workdir, airgap):
    """tool: k3s-ansible, or the folder of a checkout of the collection."""
    """Fresh containers, first converge, re-run, containers removed: (first, again)."""
    servers, agents, network = size
    names = [*servers, *agents]
    cache = tempfile.mkdtemp(prefix="facts-", dir=workdir)
    stop(names, network)
    try:
        start(names, network)
        results = []
        for _ in ("first", "again"):
            if tool != PEER:
                inv = os.path.join(workdir, "collection.json")
                inventory(inv, servers, agents, airgap, workdir)
                results.append(combine([
                    playbook([os.path.join(tool, "playbooks", name)], inv, names, cache, tool, repo=tool)
                    for name in ("nodes.yml", "k3s.yml")]))
            else:
                inv = os.path.join(workdir, "peer.json")
                peer_inventory(inv, servers, agents, airgap, workdir)
                results.append(combine([
                    playbook([os.path.join(args.peer, "playbooks", "site.yml")], inv, names, cache, args.peer,
                             extra_env={"ANSIBLE_ROLES_PATH": os.path.join(args.peer, "roles")})]))
    finally:
        stop(names, network)
        shutil.rmtree(cache, ignore_errors=True)
    print(f"  {label(tool)}:", flush=True)
    describe("first converge", results[0], servers, agents)
    describe("re-run        ", results[1], servers, agents)
    return results


def top_tasks(runs, n):
    """The costliest tasks (summed over the plays a name occurs in) of the median run."""
    run = sorted(runs, key=lambda r: r["wall"])[len(runs) // 2]
    totals = {}
    for name, secs in run["tasks"]:
        totals[name] = totals.get(name, 0.0) + secs
    return sorted(totals.items(), key=lambda kv: -kv[1])[:n]


def measure(args, n_agents, workdir, airgap):
    prefix = f"k3speer1x{n_agents}"
    size = ([f"{prefix}-server1"], [f"{prefix}-agent{i}" for i in range(1, n_agents + 1)], f"{prefix}-net")
    print(f"1 server + {n_agents} agents:", flush=True)
    tools = [REPO, *args.also, PEER]
    runs = {tool: [] for tool in tools}
    for rnd in range(args.rounds):
        order = tools[rnd % len(tools):] + tools[:rnd % len(tools)]
        print(f" round {rnd + 1} ({label(order[0])} first):", flush=True)
        for tool in order:
            runs[tool].append(tool_run(tool, args, size, workdir, airgap))
    med = {tool: [statistics.median(r[i]["wall"] for r in rs) for i in (0, 1)] for tool, rs in runs.items()}
    peer = med[PEER]
    print(f" 1+{n_agents} medians of {args.rounds} alternated rounds (k3s-ansible: first {peer[0]:.1f} s, "
          f"re-run {peer[1]:.1f} s):", flush=True)
    for tool in tools[:-1]:
        ours = med[tool]
        k3s_only = [statistics.median(r[i]["parts"][1] for r in runs[tool]) for i in (0, 1)]
        print(f"  {label(tool)}: first converge {ours[0]:.1f} s (k3s.yml alone {k3s_only[0]:.1f} s), ratio "
              f"{ours[0] / peer[0]:.2f} (target <= 1.00; k3s.yml alone {k3s_only[0] / peer[0]:.2f}); re-run "
              f"{ours[1]:.1f} s (k3s.yml alone {k3s_only[1]:.1f} s), ratio {ours[1] / peer[1]:.2f} (target <= 0.50; "
              f"k3s.yml alone {k3s_only[1] / peer[1]:.2f})", flush=True)
    if args.top:
        for i, what in ((0, "first converge"), (1, "re-run")):
            print(f"  collection's costliest tasks, {what} (median round, all hosts of a task together):")
            for name, secs in top_tasks([r[i] for r in runs[REPO]], args.top):
                print(f"    {secs:7.2f} s  {name[:100]}")
    return med[REPO], peer


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--peer", required=True, help="a checkout of k3s-ansible (its playbooks/ and roles/)")
    parser.add_argument("--agents", type=int, nargs="+", default=[2, 8], help="agent counts to measure")
    parser.add_argument("--rounds", type=int, default=2, help="alternated rounds per size (each tool once a round)")
    parser.add_argument("--top", type=int, default=0, help="list the collection's N costliest tasks")
    parser.add_argument("--also", nargs="*", default=[], help="other checkouts of the collection to measure")
    args = parser.parse_args()
    args.peer = os.path.abspath(args.peer)
    args.also = [os.path.abspath(path) for path in args.also]
    for path in args.also:
        link = os.path.join(path, ".ansible", "collections", "ansible_collections", "versatile")
        os.makedirs(link, exist_ok=True)
        if not os.path.islink(os.path.join(link, "jupyter")):
            os.symlink(path, os.path.join(link, "jupyter"))
    if not os.path.isfile(os.path.join(args.peer, "playbooks", "site.yml")):
        sys.exit(f"--peer {args.peer}: no playbooks/site.yml there; give a checkout of k3s-ansible")
    try:
        import netaddr  # noqa: F401  (k3s-ansible's ansible.utils.ipwrap needs it on the controller)
    except ImportError:
        sys.exit("k3s-ansible needs the Python library netaddr on the controller (its roles use ansible.utils.ipwrap):"
                 " pip install --target DIR netaddr, then export PYTHONPATH=DIR (see the top of this file)")
    print(f"load average at the start: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs (shared machine); "
          f"{stamp()}", flush=True)
    rows = []
    with tempfile.TemporaryDirectory(prefix="k3s-peer-bench-") as workdir:
        airgap = airgap_folder(workdir)
        for n in args.agents:
            rows.append((n, *measure(args, n, workdir, airgap)))
    n1, ours1, peer1 = rows[0]
    for n2, ours2, peer2 in rows[1:]:
        print(f"growth 1+{n1} -> 1+{n2}, first converge: collection x{ours2[0] / ours1[0]:.2f} (target <= 1.5), "
              f"k3s-ansible x{peer2[0] / peer1[0]:.2f}; re-run: collection x{ours2[1] / ours1[1]:.2f}, "
              f"k3s-ansible x{peer2[1] / peer1[1]:.2f}")
    print(f"load average at the end: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs (shared machine); {stamp()}")


if __name__ == "__main__":
    main()
