"""playbooks/upgrade.yml refuses downgrades, skipped minor versions and nodes without k3s before any node changes.

Real ansible-playbook runs of playbooks/upgrade.yml. The nodes are local connections (three inventory hosts on
this machine) whose k3s is the k3s STAND-IN binary (tests/standins/k3s, built for the installed version by
build_airgap.py) in a temporary folder (-e k3s_bin_dir): only `k3s --version` is asked of it. The air-gap
folder of the target version is built the same way. Each refusal must name every node, both versions and
k3s_version, and come before the first upgrade task. The per-node rules are unit-tested in
tests/unit/test_upgrades.py.
"""
import json
import os
import platform
import shutil
import subprocess
import sys

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BUILD = os.path.join(REPO, "tests", "standins", "k3s", "build_airgap.py")

pytestmark = pytest.mark.skipif(shutil.which("ansible-playbook") is None, reason="ansible-playbook not installed")

NODES = {"k3s_servers": ["s1"], "k3s_agents": ["a1"], "desktops": ["d1"]}


def build(tmp_path, version):
    out = tmp_path / version
    subprocess.run([sys.executable, BUILD, "--version", version, "--out", str(out)], check=True, capture_output=True)
    return out


def run(tmp_path, installed, target, *extra, playbook="upgrade.yml"):
    """`playbook` from `installed` (None: no k3s on the nodes) to `target`; returns (rc, whole output)."""
    bin_dir = build(tmp_path, installed) if installed else tmp_path / "no-k3s"
    local = {"ansible_connection": "local", "ansible_python_interpreter": sys.executable}
    children = {group: {"hosts": {name: local for name in names}} for group, names in NODES.items()}
    inventory = tmp_path / "hosts.json"
    inventory.write_text(json.dumps({"all": {
        "vars": {"cluster_api_endpoint": "s1.example.org", "k3s_version": target, "k3s_install_method": "online"},
        "children": {"k3s_cluster": {"children": children}}}}))
    env = dict(os.environ, ANSIBLE_FORCE_COLOR="0", NO_COLOR="1", ANSIBLE_NOCOLOR="1")
    out = subprocess.run(["ansible-playbook", "-i", str(inventory), os.path.join(REPO, "playbooks", playbook),
                          "-e", "k3s_bin_dir=" + str(bin_dir), *extra],
                         cwd=REPO, env=env, capture_output=True, text=True, timeout=300)
    return out.returncode, " ".join((out.stdout + out.stderr).split())


def refused(tmp_path, installed, target):
    rc, text = run(tmp_path, installed, target)
    assert rc != 0, text[-3000:]
    assert "Refuse downgrades, skipped minor versions and nodes without k3s" in text, text[-3000:]
    assert "Nothing was changed." in text, text[-3000:]
    # No node reached its upgrade.
    assert "Upgrade a k3s server" not in text and "Upgrade a k3s agent" not in text, text[-3000:]
    return text


def test_downgrade_refused(tmp_path):
    text = refused(tmp_path, "v1.32.1+k3s1", "v1.31.4+k3s1")
    for node in ("a1", "d1", "s1"):
        assert ("%s runs k3s v1.32.1+k3s1, newer than k3s_version v1.31.4+k3s1: k3s cannot be downgraded"
                % node) in text, text[-3000:]


def test_skipped_minor_version_refused(tmp_path):
    text = refused(tmp_path, "v1.30.6+k3s1", "v1.32.1+k3s1")
    assert ("s1 runs k3s v1.30.6+k3s1 and k3s_version is v1.32.1+k3s1, which skips minor version(s)"
            in text), text[-3000:]
    assert "set k3s_version to a v1.31 release first" in text, text[-3000:]


def test_nodes_without_k3s_refused(tmp_path):
    text = refused(tmp_path, None, "v1.31.4+k3s1")
    assert "d1 runs no k3s" in text and "install the node with playbooks/k3s.yml" in text, text[-3000:]


def test_next_minor_version_passes_the_checks(tmp_path):
    """Only the always-tagged checks run (the upgrade plays would need root and real nodes)."""
    rc, text = run(tmp_path, "v1.31.4+k3s1", "v1.32.1+k3s1", "--tags", "always")
    assert rc == 0, text[-3000:]
    assert "Refuse downgrades, skipped minor versions and nodes without k3s" in text
    assert "failed=0" in text and "Nothing was changed." not in text


def test_k3s_playbook_refuses_a_downgrade_too(tmp_path):
    """A new k3s_version given to playbooks/k3s.yml moves installed nodes as well: the same refusal, before any
    node is installed."""
    rc, text = run(tmp_path, "v1.32.1+k3s1", "v1.31.4+k3s1", playbook="k3s.yml")
    assert rc != 0, text[-3000:]
    assert "Refuse downgrades and skipped minor versions on the nodes that run k3s" in text, text[-3000:]
    assert "Nothing was changed." in text, text[-3000:]
    assert "s1 runs k3s v1.32.1+k3s1, newer than k3s_version v1.31.4+k3s1" in text, text[-3000:]
    assert "Install a k3s server" not in text and "Install a k3s agent" not in text, text[-3000:]


def test_k3s_playbook_refuses_an_airgap_folder_without_the_nodes_architecture(tmp_path):
    """The nodes (this machine) need k3s installed; the air-gap folder holds a complete, verified release for
    another architecture only. The run stops in preflight, naming the nodes and their architecture, not on the
    first node to install once the servers were changed."""
    arch = {"x86_64": "amd64", "aarch64": "arm64"}[platform.machine()]
    other = "arm64" if arch == "amd64" else "amd64"
    folder = tmp_path / other
    subprocess.run([sys.executable, BUILD, "--version", "v1.31.4+k3s1", "--arch", other, "--out", str(folder)],
                   check=True, capture_output=True)
    rc, text = run(tmp_path, None, "v1.31.4+k3s1", "-e", "k3s_install_method=airgap", "-e",
                   "k3s_airgap_dir=" + str(folder), playbook="k3s.yml")
    assert rc != 0, text[-3000:]
    assert ("Nothing was changed. The air-gap folder %s holds no verified release for the architecture of a1, d1, s1 "
            "(%s)" % (folder, arch)) in text, text[-3000:]
    assert "Install a k3s server" not in text and "Install a k3s agent" not in text, text[-3000:]
