"""The in-cluster registry refuses anonymous access: the role's htpasswd file, served by a real registry.

cluster_services' entry point `registry_auth` runs on localhost as it runs on the first server (Debian's Python
with python3-passlib and python3-bcrypt, the packages the role installs there), with the password generated on
the controller in cluster_secrets_dir. Debian's docker-registry (distribution, the registry of the chart's image)
then serves with that very file: anonymous reads and pushes get 401, the wrong password 401, the generated
credentials 200. The run shows no password at -vvv, a second run changes nothing, files are 0600 in 0700 folders.
"""
import base64
import json
import os
import shutil
import stat
import subprocess
import sys
import time
import urllib.error
import urllib.request

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(REPO, "tests", "fixtures", "repo2docker"))
from repo2docker_env import free_port  # noqa: E402

SERVER_PYTHON = "/usr/bin/python3"


def _server_python_ready():
    return subprocess.run([SERVER_PYTHON, "-c", "import passlib, bcrypt"], capture_output=True).returncode == 0


pytestmark = [
    pytest.mark.skipif(shutil.which("ansible-playbook") is None, reason="ansible-playbook not installed"),
    pytest.mark.skipif(shutil.which("docker-registry") is None, reason="Debian's docker-registry not installed"),
    pytest.mark.skipif(not _server_python_ready(), reason="python3-passlib / python3-bcrypt not installed"),
]

PLAYBOOK = """
- name: The registry's password file, as on the first server
  hosts: server
  gather_facts: false
  tasks:
    - name: Write it
      ansible.builtin.include_role:
        name: versatile.jupyter.cluster_services
        tasks_from: registry_auth
"""


def run_role(tmp_path):
    inv = {"all": {"hosts": {"server": {
        "ansible_connection": "local", "ansible_python_interpreter": SERVER_PYTHON,
        "cluster_api_endpoint": "127.0.0.1", "cluster_secrets_dir": str(tmp_path / "controller"),
        "cluster_services_data_dir": str(tmp_path / "server"),
        # The test runs as whoever runs the suite: the files' owner is the only difference from a server.
        "ansible_become": False}}}}
    (tmp_path / "hosts.json").write_text(json.dumps(inv))
    (tmp_path / "play.yml").write_text(PLAYBOOK)
    env = dict(os.environ, ANSIBLE_FORCE_COLOR="0", NO_COLOR="1")
    out = subprocess.run(["ansible-playbook", "-vvv", "-i", str(tmp_path / "hosts.json"), str(tmp_path / "play.yml")],
                         cwd=REPO, env=env, capture_output=True, text=True, timeout=300)
    text = out.stdout + out.stderr
    assert out.returncode == 0, text[-3000:]
    return text


def changed_count(text):
    recap = text[text.rindex("PLAY RECAP"):]
    return int(recap.split("changed=")[1].split()[0])


def status(url, user=None, password=None, method="GET"):
    request = urllib.request.Request(url, method=method, data=b"" if method == "POST" else None)
    if user is not None:
        token = base64.b64encode(("%s:%s" % (user, password)).encode()).decode()
        request.add_header("Authorization", "Basic " + token)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


@pytest.fixture
def registry_with(tmp_path):
    procs = []

    def start(htpasswd):
        host = "127.0.0.1:%d" % free_port()
        config = tmp_path / "registry.json"
        config.write_text(json.dumps({
            "version": 0.1, "log": {"level": "warn", "accesslog": {"disabled": True}},
            "storage": {"filesystem": {"rootdirectory": str(tmp_path / "storage")}},
            "http": {"addr": host, "secret": base64.b64encode(os.urandom(24)).decode()},
            "auth": {"htpasswd": {"realm": "cluster registry", "path": str(htpasswd)}}}))
        procs.append(subprocess.Popen(["docker-registry", "serve", str(config)], stdout=subprocess.DEVNULL,
                                      stderr=subprocess.DEVNULL, start_new_session=True))
        for _ in range(100):
            try:
                status("http://%s/v2/" % host)
                return "http://" + host
            except (urllib.error.URLError, ConnectionError):
                time.sleep(0.1)
        raise RuntimeError("docker-registry did not start")

    yield start
    for proc in procs:
        proc.terminate()
        proc.wait(timeout=10)


def test_registry_requires_the_generated_credentials(tmp_path, registry_with):
    text = run_role(tmp_path)
    password_file = tmp_path / "controller" / "registry-password"
    password = password_file.read_text().split()[0]
    htpasswd = tmp_path / "server" / "registry" / "htpasswd"

    assert len(password) >= 32
    assert password not in text
    assert stat.S_IMODE(password_file.stat().st_mode) == 0o600
    assert stat.S_IMODE(password_file.parent.stat().st_mode) == 0o700
    assert stat.S_IMODE(htpasswd.stat().st_mode) == 0o600
    assert stat.S_IMODE(htpasswd.parent.stat().st_mode) == 0o700
    entry = htpasswd.read_text()
    assert entry.startswith("builder:$2") and password not in entry
    assert entry.strip() not in text

    url = registry_with(htpasswd)
    assert status(url + "/v2/") == 401
    assert status(url + "/v2/binder/x/blobs/uploads/", method="POST") == 401
    assert status(url + "/v2/", "builder", password + "x") == 401
    assert status(url + "/v2/", "builder", password) == 200
    assert status(url + "/v2/binder/x/blobs/uploads/", "builder", password, method="POST") == 202

    # A second run keeps the entry (same password): nothing changes, the registry's secret stays the same.
    assert changed_count(run_role(tmp_path)) == 0
    assert htpasswd.read_text() == entry
