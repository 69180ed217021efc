"""Desktops are best-effort (playbooks/reachable.yml, report.yml): a switched-off desktop does not fail a k3s run.

Real ansible-playbook runs of playbooks/k3s.yml on two privileged systemd containers of the local test image, a
server and a desktop, with the k3s STAND-IN (tests/standins/k3s) through the role's air-gap path. The desktop
container is stopped before the run, so Ansible cannot reach it (as a powered-off PC over SSH): the run must
succeed for the server, report the desktop as skipped at its end, not wait for it to be Ready (a short
k3s_ready_timeout would fail the run otherwise), and a run limited to the server must not touch the desktop.
"""
import json
import os
import shutil
import subprocess
import sys

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BUILD = os.path.join(REPO, "tests", "standins", "k3s", "build_airgap.py")
IMAGE = "localhost/debian-systemd:bookworm"
SERVER, DESKTOP, NETWORK = "k3sdt-server", "k3sdt-desktop", "k3sdt-net"
VERSION = "v1.31.4+k3s1"


def image_present():
    return shutil.which("podman") is not None and subprocess.run(
        ["podman", "image", "exists", IMAGE], capture_output=True).returncode == 0


pytestmark = [
    pytest.mark.skipif(shutil.which("ansible-playbook") is None, reason="ansible-playbook not installed"),
    pytest.mark.skipif(not image_present(), reason=f"podman or {IMAGE} missing (scripts/test setup builds it)"),
]


def remove():
    subprocess.run(["podman", "rm", "-f", "-t", "0", SERVER, DESKTOP], capture_output=True)
    subprocess.run(["podman", "network", "rm", "-f", NETWORK], capture_output=True)


@pytest.fixture
def cluster(tmp_path):
    remove()
    subprocess.run(["podman", "network", "create", NETWORK], check=True, capture_output=True)
    for name in (SERVER, DESKTOP):
        subprocess.run(["podman", "run", "-d", "--name", name, "--hostname", name, "--network", NETWORK,
                        "--privileged", "-v", "/sys/fs/cgroup:/sys/fs/cgroup:rw", "--cgroupns=host", IMAGE,
                        "/sbin/init"], check=True, capture_output=True)
    # Until systemd has booted, its tmpfiles clean-up of /tmp can delete a module's unpacked payload under it.
    subprocess.run(["podman", "exec", SERVER, "systemctl", "is-system-running", "--wait"], capture_output=True)
    # The owner switched the desktop off.
    subprocess.run(["podman", "stop", "-t", "0", DESKTOP], check=True, capture_output=True)
    airgap = tmp_path / "airgap"
    subprocess.run([sys.executable, BUILD, "--version", VERSION, "--out", str(airgap)], check=True,
                   capture_output=True)
    inv = tmp_path / "hosts.json"
    inv.write_text(json.dumps({"all": {
        "vars": {"ansible_connection": "containers.podman.podman", "ansible_python_interpreter": "/usr/bin/python3",
                 "cluster_api_endpoint": SERVER, "k3s_install_method": "airgap", "k3s_version": VERSION,
                 "k3s_airgap_dir": str(airgap), "k3s_kubeconfig_local_path": str(tmp_path / "kubeconfig.yaml"),
                 # Waiting for the desktop would fail the run after this long.
                 "k3s_ready_timeout": 60},
        "children": {"k3s_cluster": {"children": {
            "k3s_servers": {"hosts": {SERVER: {}}}, "k3s_agents": {"hosts": {}},
            "desktops": {"hosts": {DESKTOP: {}}}}}}}}))
    yield inv, tmp_path
    remove()


def play(inv, tmp_path, *extra):
    env = dict(os.environ, ANSIBLE_FORCE_COLOR="0", NO_COLOR="1", ANSIBLE_HOST_KEY_CHECKING="0",
               ANSIBLE_CACHE_PLUGIN_CONNECTION=str(tmp_path / "facts"))
    out = subprocess.run(["ansible-playbook", "-i", str(inv), os.path.join(REPO, "playbooks", "k3s.yml"), *extra],
                         cwd=REPO, env=env, capture_output=True, text=True, timeout=1200)
    return out.returncode, out.stdout + out.stderr


def recap(text, host):
    line = [x for x in text.splitlines() if x.startswith(host + " ") and "ok=" in x]
    assert line, text[-3000:]
    return dict(part.split("=") for part in line[-1].split()[2:])


def test_switched_off_desktop_is_skipped_and_reported(cluster):
    inv, tmp_path = cluster
    rc, text = play(inv, tmp_path)
    assert rc == 0, text[-4000:]
    assert recap(text, SERVER)["failed"] == "0"
    assert recap(text, DESKTOP)["unreachable"] == "1"
    flat = " ".join(text.split())
    assert f"Skipped, did not answer (desktops are best-effort; run again when they are on): {DESKTOP}" in flat
    # The server runs k3s and the desktop was never touched.
    active = subprocess.run(["podman", "exec", SERVER, "systemctl", "is-active", "k3s"], capture_output=True,
                            text=True)
    assert active.stdout.strip() == "active"
    assert (tmp_path / "kubeconfig.yaml").exists()

    # A run limited to the server does not ask the desktop at all, and changes nothing.
    rc, text = play(inv, tmp_path, "--limit", SERVER)
    assert rc == 0, text[-4000:]
    assert recap(text, SERVER)["changed"] == "0"
    assert not [x for x in text.splitlines() if x.startswith(DESKTOP + " ")], text[-3000:]
    assert "Skipped, did not answer" not in text
