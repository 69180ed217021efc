"""What the hub role asks of the real charts rendered by real helm: registry credentials and build nodes for
BinderHub's builder, and the Pod Security levels the charts' pods meet.

playbooks/render.yml (session fixture render_inventory, tests/conftest.py) on inventories/local and the lab
example: the binder hub's Secret `binder-build-docker-config` (mounted into the build pods, read by BinderHub for
its image checks) holds, for the registry URL of the values, the user `builder` and the password generated on the
controller in cluster_secrets_dir (0600 in a 0700 folder); the render's output at -vvv never shows it. The
builder's daemonset and build pods select the build-node label. The Pod Security levels of every rendered pod
come from the admission stand-in tests/standins/pod_security (no API server here).
"""
import base64
import json
import os
import stat
import sys

import pytest
import yaml

STANDIN = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "standins", "pod_security")
sys.path.insert(0, STANDIN)
from pod_security import pod_level, pod_specs  # noqa: E402 (the Pod Security admission stand-in)

HOME_SECRETS = os.path.join(os.path.expanduser("~"), ".config", "versatile-jupyter")

# inventory -> (binder hub name, cluster_secrets_dir of the inventory)
CASES = {
    "inventories/local": ("binder", os.path.join(HOME_SECRETS, "local")),
    "inventories/examples/lab": ("binder", os.path.join(HOME_SECRETS, "k3s.lab.example.org")),
}


@pytest.mark.parametrize("inventory", sorted(CASES))
def test_builder_pushes_with_the_generated_credentials(render_inventory, inventory):
    hub, secrets_dir = CASES[inventory]
    rendered = render_inventory(inventory)
    password_file = os.path.join(secrets_dir, "registry-password")
    password = open(password_file).read().split()[0]
    assert stat.S_IMODE(os.stat(password_file).st_mode) == 0o600
    assert stat.S_IMODE(os.stat(secrets_dir).st_mode) == 0o700

    with open(rendered / hub / "values.yaml") as handle:
        values = yaml.safe_load(handle)
    url = values["registry"]["url"]
    assert url.startswith("http://") and url == values["config"]["DockerRegistry"]["url"]
    with open(rendered / hub / "manifests.yaml") as handle:
        secrets = {o["metadata"]["name"]: o for o in yaml.safe_load_all(handle) if o and o["kind"] == "Secret"}
    config = json.loads(base64.b64decode(secrets["binder-build-docker-config"]["data"]["config.json"]))
    auth = base64.b64decode(config["auths"][url]["auth"]).decode()
    assert auth == "builder:" + password

    assert password not in render_inventory.outputs[rendered]


@pytest.mark.parametrize("inventory", sorted(CASES))
def test_builder_runs_only_on_build_nodes(render_inventory, inventory):
    """The privileged builder daemonset and the build pods BinderHub starts select the build label (the k3s
    role puts it on agents, or on the servers of a cluster without agents: molecule/k3s checks the nodes)."""
    hub, _ = CASES[inventory]
    rendered = render_inventory(inventory)
    with open(rendered / hub / "manifests.yaml") as handle:
        docs = [o for o in yaml.safe_load_all(handle) if o]
    builders = [o for o in docs if o["kind"] == "DaemonSet" and any(
        (c.get("securityContext") or {}).get("privileged") for c in o["spec"]["template"]["spec"]["containers"])]
    assert builders, "no privileged builder daemonset rendered"
    for daemonset in builders:
        assert daemonset["spec"]["template"]["spec"]["nodeSelector"] == {"versatile.jupyter/builds": "true"}
    secret = next(o for o in docs if o["kind"] == "Secret" and o["metadata"]["name"] == "binder-secret")
    config = yaml.safe_load(secret["stringData"]["values.yaml"])["config"]
    assert config["BinderHub"]["build_node_selector"] == {"versatile.jupyter/builds": "true"}



ALL_INVENTORIES = ["inventories/local", "inventories/examples/lab", "inventories/examples/openstack"]
# BinderHub's builder daemonsets: privileged, host paths (the image cleaner shares the builder's host folders).
BUILDER_DAEMONSETS = {"DaemonSet/binder-pink", "DaemonSet/binder-dind", "DaemonSet/binder-image-cleaner"}


def inventory_hubs(inventory):
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    with open(os.path.join(root, inventory, "group_vars", "all", "hubs.yml")) as handle:
        return yaml.safe_load(handle)["hubs"]


@pytest.mark.parametrize("inventory", ALL_INVENTORIES)
def test_pod_security_levels_of_the_charts_pods(render_inventory, inventory):
    """The Pod Security levels the hubs' namespaces could enforce (the enforcement itself is not done yet): every
    pod the real charts render for a JupyterHub meets restricted; in a BinderHub's namespace only the builder's
    daemonsets need privileged, everything else meets baseline."""
    rendered = render_inventory(inventory)
    for hub in inventory_hubs(inventory):
        with open(rendered / hub["name"] / "manifests.yaml") as handle:
            levels = {label: pod_level(spec) for label, spec in pod_specs(yaml.safe_load_all(handle))}
        assert levels, hub["name"]
        if hub["kind"] == "jupyterhub":
            assert set(levels.values()) == {"restricted"}, (hub["name"], levels)
        else:
            privileged = {label for label, level in levels.items() if level == "privileged"}
            assert privileged and privileged <= BUILDER_DAEMONSETS, (hub["name"], levels)
