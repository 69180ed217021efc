"""cluster_services' entry point `chart`, as the hub role calls it: one pinned chart unpacked on the server.

Runs the real role on localhost with the helm STAND-IN (tests/standins/helm) as the server's helm: online the
chart is pulled with kubernetes.core.helm_pull (the stand-in serves it from HELM_STANDIN_CHARTS), from the air-gap
folder it is unpacked after its checksum is verified (molecule `hubs` runs that path on containers). Each time the
result fact cluster_services_chart names the unpacked folder; a second run changes nothing and pulls nothing;
--check on a fresh server reports the pull, creates nothing and answers present: false.
"""
import json
import os
import subprocess
import sys

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
HELM_STANDIN = os.path.join(REPO, "tests", "standins", "helm", "helm")
BUILD_AIRGAP = os.path.join(REPO, "tests", "standins", "helm", "build_airgap.py")
PLAYBOOK = os.path.join(os.path.dirname(sys.executable), "ansible-playbook")

pytestmark = [
    pytest.mark.skipif(not os.access(PLAYBOOK, os.X_OK), reason="ansible-playbook not installed beside this Python"),
    pytest.mark.skipif(os.geteuid() != 0, reason="the role makes root-owned folders; run as root (as CI does)"),
]

PLAY = """
- name: One chart, as the hub role asks for it
  hosts: server
  gather_facts: false
  tasks:
    - name: Make the chart available
      ansible.builtin.include_role:
        name: versatile.jupyter.cluster_services
        tasks_from: chart
      vars:
        cluster_services_chart_name: demo
        cluster_services_chart_version: 1.2.3
        cluster_services_chart_repo: https://charts.example.org/
        cluster_services_helm_install_path: {helm}

    - name: Show the result
      ansible.builtin.debug:
        msg: "RESULT {{{{ cluster_services_chart | to_json }}}}"
"""


def make_chart(root):
    chart = os.path.join(root, "demo-1.2.3")
    os.makedirs(chart)
    with open(os.path.join(chart, "Chart.yaml"), "w") as handle:
        handle.write("apiVersion: v2\nname: demo\nversion: 1.2.3\n")
    with open(os.path.join(chart, "values.yaml"), "w") as handle:
        handle.write("size: 1\n")


def run(tmp_path, *args, airgap=""):
    inventory = {"all": {"hosts": {"server": {
        "ansible_connection": "local", "ansible_python_interpreter": sys.executable, "ansible_become": False,
        "cluster_api_endpoint": "127.0.0.1", "cluster_airgap_dir": airgap,
        "cluster_services_data_dir": str(tmp_path / "data")}}}}
    (tmp_path / "hosts.json").write_text(json.dumps(inventory))
    (tmp_path / "play.yml").write_text(PLAY.format(helm=HELM_STANDIN))
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=os.path.join(REPO, ".ansible", "collections"),
               ANSIBLE_NOCOLOR="1", ANSIBLE_FORCE_COLOR="0", ANSIBLE_LOCAL_TEMP=str(tmp_path / "ansible-tmp"),
               HELM_STANDIN_STATE=str(tmp_path / "helm-state"),
               HELM_STANDIN_CHARTS=str(tmp_path / "repository"), HELM_PLUGINS=str(tmp_path / "plugins"))
    proc = subprocess.run([PLAYBOOK, "-i", str(tmp_path / "hosts.json"), str(tmp_path / "play.yml")] + list(args),
                          capture_output=True, text=True, env=env, cwd=str(tmp_path), timeout=300, check=False)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out[-4000:]
    shown = [ln.split('"msg": ', 1)[1] for ln in out.splitlines() if '"msg": "RESULT ' in ln]
    result = json.loads(json.loads(shown[-1])[len("RESULT "):]) if shown else None
    recap = [ln for ln in out.splitlines() if ln.startswith("server ") and "ok=" in ln][-1]
    return result, recap, out


def pulls(tmp_path):
    with open(tmp_path / "helm-state" / "calls.log") as handle:
        return [json.loads(line)["argv"] for line in handle if json.loads(line)["argv"][:1] == ["pull"]]


def test_pulled_online_once(tmp_path):
    make_chart(str(tmp_path / "repository"))
    folder = str(tmp_path / "data" / "charts" / "demo-1.2.3" / "demo")

    result, recap, out = run(tmp_path, "--check")
    assert result == {"name": "demo", "version": "1.2.3", "path": folder, "present": False}, out[-3000:]
    assert "changed=" in recap and "changed=0" not in recap
    assert not os.path.exists(tmp_path / "data" / "charts"), "check mode created the chart folder"

    result, recap, out = run(tmp_path)
    assert result == {"name": "demo", "version": "1.2.3", "path": folder, "present": True}, out[-3000:]
    assert os.path.isfile(os.path.join(folder, "Chart.yaml"))
    assert oct(os.stat(os.path.dirname(folder)).st_mode & 0o777) == "0o700"
    assert len(pulls(tmp_path)) == 1
    assert pulls(tmp_path)[0][:2] == ["pull", "demo"] and "--untar" in pulls(tmp_path)[0]

    result, recap, out = run(tmp_path)
    assert "changed=0" in recap, recap
    assert result["present"] is True and len(pulls(tmp_path)) == 1


def test_unpacked_from_the_airgap_folder(tmp_path):
    airgap = str(tmp_path / "airgap")
    subprocess.run([sys.executable, BUILD_AIRGAP, "--out", airgap, "--helm-diff-version", "v3.9.14",
                    "--chart=demo=1.2.3"], check=True, capture_output=True)
    folder = str(tmp_path / "data" / "charts" / "demo-1.2.3" / "demo")
    result, recap, out = run(tmp_path, airgap=airgap)
    assert result == {"name": "demo", "version": "1.2.3", "path": folder, "present": True}, out[-3000:]
    assert os.path.isfile(os.path.join(folder, "Chart.yaml"))
    assert not os.path.exists(tmp_path / "helm-state" / "calls.log") or not pulls(tmp_path)
