#!/usr/bin/env python3
"""The user pods a rendered hub would create, as JSON: run in the hub image's Python environment
(tests/tools/hub-env.sh), as root.

    python spawner_manifests.py MANIFESTS_YAML [--user NAME] [--binder-image IMAGE --repo-url URL]

It takes the hub ConfigMap and Secret out of the rendered manifests (playbooks/render.yml), lays them out where
the hub Deployment mounts them (/usr/local/etc/jupyterhub/, config/, secret/) inside a private mount namespace
(unshare -m: nothing on the machine changes), sets the environment the Deployment and Kubernetes give the hub
container, and loads the chart's own jupyterhub_config.py as JupyterHub does. Then the configured spawner
class (KubeSpawner, or the BinderHub chart's BinderSpawner) starts a server for the user, once per profile of
the profile list (once without one), with the Kubernetes API left out: the spawner's start stops where it
would send the PVC and the pod to the API, and both manifests are printed instead. With --binder-image the
server is started as BinderHub's launcher starts it (user_options image, repo_url, token, binder_* keys).

Output: {"spawner_class": ..., "servers": [{"profile": slug or null, "display_name": ..., "pod": {...},
"pvc": {...} or null}]}.
"""
import argparse
import asyncio
import base64
import json
import os
import shutil
import subprocess
import sys
import tempfile

ETC = "/usr/local/etc"
CONFIG_DIR = ETC + "/jupyterhub"


def objects(path):
    import yaml
    with open(path) as handle:
        return [doc for doc in yaml.safe_load_all(handle) if doc]


def find(docs, kind, name):
    for doc in docs:
        if doc["kind"] == kind and doc["metadata"]["name"] == name:
            return doc
    raise SystemExit("spawner_manifests: no %s %r in the rendered manifests" % (kind, name))


def hub_container(docs):
    deployment = find(docs, "Deployment", "hub")
    return next(c for c in deployment["spec"]["template"]["spec"]["containers"] if c["name"] == "hub")


def layout(docs, root):
    """The ConfigMap and Secret files as the hub Deployment mounts them, under ``root`` (becomes ETC)."""
    configmap = find(docs, "ConfigMap", "hub")
    secret = find(docs, "Secret", "hub")
    hub_dir = os.path.join(root, "jupyterhub")
    for sub in ("config", "secret"):
        os.makedirs(os.path.join(hub_dir, sub), mode=0o700)
    for key, text in configmap["data"].items():
        for folder in (hub_dir, os.path.join(hub_dir, "config")):
            with open(os.path.join(folder, key), "w") as handle:
                handle.write(text)
    secret_values = {}
    for key, b64 in (secret.get("data") or {}).items():
        data = base64.b64decode(b64)
        secret_values[key] = data.decode()
        with open(os.path.join(hub_dir, "secret", key), "wb") as handle:
            handle.write(data)
    return secret_values


def environment(docs, secret_values, namespace):
    """What Kubernetes gives the hub container: its env entries and the namespace's service variables."""
    env = {}
    for service in (d for d in docs if d["kind"] == "Service"):
        prefix = service["metadata"]["name"].upper().replace("-", "_")
        ports = service["spec"].get("ports") or []
        env[prefix + "_SERVICE_HOST"] = "10.43.0.%d" % (len(env) + 10)
        if ports:
            env[prefix + "_SERVICE_PORT"] = str(ports[0]["port"])
            for port in ports:
                if port.get("name"):
                    env["%s_SERVICE_PORT_%s" % (prefix, port["name"].upper().replace("-", "_"))] = str(port["port"])
    for item in hub_container(docs).get("env") or []:
        if "value" in item:
            env[item["name"]] = str(item["value"])
        elif "secretKeyRef" in item.get("valueFrom", {}):
            ref = item["valueFrom"]["secretKeyRef"]
            if ref["name"] != "hub":
                raise SystemExit("spawner_manifests: env %s reads Secret %s, not the hub's" % (item["name"], ref["name"]))
            env[item["name"]] = secret_values[ref["key"]]
        elif item.get("valueFrom", {}).get("fieldRef", {}).get("fieldPath") == "metadata.namespace":
            env[item["name"]] = namespace
    return env


def kubeconfig(path):
    """A kubeconfig for an API nobody answers (the spawner needs one to exist; it is never called here)."""
    with open(path, "w") as handle:
        json.dump({"apiVersion": "v1", "kind": "Config", "current-context": "none",
                   "clusters": [{"name": "none", "cluster": {"server": "https://127.0.0.1:9"}}],
                   "users": [{"name": "none", "user": {"token": "none"}}],
                   "contexts": [{"name": "none", "context": {"cluster": "none", "user": "none"}}]}, handle)


class APILeftOut(Exception):
    """Raised where the spawner would first talk to the Kubernetes API with the objects it made."""


