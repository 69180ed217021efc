"""What the hub role asks of the real charts rendered by real helm: registry credentials and build nodes for
BinderHub's builder, and the Pod Security levels the charts' pods meet.

playbooks/render.yml (session fixture render_inventory, tests/conftest.py) on inventories/local and the lab
example: the binder hub's Secret `binder-build-docker-config` (mounted into the build pods, read by BinderHub for
its image checks) holds, for the registry URL of the values, the user `builder` and the password generated on the
controller in cluster_secrets_dir (0600 in a 0700 folder); the render's output at -vvv never shows it. The
builder's daemonset and build pods select the build-node label. The Pod Security levels of every rendered pod
come from the admission stand-in tests/standins/pod_security (no API server here) and are held against the
labels of the namespace the hub role creates for the hub (the render's namespace.yaml).
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
from pod_security import admits, pod_level, pod_specs  # noqa: E402 (the Pod Security admission stand-in)

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


def inventory_hubs_file(inventory):
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    with open(os.path.join(root, inventory, "group_vars", "all", "hubs.yml")) as handle:
        return yaml.safe_load(handle)


def inventory_hubs(inventory):
    return inventory_hubs_file(inventory)["hubs"]


PSA = "pod-security.kubernetes.io/"


@pytest.mark.parametrize("inventory", ALL_INVENTORIES)
def test_pod_security_levels_of_the_charts_pods(render_inventory, inventory):
    """The namespace the hub role creates before each release (the render's namespace.yaml, the very definition
    tasks/release.yml applies) enforces a level that admits every pod the real chart renders with the collection's
    values: restricted for a JupyterHub (baseline with NFS shared folders); privileged for a BinderHub, where only
    the builder's daemonsets need it. Audit and warn report against restricted."""
    rendered = render_inventory(inventory)
    for hub in inventory_hubs(inventory):
        folder = rendered / hub["name"]
        assert stat.S_IMODE(os.stat(folder / "namespace.yaml").st_mode) == 0o600
        with open(folder / "namespace.yaml") as handle:
            namespace = yaml.safe_load(handle)
        assert namespace["kind"] == "Namespace" and namespace["metadata"]["name"] == hub["name"]
        labels = namespace["metadata"]["labels"]
        enforce = labels[PSA + "enforce"]
        assert labels[PSA + "audit"] == labels[PSA + "warn"] == "restricted", labels
        assert labels[PSA + "enforce-version"] == labels[PSA + "audit-version"] == labels[PSA + "warn-version"]
        with open(folder / "manifests.yaml") as handle:
            specs = dict(pod_specs(yaml.safe_load_all(handle)))
        levels = {label: pod_level(spec) for label, spec in specs.items()}
        assert levels, hub["name"]
        refused = {label: levels[label] for label, spec in specs.items() if not admits(enforce, spec)}
        assert not refused, (hub["name"], enforce, refused)
        if hub["kind"] == "jupyterhub":
            # The user pods mount the NFS shared folders (hub_shared_volumes, the lab): restricted allows no nfs.
            shared = bool(inventory_hubs_file(inventory).get("hub_shared_volumes"))
            assert enforce == ("baseline" if shared else "restricted"), (hub["name"], enforce)
            assert set(levels.values()) == {"restricted"}, (hub["name"], levels)
        else:
            assert enforce == "privileged", (hub["name"], enforce)
            privileged = {label for label, level in levels.items() if level == "privileged"}
            # Exactly what BinderHub needs privileged for: its builder's daemonsets.
            assert privileged and privileged <= BUILDER_DAEMONSETS, (hub["name"], levels)

