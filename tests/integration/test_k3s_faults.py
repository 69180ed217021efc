"""Faults a k3s run survives: a node lost in the middle of a run, a dead server of a 3-server cluster replaced, a
desktop switched off (desktops are best-effort: playbooks/reachable.yml, report.yml).

Real ansible-playbook runs of playbooks/k3s.yml and playbooks/replace_server.yml on privileged systemd containers of
the local test image (3 servers, an agent, a desktop) with the k3s STAND-IN (tests/standins/k3s, through the role's
air-gap path; it also stands in for embedded etcd's member list). A node is lost between two plays of a run by the
test callback fault_callbacks/stop_at_play.py, which stops its container as the named play starts (a machine that
goes off). One cluster serves every check, in order:

0. The agent holds a k3s server's unit: k3s.yml refuses it in its checks, before any node is changed.
1. k3s.yml; the agent is lost as the agents' play starts: the run goes on for the others (the desktop joins, the
   readiness wait does not wait for the agent), names the agent at its end and fails.
2. The agent is back; a server dies and a new machine takes its name, and the owner switches the desktop off.
   replace_server.yml deletes the dead server's Node (and so its etcd member) and joins the new one; the agent
   joins too; the desktop is skipped and reported, readiness does not wait for it (a short k3s_ready_timeout would
   fail the run otherwise): the run converges and succeeds. A run limited to one server does not ask the desktop at
   all and changes nothing.
3. The desktop is back on. replace_server.yml again: the Node of that name is the replacement's and Ready, so
   nothing is deleted and nothing changes; the first server is lost as the readiness play starts: a clear error,
   it cannot be skipped.
"""
import json
import os
import shutil
import subprocess
import sys
import time

import pytest

from test_k3s_preflight import inventory, refused

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BUILD = os.path.join(REPO, "tests", "standins", "k3s", "build_airgap.py")
CALLBACKS = os.path.join(REPO, "tests", "integration", "fault_callbacks")
IMAGE = "localhost/debian-systemd:bookworm"
S1, S2, S3, AGENT, DESKTOP = "k3sf-s1", "k3sf-s2", "k3sf-s3", "k3sf-a1", "k3sf-d1"
NODES = (S1, S2, S3, AGENT, DESKTOP)
NETWORK = "k3sf-net"
VERSION = "v1.31.4+k3s1"
STATE = "/var/lib/rancher/k3s/server/standin-state.json"
MEMBER = "/var/lib/rancher/k3s/server/standin-etcd-member"
AGENTS_PLAY = "Install the k3s agents and desktops"
READY_PLAY = "Wait for every node and fetch the kubeconfig"


def image_present():
    return shutil.which("podman") is not None and subprocess.run(
        ["podman", "image", "exists", IMAGE], capture_output=True).returncode == 0


def remove():
    subprocess.run(["podman", "rm", "-f", "-t", "0", *NODES], capture_output=True)
    subprocess.run(["podman", "network", "rm", "-f", NETWORK], capture_output=True)


def start(name):
    subprocess.run(["podman", "run", "-d", "--name", name, "--hostname", name, "--network", NETWORK, "--privileged",
                    "-v", "/sys/fs/cgroup:/sys/fs/cgroup:rw", "--cgroupns=host", IMAGE, "/sbin/init"],
                   check=True, capture_output=True)


def booted(*names):
    # Until systemd has booted, its tmpfiles clean-up of /tmp can delete a module's unpacked payload under it.
    for name in names:
        subprocess.run(["podman", "exec", name, "systemctl", "is-system-running", "--wait"], capture_output=True)


def podman_exec(name, *argv):
    return subprocess.run(["podman", "exec", name, *argv], capture_output=True, text=True)


def cluster_state():
    """The stand-in's state on the first server: its Nodes (as `kubectl get nodes` lists them) and etcd members."""
    out = podman_exec(S1, "cat", STATE)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


