"""playbooks/backup.yml and restore.yml refuse bad settings before any host is contacted.

Real ansible-playbook runs against an inventory whose hosts are unreachable (TEST-NET addresses): each
refusal names the variable and what was expected, contacts no host and never shows a secret.
"""
import json
import os
import shutil
import subprocess

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PASSWORD = "a-Good-Repository-Password"
SECRET = "s3-Secret-Key-Never-Shown"

pytestmark = pytest.mark.skipif(shutil.which("ansible-playbook") is None, reason="ansible-playbook not installed")


def inventory(tmp_path, **variables):
    host = {"ansible_host": "192.0.2.1", "ansible_connection": "ssh", "ansible_ssh_timeout": 2}
    data = {"all": {"vars": {"backup_restic_password": PASSWORD, **variables},
                    "children": {"k3s_cluster": {"children": {"k3s_servers": {"hosts": {"s1": host}}}},
                                 "backup_servers": {"hosts": {"store": dict(host, ansible_host="192.0.2.9")}}}}}
    path = tmp_path / "hosts.json"
    path.write_text(json.dumps(data))
    return path


def refused(inv, message, playbook="backup.yml", *extra):
    env = dict(os.environ, ANSIBLE_GATHERING="explicit", ANSIBLE_FORCE_COLOR="0", NO_COLOR="1")
    out = subprocess.run(["ansible-playbook", "-i", str(inv), os.path.join(REPO, "playbooks", playbook), *extra],
                         cwd=REPO, env=env, capture_output=True, text=True, timeout=300)
    text = " ".join((out.stdout + out.stderr).split())
    assert out.returncode != 0, text[-2000:]
    assert message in text, text[-3000:]
    assert "UNREACHABLE" not in text, "a host was contacted before the settings were checked"
    assert PASSWORD not in text and SECRET not in text
    return text


def test_password_required(tmp_path):
    refused(inventory(tmp_path, backup_restic_password=""), "backup_restic_password is empty")


def test_s3_needs_a_bucket_and_keys(tmp_path):
    refused(inventory(tmp_path, backup_repository_type="s3", backup_s3_endpoint="https://s3.example.org",
                      backup_s3_secret_key=SECRET), "backup_s3_bucket is empty.")


def test_sftp_path_must_be_absolute(tmp_path):
    refused(inventory(tmp_path, backup_sftp_path="restic"), "backup_sftp_path must be an absolute folder")


def test_restore_needs_one_selection(tmp_path):
    inv = inventory(tmp_path)
    refused(inv, "Nothing to restore", "restore.yml")
    refused(inv, "Choose one restore", "restore.yml", "-e", "backup_restore_all=true", "-e",
            "backup_restore_user=alice")
    refused(inv, "Choose one restore", "restore.yml", "-e", "backup_restore_hub=Physics_Lab")
