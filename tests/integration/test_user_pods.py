"""The user pods the hubs would create, from the real pieces: every hub of inventories/local and of the examples
is rendered with the real chart (playbooks/render.yml, values unmodified), its hub ConfigMap and Secret are
loaded by the chart's own jupyterhub_config.py in the hub image's Python environment (tests/tools/hub-env.sh),
and the configured spawner (KubeSpawner 7, or the BinderHub chart's BinderSpawner) makes the PVC and pod for a
user and for every profile, the Kubernetes API left out (tests/tools/spawner_manifests.py). Each object is
validated strictly against the schemas of the inventory's Kubernetes (kubernetes-validate), then:

- image, home volume at /home/jovyan and its PVC's storage class and access mode, resource limits, node
  affinity as the inventory asks for them;
- the desktops' taint (as the k3s role sets it) is tolerated by exactly the profiles with `desktops: true`, and
  every pod that selects desktops tolerates it;
- Pod Security: the namespace the hub role creates (the render's namespace.yaml) admits every user pod, and
  every user pod meets restricted but for NFS shared folders;
- a persistent Binder: the server BinderHub launches for a built image mounts the home at /home/jovyan, starts
  in the repository folder outside it, and BinderHub's builds put the repository in that folder
  (repo2docker --target-repo-dir); a public Binder keeps repo2docker's defaults and has no home.
"""
import json
import os
import re
import subprocess
import sys

import pytest
import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
UPSTREAM = os.path.abspath(os.path.join(ROOT, "..", "shared", "upstream"))
DRIVER = os.path.join(ROOT, "tests", "tools", "spawner_manifests.py")
INVENTORIES = ["inventories/local", "inventories/examples/lab", "inventories/examples/openstack"]
HOME = "/home/jovyan"

from ansible_collections.versatile.jupyter.plugins.module_utils.binder_names import binder_image_name  # noqa: E402

sys.path.insert(0, os.path.join(ROOT, "tests", "standins", "pod_security"))
from pod_security import admits, restricted_problems  # noqa: E402 (the Pod Security admission stand-in)

kubernetes_validate = pytest.importorskip("kubernetes_validate")
pytestmark = [
    pytest.mark.skipif(os.geteuid() != 0, reason="the driver needs a private mount namespace (root)"),
    pytest.mark.skipif(not os.path.isdir(os.path.join(UPSTREAM, "charts")),
                       reason="../shared/upstream/charts is absent: no real chart to render"),
]


@pytest.fixture(scope="session")
def hub_python(hub_env):
    """Python of the hub image's environment (tests/tools/hub-env.sh, fixture hub_env in tests/conftest.py)."""
    return os.path.join(hub_env, "bin", "python")


def group_vars(inventory):
    """The inventory's group_vars/all, read as YAML (what the render got; Jinja left as text)."""
    merged = {}
    folder = os.path.join(ROOT, inventory, "group_vars", "all")
    for name in sorted(os.listdir(folder)):
        if name.endswith((".yml", ".yaml")):
            with open(os.path.join(folder, name)) as handle:
                merged.update(yaml.safe_load(handle) or {})
    return merged


def k3s_desktop_taint():
    with open(os.path.join(ROOT, "roles", "k3s", "defaults", "main.yml")) as handle:
        taints = yaml.safe_load(handle)["k3s_desktop_node_taints"]
    assert len(taints) == 1, taints
    key_value, effect = taints[0].rsplit(":", 1)
    key, value = key_value.split("=", 1)
    return {"key": key, "value": value, "effect": effect}


def tolerates(tolerations, taint):
    """Kubernetes' own matching rule for one taint."""
    for tol in tolerations or []:
        if tol.get("effect") and tol["effect"] != taint["effect"]:
            continue
        if tol.get("operator") == "Exists" and (not tol.get("key") or tol["key"] == taint["key"]):
            return True
        if tol.get("key") == taint["key"] and tol.get("operator", "Equal") == "Equal" \
                and tol.get("value") == taint["value"]:
            return True
    return False


def jupyterhub_bytes(text):
    """KubeSpawner's byte quantities (jupyterhub.traitlets.ByteSpecification: K, M, G, T are powers of 1024)."""
    match = re.fullmatch(r"([0-9.]+)([KMGT]?)", str(text))
    return int(float(match.group(1)) * 1024 ** " KMGT".index(match.group(2) or " "))


def kube_version(inventory):
    version = group_vars(inventory)["k3s_version"]
    return re.match(r"v?(\d+\.\d+\.\d+)", version).group(1)


def spawn(hub_python, manifests, *args):
    proc = subprocess.run([hub_python, DRIVER, str(manifests)] + list(args), capture_output=True, text=True,
                          timeout=300)
    assert proc.returncode == 0, proc.stderr[-4000:]
    return json.loads(proc.stdout)


def validate(obj, version):
    assert kubernetes_validate.validate(obj, version, strict=True)


def the_container(pod):
    (container,) = [c for c in pod["spec"]["containers"] if c["name"] == "notebook"]
    return container


