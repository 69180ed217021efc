"""The connection users have: ssh as a non-root user who becomes root with sudo, under this repository's
ansible.cfg (pipelining, ControlPersist). The collection's own file transfers, copy_files (its action plugin puts
the files in the login user's temporary folder, the module moves them into place as root) and config_files, on a
real sshd in a systemd container of the test image: the files arrive root's with their modes and contents, a
re-run changes nothing, and without pipelining (the module itself transferred too) the same holds.
"""
import hashlib
import json
import os
import shutil
import subprocess
import sys

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(REPO, "tests", "fixtures"))
from ssh_login import ssh_key, ssh_login  # noqa: E402

IMAGE = "localhost/debian-systemd:bookworm"
NODE, NETWORK, USER = "vj-ssh-node", "vj-ssh-net", "deploy"

PLAYBOOK = """
- name: Put files in place over ssh with become
  hosts: all
  gather_facts: false
  become: true
  tasks:
    - name: Copy a binary and a script in one task
      versatile.jupyter.copy_files:
        files:
          - {src: "%(bin)s", dest: /opt/vj-ssh/bin/tool, mode: "0755"}
          - {src: "%(script)s", dest: /opt/vj-ssh/install.sh, mode: "0700", sha256: "%(script_sha)s"}
    - name: Write a configuration and a secret
      versatile.jupyter.config_files:
        files: [{path: /etc/vj-ssh/config.yaml, content: "key: value\\n"}]
        secret_files: [{path: /etc/vj-ssh/token, content: "not-shown-7c1e\\n"}]
        directory_mode: "0755"
"""


def podman(*argv, check=True):
    return subprocess.run(["podman", *argv], capture_output=True, text=True, check=check)


@pytest.fixture(scope="module")
def node(tmp_path_factory):
    if shutil.which("ansible-playbook") is None or shutil.which("podman") is None \
            or podman("image", "exists", IMAGE, check=False).returncode != 0:
        pytest.skip(f"ansible-playbook, podman or {IMAGE} missing (scripts/test setup builds the image)")
    work = tmp_path_factory.mktemp("ssh")
    podman("rm", "-f", "-t", "0", NODE, check=False)
    podman("network", "rm", "-f", NETWORK, check=False)
    podman("network", "create", NETWORK)
    podman("run", "-d", "--name", NODE, "--hostname", NODE, "--network", NETWORK, "--privileged",
           "-v", "/sys/fs/cgroup:/sys/fs/cgroup:rw", "--cgroupns=host", IMAGE, "/sbin/init")
    try:
        podman("exec", NODE, "systemctl", "is-system-running", "--wait", check=False)
        login = ssh_login(NODE, NETWORK, USER, ssh_key(str(work)))
        inventory = work / "inventory.json"
        inventory.write_text(json.dumps({"all": {"hosts": {NODE: dict(
            login, ansible_python_interpreter="/usr/bin/python3")}}}))
        binary = work / "tool"
        binary.write_bytes(os.urandom(256 * 1024))
        script = work / "install.sh"
        script.write_text("#!/bin/sh\necho installed\n")
        playbook = work / "files.yml"
        playbook.write_text(PLAYBOOK % {"bin": binary, "script": script,
                                        "script_sha": hashlib.sha256(script.read_bytes()).hexdigest()})
        yield {"inventory": str(inventory), "playbook": str(playbook), "binary": binary, "script": script}
    finally:
        podman("rm", "-f", "-t", "0", NODE, check=False)
        podman("network", "rm", "-f", NETWORK, check=False)


def play(node, pipelining):
    env = dict(os.environ, ANSIBLE_FORCE_COLOR="0", ANSIBLE_PIPELINING=str(pipelining), ANSIBLE_HOST_KEY_CHECKING="0")
    out = subprocess.run(["ansible-playbook", "-i", node["inventory"], node["playbook"], "--diff"],
                         cwd=REPO, env=env, capture_output=True, text=True)
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-2000:]
    assert "not-shown-7c1e" not in out.stdout + out.stderr
    recap = [line for line in out.stdout.splitlines() if line.startswith(NODE) and "ok=" in line]
    return int(recap[-1].split("changed=")[1].split()[0])


def state(path):
    """owner:group mode sha256 of a file on the node, as root sees it."""
    out = podman("exec", NODE, "sh", "-c", f"stat -c '%U:%G %a' {path} && sha256sum {path}").stdout.split()
    return out[0], out[1], out[2]


def test_files_arrive_root_s_then_nothing_changes(node):
    assert play(node, True) == 2
    assert state("/opt/vj-ssh/bin/tool") == ("root:root", "755",
                                             hashlib.sha256(node["binary"].read_bytes()).hexdigest())
    assert state("/opt/vj-ssh/install.sh") == ("root:root", "700",
                                               hashlib.sha256(node["script"].read_bytes()).hexdigest())
    assert state("/etc/vj-ssh/config.yaml")[:2] == ("root:root", "600")
    assert state("/etc/vj-ssh/token") == ("root:root", "600", hashlib.sha256(b"not-shown-7c1e\n").hexdigest())
    assert play(node, True) == 0
    # Nothing left behind in the login user's temporary folders.
    left = podman("exec", NODE, "sh", "-c", f"find ~{USER}/.ansible/tmp -mindepth 1 2>/dev/null | wc -l").stdout
    assert left.strip() == "0"


def test_without_pipelining_the_same(node):
    podman("exec", NODE, "rm", "-rf", "/opt/vj-ssh", "/etc/vj-ssh")
    assert play(node, False) == 2
    assert state("/opt/vj-ssh/bin/tool")[:2] == ("root:root", "755")
    assert state("/etc/vj-ssh/token")[:2] == ("root:root", "600")
    assert play(node, False) == 0