def nodes_ready():
    out = podman_exec(S1, "k3s", "kubectl", "get", "nodes", "-o", "json")
    assert out.returncode == 0, out.stderr
    return {n["metadata"]["name"]: [c["status"] for c in n["status"]["conditions"] if c["type"] == "Ready"][0]
            for n in json.loads(out.stdout)["items"]}


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    if shutil.which("ansible-playbook") is None or not image_present():
        pytest.skip(f"ansible-playbook, podman or {IMAGE} missing (scripts/test setup builds the image)")
    tmp_path = tmp_path_factory.mktemp("k3s-faults")
    remove()
    subprocess.run(["podman", "network", "create", NETWORK], check=True, capture_output=True)
    for name in NODES:
        start(name)
    booted(*NODES)
    airgap = tmp_path / "airgap"
    subprocess.run([sys.executable, BUILD, "--version", VERSION, "--out", str(airgap)], check=True,
                   capture_output=True)
    inv = tmp_path / "hosts.json"
    inv.write_text(json.dumps({"all": {
        "vars": {"ansible_connection": "containers.podman.podman", "ansible_python_interpreter": "/usr/bin/python3",
                 "cluster_api_endpoint": S1, "k3s_install_method": "airgap", "k3s_version": VERSION,
                 "k3s_airgap_dir": str(airgap), "k3s_kubeconfig_local_path": str(tmp_path / "kubeconfig.yaml"),
                 # Waiting for a lost node would fail the run after this long.
                 "k3s_ready_timeout": 60},
        "children": {"k3s_cluster": {"children": {
            "k3s_servers": {"hosts": {S1: {}, S2: {}, S3: {}}}, "k3s_agents": {"hosts": {AGENT: {}}},
            "desktops": {"hosts": {DESKTOP: {}}}}}}}}))
    yield inv, tmp_path
    remove()


def play(lab, playbook, *extra, stop=None):
    inv, tmp_path = lab
    env = dict(os.environ, ANSIBLE_FORCE_COLOR="0", NO_COLOR="1", ANSIBLE_HOST_KEY_CHECKING="0",
               ANSIBLE_CACHE_PLUGIN_CONNECTION=str(tmp_path / "facts"), ANSIBLE_CALLBACK_PLUGINS=CALLBACKS, ANSIBLE_CALLBACKS_ENABLED="stop_at_play",
               STOP_AT_PLAY=json.dumps(stop or {}))
    began = time.monotonic()
    out = subprocess.run(["ansible-playbook", "-i", str(inv), os.path.join(REPO, "playbooks", playbook), *extra],
                         cwd=REPO, env=env, capture_output=True, text=True, timeout=1200)
    print(f"{playbook} {' '.join(extra)}: {time.monotonic() - began:.0f} s")
    return out.returncode, out.stdout + out.stderr


def recap(text, host):
    line = [x for x in text.splitlines() if x.startswith(host + " ") and "ok=" in x]
    assert line, text[-3000:]
    return dict(part.split("=") for part in line[-1].split()[2:])