async def start_server(cfg, user_name, profile, binder):
    from jupyterhub.objects import Hub, Server
    from kubernetes_asyncio.client import ApiClient
    from kubespawner import KubeSpawner
    from traitlets.utils.importstring import import_item

    spawner_class = cfg.JupyterHub.spawner_class
    if isinstance(spawner_class, str):
        spawner_class = import_item(spawner_class)
    made = {"pvc": None, "pod": None}

    async def create_pvc(self, pvc, request_timeout):
        made["pvc"] = pvc
        return True

    async def create_pod(self, pod, request_timeout):
        made["pod"] = pod
        raise APILeftOut()

    async def no_watch(self, *args, **kwargs):
        return None

    class User:
        name = user_name
        id = 1
        escaped_name = user_name
        url = "/user/%s/" % user_name
        server = Server(base_url="/user/%s/" % user_name)

    spawner = spawner_class(config=cfg, user=User(), hub=Hub(), _mock=True)
    # JupyterHub gives the spawner its server (URL prefix, port) before it starts it.
    spawner.server = Server(base_url=User.url)
    spawner.api_token = "a-token-for-the-test"
    spawner.user_options = dict(binder) if binder else ({"profile": profile} if profile else {})
    # The API calls of KubeSpawner._start (the PVC check, the watches) are left out; the PVC and pod
    # requests hand their bodies over instead.
    KubeSpawner._make_create_pvc_request = create_pvc
    KubeSpawner._make_create_pod_request = create_pod
    KubeSpawner._start_watching_pods = no_watch
    KubeSpawner._start_watching_events = no_watch
    KubeSpawner._check_pvc_exists = no_watch
    try:
        await spawner.start()
    except APILeftOut:
        pass
    client = ApiClient()
    out = {"profile": profile, "image": spawner.image,
           "pod": client.sanitize_for_serialization(made["pod"]),
           "pvc": client.sanitize_for_serialization(made["pvc"]) if made["pvc"] is not None else None}
    await client.close()
    return out, spawner


async def run(args, cfg):
    servers = []
    first, spawner = await start_server(cfg, args.user, None, binder_options(args))
    profiles = spawner._get_initialized_profile_list(spawner.profile_list) if not callable(spawner.profile_list) else []
    if args.binder_image or not profiles:
        first["display_name"] = None
        servers.append(first)
    else:
        for profile in profiles:
            server, _ = await start_server(cfg, args.user, profile["slug"], None)
            server["display_name"] = profile["display_name"]
            servers.append(server)
    return {"spawner_class": type(spawner).__name__, "servers": servers}


def binder_options(args):
    if not args.binder_image:
        return None
    # As BinderHub's launcher sends them (binderhub/launcher.py, builder.py).
    return {"image": args.binder_image, "repo_url": args.repo_url, "token": "a-launch-token",
            "binder_ref_url": args.repo_url, "binder_launch_host": "https://binder.example.org/",
            "binder_request": "v2/git/x/HEAD", "binder_persistent_request": "v2/git/x/HEAD"}


def inside(args):
    docs = objects(args.manifests)
    root = tempfile.mkdtemp(prefix="vj-spawner-")
    try:
        run_inside(args, docs, root)
    finally:
        shutil.rmtree(root, ignore_errors=True)


def run_inside(args, docs, root):
    secret_values = layout(docs, root)
    import yaml
    values = yaml.safe_load(secret_values["values.yaml"])
    namespace = values["Release"]["Namespace"]
    subprocess.run(["mount", "--bind", root, ETC], check=True)
    os.environ.update(environment(docs, secret_values, namespace))
    kubeconfig(os.path.join(root, "kubeconfig"))
    os.environ["KUBECONFIG"] = os.path.join(root, "kubeconfig")
    for name in ("KUBERNETES_SERVICE_HOST", "KUBERNETES_SERVICE_PORT"):
        os.environ.pop(name, None)
    from traitlets.config.loader import PyFileConfigLoader
    # The chart's config prints what it loads on stdout: keep stdout for the JSON.
    real_stdout = sys.stdout
    sys.stdout = sys.stderr
    cfg = PyFileConfigLoader("jupyterhub_config.py", path=CONFIG_DIR).load_config()
    result = asyncio.run(run(args, cfg))
    sys.stdout = real_stdout
    json.dump(result, sys.stdout, indent=1, sort_keys=True)
    sys.stdout.write("\n")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("manifests")
    parser.add_argument("--user", default="alice")
    parser.add_argument("--binder-image")
    parser.add_argument("--repo-url", default="https://git.example.org/lab/analysis")
    parser.add_argument("--inside", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.inside:
        inside(args)
        return
    # A private mount namespace: the bind mount over /usr/local/etc is seen by this process only.
    argv = ["unshare", "--mount", "--propagation", "private", sys.executable, os.path.abspath(__file__),
            "--inside"] + sys.argv[1:]
    os.execvp("unshare", argv)


if __name__ == "__main__":
    main()