def home_volume(pod, pvc):
    """The volume mounted at /home/jovyan, checked to be the PVC the spawner made."""
    container = the_container(pod)
    mounts = [m for m in container.get("volumeMounts") or [] if m["mountPath"] == HOME]
    assert len(mounts) == 1, container.get("volumeMounts")
    (volume,) = [v for v in pod["spec"]["volumes"] if v["name"] == mounts[0]["name"]]
    assert volume["persistentVolumeClaim"]["claimName"] == pvc["metadata"]["name"]
    return volume


def chart_defaults(kind):
    """The z2jh values the chart itself brings (the BinderHub chart's `jupyterhub:` over its z2jh subchart)."""
    with open(os.path.join(ROOT, "roles", "hub", "defaults", "main.yml")) as handle:
        version = yaml.safe_load(handle)["hub_charts"][kind]["version"]
    chart = os.path.join(UPSTREAM, "charts", "%s-%s" % (kind, version))
    if kind == "binderhub":
        with open(os.path.join(chart, "charts", "jupyterhub", "values.yaml")) as handle:
            z2jh = yaml.safe_load(handle)
        with open(os.path.join(chart, "values.yaml")) as handle:
            return merged(z2jh, yaml.safe_load(handle)["jupyterhub"])
    with open(os.path.join(chart, "values.yaml")) as handle:
        return yaml.safe_load(handle)


def merged(base, over):
    out = dict(base)
    for key, value in over.items():
        out[key] = merged(out[key], value) if isinstance(value, dict) and isinstance(out.get(key), dict) else value
    return out


def hub_z2jh(values, kind):
    """The hub's effective z2jh values: the chart's defaults under the rendered values."""
    return merged(chart_defaults(kind), values["jupyterhub"] if kind == "binderhub" else values)


def has_agents(inventory):
    """Whether the inventory's hosts.yml lists any host in k3s_agents (the role then requires user nodes)."""
    def find(node):
        if isinstance(node, dict):
            if isinstance(node.get("k3s_agents"), dict):
                return bool((node["k3s_agents"].get("hosts") or {}))
            return any(find(v) for v in node.values())
        return False
    with open(os.path.join(ROOT, inventory, "hosts.yml")) as handle:
        return find(yaml.safe_load(handle))


def cases():
    for inventory in INVENTORIES:
        for hub in group_vars(inventory)["hubs"]:
            yield pytest.param(inventory, hub["name"], id="%s:%s" % (inventory.split("/")[-1], hub["name"]))


