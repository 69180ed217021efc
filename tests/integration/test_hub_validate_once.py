"""Role hub used alone (without playbooks/check.yml before it): its hub.config check runs on the controller as
ONE task for every hub (JupyterHub and the authenticators imported once a run, not once a hub), and still names
the hub and the misspelt trait; with check.yml's pass recorded it is skipped. Real ansible-playbook, real
jupyterhub/oauthenticator packages of the controller; no host is contacted (validate.yml only)."""
import json
import os
import subprocess

import pytest
import yaml

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TASK = "Check every hub's hub.config names on the controller at once (where jupyterhub and the authenticators are)"


def hub(name, **config):
    entry = {"name": name, "kind": "jupyterhub", "host": "%s.hub.example.org" % name,
             "auth": {"type": "native", "admin_users": ["alice"]}}
    if config:
        entry["values"] = {"hub": {"config": config}}
    return entry


def run(tmp_path, hubs, passed=False):
    playbook = tmp_path / "validate.yml"
    playbook.write_text(yaml.safe_dump([{
        "name": "Validate the hubs with the role alone", "hosts": "localhost", "gather_facts": False,
        "tasks": ([{"name": "Pretend playbooks/check.yml ran", "ansible.builtin.set_fact":
                    {"inventory_check_passed": True}}] if passed else [])
        + [{"name": "Validate", "ansible.builtin.include_role": {"name": "versatile.jupyter.hub",
                                                                   "tasks_from": "validate.yml"}}]}]))
    variables = tmp_path / "vars.yml"
    variables.write_text(yaml.safe_dump({"hubs": hubs, "cluster_tls": "none", "cluster_api_endpoint": "127.0.0.1"}))
    env = dict(os.environ, ANSIBLE_STDOUT_CALLBACK="ansible.posix.json", ANSIBLE_CALLBACKS_ENABLED="ansible.posix.json",
               ANSIBLE_COLLECTIONS_PATH=os.path.join(REPO, ".ansible", "collections"), ANSIBLE_NOCOLOR="1",
               ANSIBLE_CACHE_PLUGIN_CONNECTION=str(tmp_path / "facts"))
    proc = subprocess.run(["ansible-playbook", "-i", "localhost,", "-c", "local", str(playbook), "-e",
                           "@%s" % variables], cwd=REPO, env=env, capture_output=True, text=True, timeout=300)
    report = json.loads(proc.stdout[proc.stdout.index("{"):])
    tasks = [t for p in report["plays"] for t in p["tasks"] if t["task"]["name"].endswith(TASK)]
    assert len(tasks) == 1, [t["task"]["name"] for p in report["plays"] for t in p["tasks"]]
    return proc, tasks[0]["hosts"]["localhost"]


def test_one_check_for_every_hub_names_the_misspelt_trait(tmp_path):
    hubs = [hub("physics"), hub("chemistry"), hub("biology", NativeAuthenticator={"open_signup": False,
                                                                                   "open_sign_up": True})]
    proc, result = run(tmp_path, hubs)
    assert proc.returncode != 0
    assert "results" not in result  # one action for all hubs, not a loop over them
    message = "\n".join(result["msg"]) if isinstance(result["msg"], list) else result["msg"]
    assert "hubs[2] (biology): hub.config.NativeAuthenticator.open_sign_up" in message, message
    assert "physics" not in message and "chemistry" not in message


def test_good_hubs_pass_in_one_check_and_check_yml_pass_skips_it(tmp_path):
    hubs = [hub("physics"), hub("chemistry", NativeAuthenticator={"open_signup": False})]
    proc, result = run(tmp_path, hubs)
    assert proc.returncode == 0, proc.stdout[-3000:]
    assert "results" not in result and not result.get("skipped") and result.get("problems") == []
    proc, result = run(tmp_path, hubs, passed=True)
    assert proc.returncode == 0 and result.get("skipped") is True


@pytest.fixture(autouse=True)
def _needs_jupyterhub():
    pytest.importorskip("jupyterhub")
    pytest.importorskip("nativeauthenticator")
