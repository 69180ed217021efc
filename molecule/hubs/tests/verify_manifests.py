#!/usr/bin/env python3
"""Check the REAL objects of each hub release: the manifests the helm stand-in rendered with the real helm from
the real charts (releases.json fetched from the first server, key `manifest`).

Asserts what the scenario's inventory asks for: Ingress hosts, class and TLS (cluster_tls acme: cert-manager
annotation and a secret per host), the hub database PVC's storage class and the homes' class in the hub's
values Secret, the NetworkPolicies, the BinderHub pink builder DaemonSet with the registries drop-in, and the
images. Prints one line per check; exit 1 on any failure, never printing a Secret's content.
Usage: verify_manifests.py RELEASES_JSON BINDERHUB_CHART_VERSION
"""
import base64
import json
import sys

import yaml

FAILED = []


def check(release, what, condition, seen=""):
    print("%s %s: %s%s" % ("ok" if condition else "FAIL", release, what, "" if condition else " (got %s)" % seen))
    if not condition:
        FAILED.append(what)


def objects(release):
    return [doc for doc in yaml.safe_load_all(release.get("manifest") or "") if doc]


def one(objs, kind, name):
    found = [o for o in objs if o["kind"] == kind and o["metadata"]["name"] == name]
    return found[0] if found else {}


def ingress_hosts(objs):
    return {rule["host"]: obj for obj in objs if obj["kind"] == "Ingress" for rule in obj["spec"]["rules"]}


def images(objs):
    found = set()
    for obj in objs:
        spec = ((obj.get("spec") or {}).get("template") or {}).get("spec") or {}
        for container in (spec.get("initContainers") or []) + (spec.get("containers") or []):
            found.add(container["image"])
    return found


def hub_values(objs):
    """The values the hub reads (z2jh's Secret `hub`, key values.yaml)."""
    secret = one(objs, "Secret", "hub")
    return yaml.safe_load(base64.b64decode(secret.get("data", {}).get("values.yaml", "")) or "{}") or {}


def check_ingress(name, objs, host, secret_name):
    ingress = ingress_hosts(objs).get(host)
    check(name, "an Ingress routes %s" % host, ingress is not None, sorted(ingress_hosts(objs)))
    if ingress is None:
        return
    spec = ingress["spec"]
    check(name, "%s: ingress class traefik" % host, spec.get("ingressClassName") == "traefik", spec.get("ingressClassName"))
    check(name, "%s: TLS for the host in secret %s" % (host, secret_name),
          spec.get("tls") == [{"hosts": [host], "secretName": secret_name}], spec.get("tls"))
    annotations = ingress["metadata"].get("annotations") or {}
    check(name, "%s: cert-manager issuer letsencrypt" % host,
          annotations.get("cert-manager.io/cluster-issuer") == "letsencrypt", annotations)


def check_common(name, objs, hub_host):
    check(name, "every object is in namespace %s or cluster-wide" % name,
          all(o["metadata"].get("namespace") in (None, name) for o in objs))
    check(name, "hub Deployment runs release %s" % name,
          {"name": "HELM_RELEASE_NAME", "value": name} in one(objs, "Deployment", "hub")["spec"]["template"]["spec"]
          ["containers"][0]["env"])
    pvc = one(objs, "PersistentVolumeClaim", "hub-db-dir")
    check(name, "hub database PVC on local-path", pvc.get("spec", {}).get("storageClassName") == "local-path",
          pvc.get("spec", {}).get("storageClassName"))
    policies = sorted(o["metadata"]["name"] for o in objs if o["kind"] == "NetworkPolicy")
    check(name, "NetworkPolicies hub, proxy, singleuser", set(policies) >= {"hub", "proxy", "singleuser"}, policies)
    check_ingress(name, objs, hub_host, "%s-hub-tls" % name)


def main(argv):
    with open(argv[0]) as handle:
        releases = json.load(handle)["releases"]
    binder_version = argv[1]

    name, objs = "physics", objects(releases["physics/physics"])
    check(name, "the release holds rendered objects", len(objs) > 20, len(objs))
    check_common(name, objs, "physics.hub.example.org")
    values = hub_values(objs)
    storage = values.get("singleuser", {}).get("storage", {})
    check(name, "homes on nfs-homes, ReadWriteMany", storage.get("dynamic", {}).get("storageClass") == "nfs-homes"
          and storage.get("dynamic", {}).get("storageAccessModes") == ["ReadWriteMany"], storage.get("dynamic"))
    found = images(objs)
    check(name, "hub image k8s-hub 4.4.0", "quay.io/jupyterhub/k8s-hub:4.4.0" in found, sorted(found))
    check(name, "the user image is pre-pulled", "quay.io/jupyter/scipy-notebook:2025-10-20" in found, sorted(found))

    for name, host, hub_host in (("binder", "binder.example.org", "hub.binder.example.org"),
                                 ("public-binder", "mybinder.example.org", "hub.mybinder.example.org")):
        objs = objects(releases["%s/%s" % (name, name)])
        check(name, "the release holds rendered objects", len(objs) > 20, len(objs))
        check_common(name, objs, hub_host)
        check_ingress(name, objs, host, "%s-binder-tls" % name)
        found = images(objs)
        check(name, "BinderHub image %s" % binder_version,
              "quay.io/jupyterhub/k8s-binderhub:%s" % binder_version in found, sorted(found))
        builder = one(objs, "DaemonSet", "%s-pink" % name)
        check(name, "the pink builder DaemonSet", bool(builder), sorted(o["metadata"]["name"] for o in objs
                                                                       if o["kind"] == "DaemonSet"))
        if builder:
            pod = builder["spec"]["template"]["spec"]
            check(name, "builder image quay.io/podman/stable",
                  pod["containers"][0]["image"].startswith("quay.io/podman/stable:"), pod["containers"][0]["image"])
            paths = [v.get("hostPath", {}).get("path") for v in pod.get("volumes", [])]
            check(name, "builder mounts the registries drop-in",
                  "/etc/versatile-jupyter/pink/registries.conf.d/50-versatile-registry.conf" in paths, paths)
        config = yaml.safe_load(base64.b64decode(one(objs, "Secret", "binder-secret").get("data", {}).get(
            "values.yaml", "")) or "{}") if "data" in one(objs, "Secret", "binder-secret") else yaml.safe_load(
            one(objs, "Secret", "binder-secret").get("stringData", {}).get("values.yaml", "{}"))
        prefix = config.get("config", {}).get("BinderHub", {}).get("image_prefix")
        check(name, "images pushed to the in-cluster registry", prefix == "hubs-server:30500/binder/%s-" % name, prefix)
        homes = hub_values(objs).get("singleuser", {}).get("storage", {})
        if name == "public-binder":
            check(name, "no homes on the public Binder", homes.get("type") == "none", homes.get("type"))
        else:
            check(name, "homes on nfs-homes", homes.get("dynamic", {}).get("storageClass") == "nfs-homes",
                  homes.get("dynamic"))
    return 1 if FAILED else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