def test_lost_agent_then_dead_server_replaced_with_desktop_off_then_lost_first_server(lab):
    inv, tmp_path = lab
    # 0. The agent runs a k3s server (its unit file is there): an agent is never turned into a server, and the
    #    refusal comes before any node is changed, not when the agent's turn comes after the servers'.
    podman_exec(AGENT, "touch", "/etc/systemd/system/k3s.service")
    rc, text = play(lab, "k3s.yml")
    flat = " ".join(text.split())
    assert rc != 0, text[-4000:]
    assert f"Nothing was changed. {AGENT} is listed as a k3s agent but runs a k3s server " \
           f"(/etc/systemd/system/k3s.service)." in flat, text[-4000:]
    for host in NODES:
        assert recap(text, host)["changed"] == "0", text[-4000:]
    assert podman_exec(S1, "test", "-e", "/usr/local/bin/k3s").returncode != 0
    podman_exec(AGENT, "rm", "/etc/systemd/system/k3s.service")

    # 1. The agent goes off as the agents' play starts.
    rc, text = play(lab, "k3s.yml", stop={AGENTS_PLAY: [AGENT]})
    flat = " ".join(text.split())
    assert rc != 0, text[-4000:]
    assert recap(text, AGENT)["unreachable"] == "1"
    for host in (S1, S2, S3, DESKTOP):
        assert recap(text, host)["failed"] == recap(text, host)["unreachable"] == "0", text[-4000:]
    assert f"Left the run before its end (a task failed on them or they stopped answering, see above; the run " \
           f"went on for the others): {AGENT}." in flat
    # The run went on for the others: the desktop joined, readiness was checked without the agent, and the
    # kubeconfig was written.
    assert nodes_ready() == {S1: "True", S2: "True", S3: "True", DESKTOP: "True"}
    assert (tmp_path / "kubeconfig.yaml").exists()
    members = cluster_state()["members"]
    assert sorted(m["name"] for m in members) == [S1, S2, S3]
    old_s3 = [m["id"] for m in members if m["name"] == S3][0]

    # 2. The agent is back. S3 dies; a new machine takes its name (same inventory, an odd count of servers). The
    #    owner switches the desktop off.
    subprocess.run(["podman", "start", AGENT], check=True, capture_output=True)
    subprocess.run(["podman", "rm", "-f", "-t", "0", S3], check=True, capture_output=True)
    subprocess.run(["podman", "stop", "-t", "0", DESKTOP], check=True, capture_output=True)
    start(S3)
    booted(AGENT, S3)
    deadline = time.monotonic() + 90
    # The cluster notices after their heartbeats stop; a desktop Node left Ready would not show the wait skips it.
    while "True" in (nodes_ready()[S3], nodes_ready()[DESKTOP]):
        assert time.monotonic() < deadline, "the dead server's or the desktop's Node stayed Ready"
        time.sleep(3)
    rc, text = play(lab, "replace_server.yml", "-e", f"k3s_dead_server={S3}")
    flat = " ".join(text.split())
    assert rc == 0, text[-4000:]
    assert int(recap(text, S3)["changed"]) > 0 and int(recap(text, AGENT)["changed"]) > 0
    assert recap(text, DESKTOP)["unreachable"] == "1"
    assert f"Skipped, did not answer (desktops are best-effort; run again when they are on): {DESKTOP}" in flat
    ready = nodes_ready()
    # The desktop's Node is Unknown (no heartbeat), as the cluster says of a switched-off node.
    assert ready.pop(DESKTOP) != "True" and ready == {S1: "True", S2: "True", S3: "True", AGENT: "True"}
    members = cluster_state()["members"]
    new_s3 = podman_exec(S3, "cat", MEMBER).stdout.strip()
    # The dead member is gone and the new machine is the third member: three, not four with a dead one.
    assert sorted((m["name"], m["id"]) for m in members if m["name"] == S3) == [(S3, new_s3)]
    assert sorted(m["name"] for m in members) == [S1, S2, S3] and new_s3 != old_s3

    # A run limited to one server does not ask the switched-off desktop at all, and changes nothing.
    rc, text = play(lab, "k3s.yml", "--limit", S1)
    assert rc == 0, text[-4000:]
    assert recap(text, S1)["changed"] == "0"
    assert not [x for x in text.splitlines() if x.startswith(DESKTOP + " ")], text[-3000:]
    assert "Skipped, did not answer" not in text

    # The desktop is back on: its k3s starts with it.
    subprocess.run(["podman", "start", DESKTOP], check=True, capture_output=True)
    booted(DESKTOP)

    # 3. Again: the Node named S3 is the replacement's, Ready: nothing is deleted, nothing changes. The first server
    #    goes off as the readiness play starts: it cannot be skipped.
    rc, text = play(lab, "replace_server.yml", "-e", f"k3s_dead_server={S3}", stop={READY_PLAY: [S1]})
    flat = " ".join(text.split())
    assert rc != 0, text[-4000:]
    assert f"{S3}: its Node is Ready, so it is not removed" in flat
    assert f"The first server {S1} stopped answering during the run. It cannot be skipped" in flat
    for host in NODES:
        assert recap(text, host)["changed"] == "0", text[-4000:]


def test_replace_server_refuses_a_bad_dead_server_name_before_contacting_hosts(tmp_path):
    inv = inventory(tmp_path, servers=("s1", "s2", "s3"), agents=(), k3s_install_method="online",
                    k3s_version=VERSION)
    refused(inv, "k3s_dead_server must be the node name of the dead server", "replace_server.yml")
    refused(inv, 'it is "Bad_Name"', "replace_server.yml", "-e", "k3s_dead_server=Bad_Name")
