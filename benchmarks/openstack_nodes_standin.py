#!/usr/bin/env python3
"""Benchmark: playbooks/provision.yml against the OpenStack API stand-in (tests/standins/openstack).

Prints, for a cluster of 1 server + N agents, the wall time of a creating run, a re-run and a teardown, and
how many API requests (and how many writes) each sent. The stand-in answers at once, so the times are
Ansible's and openstacksdk's own cost (process start, imports, authentication): a floor for a real cloud,
where booting servers dominates. Run from the repository root inside the test virtualenv:

  source scripts/lib.sh; ensure_venv requirements.txt requirements-test.txt; link_collection
  python benchmarks/openstack_nodes_standin.py 1 3
"""
import os
import socket
import subprocess
import sys
import tempfile
import time

import yaml

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(REPO, "tests", "standins", "openstack"))

from openstack_standin import StandIn  # noqa: E402


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def run(workdir, clouds, *extra):
    env = dict(os.environ, OS_CLIENT_CONFIG_FILE=clouds, ANSIBLE_COLLECTIONS_PATH=os.path.join(
        REPO, ".ansible", "collections"), ANSIBLE_CONFIG=os.path.join(workdir, "ansible.cfg"))
    cmd = ["ansible-playbook", "-i", os.path.join(workdir, "inventory"), os.path.join(REPO, "playbooks", "provision.yml")]
    start = time.monotonic()
    result = subprocess.run(cmd + list(extra), env=env, cwd=workdir, capture_output=True, text=True)
    if result.returncode != 0:
        sys.exit("run failed:\n" + result.stdout[-3000:])
    return time.monotonic() - start


def bench(agents):
    ssh_port = free_port()
    with StandIn(ssh_port=ssh_port, external_cidr="127.0.43.0/24") as cloud, tempfile.TemporaryDirectory() as work:
        clouds = os.path.join(work, "clouds.yaml")
        with open(clouds, "w", encoding="utf-8") as handle:
            handle.write(cloud.clouds_yaml())
        with open(os.path.join(work, "ansible.cfg"), "w", encoding="utf-8") as handle:
            handle.write("[defaults]\nretry_files_enabled = false\n")
        key = os.path.join(work, "key.pub")
        with open(key, "w", encoding="utf-8") as handle:
            handle.write("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBenchBenchBenchBenchBenchBenchBenchBenchBe bench\n")
        os.makedirs(os.path.join(work, "inventory", "group_vars"))
        with open(os.path.join(work, "inventory", "hosts.yml"), "w", encoding="utf-8") as handle:
            yaml.safe_dump({"all": {"children": {"k3s_cluster": {"children": {
                "k3s_servers": {"hosts": {}}, "k3s_agents": {"hosts": {}}}}}}}, handle)
        with open(os.path.join(work, "inventory", "group_vars", "all.yml"), "w", encoding="utf-8") as handle:
            yaml.safe_dump({
                "ansible_connection": "local", "ansible_python_interpreter": sys.executable,
                "openstack_nodes_cloud": "standin", "openstack_nodes_cluster_name": "bench",
                "openstack_nodes_public_key_file": key, "openstack_nodes_admin_cidrs": ["192.0.2.0/24"],
                "openstack_nodes_subnet_cidr": "127.0.42.0/24", "openstack_nodes_ssh_port": ssh_port,
                "openstack_nodes_groups": [
                    {"name": "server", "inventory_group": "k3s_servers", "count": 1, "flavor": "m1.medium",
                     "image": "debian-12"},
                    {"name": "agent", "inventory_group": "k3s_agents", "count": agents, "flavor": "m1.small",
                     "image": "debian-12", "volume_size": 10}],
            }, handle)
        rows = []
        for phase, extra in (("create", ()), ("re-run", ()),
                             ("teardown", ("-e", "openstack_nodes_state=absent",
                                           "-e", "openstack_nodes_confirm_delete=bench"))):
            mark = len(cloud.requests)
            seconds = run(work, clouds, *extra)
            requests = cloud.requests[mark:]
            writes = [r for r in requests if r[0] in ("POST", "PUT", "DELETE") and not r[1].endswith("/auth/tokens")]
            rows.append((phase, seconds, len(requests), len(writes)))
        return rows


def main():
    sizes = [int(a) for a in sys.argv[1:]] or [1, 3]
    load = os.getloadavg()[0]
    print("provision.yml on the OpenStack stand-in (load average %.1f on %d CPUs)" % (load, os.cpu_count()))
    print("%-7s %-9s %9s %9s %7s" % ("agents", "phase", "seconds", "requests", "writes"))
    for agents in sizes:
        for phase, seconds, requests, writes in bench(agents):
            print("%-7d %-9s %9.1f %9d %7d" % (agents, phase, seconds, requests, writes))


if __name__ == "__main__":
    main()
