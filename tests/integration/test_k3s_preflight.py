"""The k3s playbooks refuse bad inventories in their preflight play, before any host is contacted.

Real ansible-playbook runs of playbooks/k3s.yml, reset.yml and remove_node.yml against inventories whose
hosts are unreachable (TEST-NET addresses): a refusal must name the problem and come without any attempt to
connect. The air-gap cases use folders built from the k3s stand-in (tests/standins/k3s).
"""
import json
import os
import shutil
import subprocess
import sys

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BUILD = os.path.join(REPO, "tests", "standins", "k3s", "build_airgap.py")

pytestmark = pytest.mark.skipif(shutil.which("ansible-playbook") is None, reason="ansible-playbook not installed")


def inventory(tmp_path, servers=("s1",), agents=("a1",), desktops=(), **variables):
    hosts = {}
    for i, name in enumerate([*servers, *agents, *desktops]):
        hosts[name] = {"ansible_host": f"192.0.2.{i + 1}", "ansible_connection": "ssh", "ansible_ssh_timeout": 2}
    group = lambda names: {"hosts": {n: hosts[n] for n in names}}  # noqa: E731
    data = {"all": {"vars": {"cluster_api_endpoint": "k3s.example.org", **variables},
                    "children": {"k3s_cluster": {"children": {
                        "k3s_servers": group(servers), "k3s_agents": group(agents), "desktops": group(desktops)}}}}}
    path = tmp_path / "hosts.json"
    path.write_text(json.dumps(data))
    return path


def airgap(tmp_path, version="v1.31.4+k3s1"):
    out = tmp_path / "airgap"
    subprocess.run([sys.executable, BUILD, "--version", version, "--out", str(out)], check=True,
                   capture_output=True)
    return out


def play(inv, playbook="k3s.yml", *extra):
    env = dict(os.environ, ANSIBLE_GATHERING="explicit", ANSIBLE_FORCE_COLOR="0", NO_COLOR="1",
               ANSIBLE_HOST_KEY_CHECKING="0")
    out = subprocess.run(["ansible-playbook", "-i", str(inv), os.path.join(REPO, "playbooks", playbook), *extra],
                         cwd=REPO, env=env, capture_output=True, text=True, timeout=300)
    text = " ".join((out.stdout + out.stderr).split())
    return out.returncode, text


def refused(inv, message, playbook="k3s.yml", *extra):
    rc, text = play(inv, playbook, *extra)
    assert rc != 0, text[-2000:]
    assert message in text, text[-3000:]
    assert "UNREACHABLE" not in text, "a host was contacted before the inventory was checked"
    return text


def test_even_server_count(tmp_path):
    ag = airgap(tmp_path)
    refused(inventory(tmp_path, servers=("s1", "s2"), k3s_airgap_dir=str(ag)), "must hold an odd number of servers")


def test_missing_api_endpoint(tmp_path):
    inv = inventory(tmp_path, k3s_airgap_dir=str(airgap(tmp_path)))
    data = json.loads(inv.read_text())
    del data["all"]["vars"]["cluster_api_endpoint"]
    inv.write_text(json.dumps(data))
    refused(inv, "cluster_api_endpoint")


def test_bad_version(tmp_path):
    refused(inventory(tmp_path, k3s_version="1.31", k3s_install_method="online"), "k3s_version")


def test_bad_method(tmp_path):
    refused(inventory(tmp_path, k3s_install_method="curl"), "k3s_install_method")


def test_duplicate_node_names(tmp_path):
    inv = inventory(tmp_path, agents=("a1", "a2"), k3s_airgap_dir=str(airgap(tmp_path)))
    data = json.loads(inv.read_text())
    for name in ("a1", "a2"):
        data["all"]["children"]["k3s_cluster"]["children"]["k3s_agents"]["hosts"][name]["k3s_node_name"] = "pc"
    inv.write_text(json.dumps(data))
    refused(inv, "Node name pc is used by both")


def test_host_in_two_groups(tmp_path):
    inv = inventory(tmp_path, servers=("s1",), agents=("s1",), k3s_airgap_dir=str(airgap(tmp_path)))
    refused(inv, "more than one of the groups")


def test_missing_airgap_folder(tmp_path):
    refused(inventory(tmp_path, k3s_airgap_dir=str(tmp_path / "nowhere")), "must be a folder holding a k3s release")


def test_tampered_binary(tmp_path):
    ag = airgap(tmp_path)
    with open(ag / "k3s", "a", encoding="utf-8") as f:
        f.write("# changed\n")
    refused(inventory(tmp_path, k3s_airgap_dir=str(ag)), "Missing or not matching: k3s")


def test_install_script_checksum(tmp_path):
    ag = airgap(tmp_path)
    refused(inventory(tmp_path, k3s_airgap_dir=str(ag), k3s_install_script_sha256="0" * 64), "install.sh is not")


def test_reset_needs_confirmation(tmp_path):
    refused(inventory(tmp_path), "k3s_reset_confirm=true", "reset.yml")


def test_remove_unknown_node(tmp_path):
    refused(inventory(tmp_path), "unknown: ghost", "remove_node.yml", "-e", '{"k3s_remove_nodes": ["ghost"]}')


def test_valid_inventory_passes_preflight(tmp_path):
    """A good inventory passes the checks (only the always-tagged preflight runs; no host is contacted)."""
    inv = inventory(tmp_path, servers=("s1", "s2", "s3"), agents=("a1",), desktops=("d1",),
                    k3s_airgap_dir=str(airgap(tmp_path)))
    rc, text = play(inv, "k3s.yml", "--tags", "always")
    assert rc == 0, text[-3000:]
    assert "UNREACHABLE" not in text