@pytest.mark.parametrize("inventory,hub_name", list(cases()))
def test_user_pods_of_every_hub(render_inventory, hub_python, inventory, hub_name):
    settings = group_vars(inventory)
    hub = next(h for h in settings["hubs"] if h["name"] == hub_name)
    rendered = render_inventory(inventory) / hub_name
    with open(rendered / "values.yaml") as handle:
        values = yaml.safe_load(handle)
    version = kube_version(inventory)
    taint = k3s_desktop_taint()
    z2jh = hub_z2jh(values, hub["kind"])
    public = hub.get("public", False)

    if hub["kind"] == "binderhub":
        image = binder_image_name(values["config"]["BinderHub"]["image_prefix"],
                                  "https://github.com/lab/analysis", "0123456789abcdef0123456789abcdef01234567")
        out = spawn(hub_python, rendered / "manifests.yaml", "--binder-image", image,
                    "--repo-url", "https://github.com/lab/analysis")
        assert out["spawner_class"] == "BinderSpawner"
        expected = {None: {"image": image}}
    else:
        out = spawn(hub_python, rendered / "manifests.yaml")
        assert out["spawner_class"] == "KubeSpawner"
        default_image = "%s:%s" % (z2jh["singleuser"]["image"]["name"], z2jh["singleuser"]["image"]["tag"])
        profiles = hub.get("profiles") or []
        expected = {}
        for profile in profiles or [None]:
            override = dict((profile or {}).get("kubespawner_override") or {})
            override.setdefault("image", (profile or {}).get("image") or default_image)
            override["desktops"] = bool((profile or {}).get("desktops"))
            expected[profile["display_name"] if profile else None] = override
        assert sorted(s["display_name"] or "" for s in out["servers"]) == sorted(n or "" for n in expected)

    storage_class = settings.get("cluster_homes_storage_class", "local-path")
    with open(rendered / "namespace.yaml") as handle:
        enforce = yaml.safe_load(handle)["metadata"]["labels"]["pod-security.kubernetes.io/enforce"]
    for server in out["servers"]:
        want = expected[server["display_name"]]
        pod, pvc = server["pod"], server["pvc"]
        label = "%s %s profile %s" % (inventory, hub_name, server["display_name"])
        validate(pod, version)
        # Pod Security: the hub's namespace (as the hub role creates it) admits the pod; it meets restricted
        # but for the NFS shared folders (hub_shared_volumes), which restricted does not allow.
        assert admits(enforce, pod["spec"]), (label, enforce, restricted_problems(pod["spec"]))
        nfs = {v["name"] for v in pod["spec"].get("volumes") or [] if "nfs" in v}
        assert sorted(restricted_problems(pod["spec"])) == ["volume %s of type nfs" % n for n in sorted(nfs)], label
        container = the_container(pod)
        assert container["image"] == want["image"], label

        # Homes: a PVC on the inventory's class, mounted at /home/jovyan; none on a public Binder.
        if public:
            assert pvc is None, label
            assert not [m for m in container.get("volumeMounts") or [] if m["mountPath"] == HOME], label
        else:
            validate(pvc, version)
            home_volume(pod, pvc)
            assert pvc["spec"]["storageClassName"] == storage_class, label
            assert pvc["spec"]["accessModes"] == (["ReadWriteOnce"] if storage_class == "local-path"
                                                  else ["ReadWriteMany"]), label
            assert pvc["spec"]["resources"]["requests"]["storage"] == z2jh["singleuser"]["storage"]["capacity"]

        # Resource limits: the profile's, else the inventory's singleuser values.
        limits = container["resources"].get("limits") or {}
        mem_limit = want.get("mem_limit") or (z2jh["singleuser"].get("memory") or {}).get("limit")
        cpu_limit = want.get("cpu_limit") or (z2jh["singleuser"].get("cpu") or {}).get("limit")
        if mem_limit:
            assert int(limits["memory"]) == jupyterhub_bytes(mem_limit), label
        else:
            assert "memory" not in limits, label
        if cpu_limit:
            assert float(limits["cpu"]) == float(cpu_limit), label
        else:
            assert "cpu" not in limits, label

        # Scheduling: user nodes required when the inventory has agents (never on a server), else preferred;
        # the profile's node selector; desktops only for the profiles that say so, and every pod that selects
        # desktops can land there.
        user_nodes = {"matchExpressions": [
            {"key": "hub.jupyter.org/node-purpose", "operator": "In", "values": ["user"]}]}
        affinity = pod["spec"]["affinity"]["nodeAffinity"]
        if has_agents(inventory):
            required = affinity["requiredDuringSchedulingIgnoredDuringExecution"]["nodeSelectorTerms"]
            assert required == [user_nodes], label
        else:
            assert "requiredDuringSchedulingIgnoredDuringExecution" not in affinity, label
            assert {"weight": 100, "preference": user_nodes} in \
                affinity["preferredDuringSchedulingIgnoredDuringExecution"], label
        selector = pod["spec"].get("nodeSelector") or {}
        assert selector == (want.get("node_selector") or {}), label
        on_desktops = tolerates(pod["spec"].get("tolerations"), taint)
        assert on_desktops == bool(want.get("desktops")), label
        if selector.get(taint["key"]) == taint["value"]:
            assert on_desktops, "%s selects desktops but does not tolerate their taint" % label
        # A desktop profile keeps the chart's user-node tolerations.
        assert tolerates(pod["spec"]["tolerations"], {"key": "hub.jupyter.org/dedicated", "value": "user",
                                                      "effect": "NoSchedule"}), label

        if hub["kind"] == "binderhub":
            check_binder_server(binderhub_config(rendered / "manifests.yaml"), container, public, label)


def binderhub_config(manifests):
    """The `config` BinderHub's pod reads (Secret binder-secret, values.yaml: the chart's binderhub_config.py
    copies each section into the traitlets config, so KubernetesBuildExecutor.repo2docker_extra_args reaches
    the build command, binderhub/build.py get_r2d_cmd_options)."""
    with open(manifests) as handle:
        secret = next(d for d in yaml.safe_load_all(handle)
                      if d and d["kind"] == "Secret" and d["metadata"]["name"] == "binder-secret")
    return yaml.safe_load(secret["stringData"]["values.yaml"])["config"]


def check_binder_server(config, container, public, label):
    """binderhub#377: the home at /home/jovyan must not hide the repository repo2docker put in the image."""
    extra_args = (config.get("KubernetesBuildExecutor") or {}).get("repo2docker_extra_args") or []
    if public:
        assert not [a for a in extra_args if a.startswith("--target-repo-dir")], label
        assert "workingDir" not in container, label
        return
    target = [a.split("=", 1)[1] for a in extra_args if a.startswith("--target-repo-dir=")]
    assert len(target) == 1, extra_args
    repo_dir = target[0]
    assert container["workingDir"] == repo_dir, label
    assert not (repo_dir + "/").startswith(HOME + "/"), "%s: the repository folder %s is under the home" % (
        label, repo_dir)
    for mount in container.get("volumeMounts") or []:
        assert not (repo_dir + "/").startswith(mount["mountPath"].rstrip("/") + "/"), \
            "%s: volume %s at %s hides %s" % (label, mount["name"], mount["mountPath"], repo_dir)


def test_strict_validation_refuses_an_unknown_pod_field(render_inventory, hub_python):
    """The validation above is strict: a field Kubernetes does not know fails it."""
    rendered = render_inventory("inventories/local") / "jupyter"
    pod = spawn(hub_python, rendered / "manifests.yaml")["servers"][0]["pod"]
    pod["spec"]["containers"][0]["workDir"] = "/srv/repo"
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(pod, kube_version("inventories/local"), strict=True)
