"""playbooks/render.yml on the shipped inventories, with the real charts of ../shared/upstream/charts and real helm.

For inventories/local and both examples (vault variables from tests/fixtures/inventory-secrets.yml), through the
session fixture render_inventory (tests/conftest.py, at -vvv): every hub gets values.yaml and manifests.yaml
(0600 in 0700 folders); the manifests are the chart's real objects for the release and namespace the hub role
uses, with the ingress, TLS, storage and network policies the inventory asks for; the closing table counts what
the files hold; no secret of the inventory or of the rendered Secrets appears in the output. A second run
changes nothing (the chart's generated secrets do not count as a change), and --check on a fresh folder reports
every hub and writes nothing. A value that makes a template produce
an invalid object is refused by module hub_manifests with the hub, the object and the field named, and nothing is
written.
"""
import base64
import json
import os
import re
import stat
import subprocess

import pytest
import yaml

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SECRETS = os.path.join(REPO, "tests", "fixtures", "inventory-secrets.yml")
CHARTS = os.path.join(os.path.dirname(REPO), "shared", "upstream", "charts")

# inventory -> (cluster_tls, homes storage class)
INVENTORIES = {
    "inventories/local": ("none", "local-path"),
    "inventories/examples/lab": ("secret", "nfs-homes"),
    "inventories/examples/openstack": ("acme", "nfs-homes"),
}


def hubs_of(inventory):
    with open(os.path.join(REPO, inventory, "group_vars", "all", "hubs.yml")) as handle:
        return yaml.safe_load(handle)["hubs"]


def objects(path):
    with open(path) as handle:
        return [doc for doc in yaml.safe_load_all(handle) if doc]


def mode(path):
    return stat.S_IMODE(os.stat(path).st_mode)


def secret_markers(rendered, inventory):
    """Strings that must never be printed: the test vault values and every value of the rendered Secrets."""
    with open(SECRETS) as handle:
        markers = set()
        for value in yaml.safe_load(handle).values():
            markers.update(line.strip() for line in str(value).splitlines() if len(line.strip()) >= 8)
    for hub in hubs_of(inventory):
        for obj in objects(rendered / hub["name"] / "manifests.yaml"):
            if obj["kind"] != "Secret":
                continue
            for encoded in (obj.get("data") or {}).values():
                markers.add(encoded)
                decoded = base64.b64decode(encoded).decode("utf-8", "replace")
                markers.update(line.strip() for line in decoded.splitlines()
                               if len(line.strip()) >= 16 and ":" not in line)
    return markers


@pytest.mark.parametrize("inventory", sorted(INVENTORIES))
def test_render_writes_each_hub(render_inventory, inventory):
    tls, homes_class = INVENTORIES[inventory]
    rendered = render_inventory(inventory)
    output = render_inventory.outputs[rendered]
    assert mode(rendered) == 0o700
    for hub in hubs_of(inventory):
        name = hub["name"]
        folder = rendered / name
        assert mode(folder) == 0o700
        for file in ("values.yaml", "manifests.yaml"):
            assert mode(folder / file) == 0o600, (name, file)
        values = yaml.safe_load((folder / "values.yaml").read_text())
        objs = objects(folder / "manifests.yaml")
        by_kind = {}
        for obj in objs:
            by_kind.setdefault(obj["kind"], []).append(obj)
            # Release name and namespace as the hub role deploys them.
            labels = obj["metadata"].get("labels") or {}
            if "release" in labels:
                assert labels["release"] == name, (name, obj["kind"], obj["metadata"]["name"])
        hub_deployment = [d for d in by_kind["Deployment"] if d["metadata"]["name"] == "hub"][0]
        env = {e["name"]: e.get("value") for e in hub_deployment["spec"]["template"]["spec"]["containers"][0]["env"]}
        assert env["HELM_RELEASE_NAME"] == name
        z2jh = values["jupyterhub"] if hub["kind"] == "binderhub" else values
        # The ingress of the JupyterHub (and of the BinderHub): host, class, TLS as cluster_tls says.
        hub_host = (hub.get("hub_host") or "hub." + hub["host"]) if hub["kind"] == "binderhub" else hub["host"]
        hosts = {rule["host"]: ing for ing in by_kind["Ingress"] for rule in ing["spec"]["rules"]}
        assert set(hosts) == {hub_host, hub["host"]}, (name, sorted(hosts))
        for host, ingress in hosts.items():
            assert ingress["spec"]["ingressClassName"] == "traefik"
            tls_entries = ingress["spec"].get("tls") or []
            annotations = ingress["metadata"].get("annotations") or {}
            if tls == "none":
                assert tls_entries == [], (name, host)
            else:
                assert [t["hosts"] for t in tls_entries] == [[host]], (name, host)
            if tls == "acme":
                assert annotations.get("cert-manager.io/cluster-issuer") == "letsencrypt"
                assert tls_entries[0]["secretName"].endswith("-tls")
            else:
                assert "cert-manager.io/cluster-issuer" not in annotations
        # Storage: the hub database on a node-local volume, homes on the inventory's class.
        pvc = [p for p in by_kind["PersistentVolumeClaim"] if p["metadata"]["name"] == "hub-db-dir"][0]
        assert pvc["spec"]["storageClassName"] == "local-path"
        if not hub.get("public"):
            assert z2jh["singleuser"]["storage"]["dynamic"]["storageClass"] == homes_class
        # Network policies of the hub, the proxy and the user servers.
        assert {n["metadata"]["name"] for n in by_kind["NetworkPolicy"]} >= {"hub", "proxy", "singleuser"}
        if hub["kind"] == "binderhub":
            builder = [d for d in by_kind["DaemonSet"] if d["metadata"]["name"].endswith("-pink")]
            assert builder, (name, [d["metadata"]["name"] for d in by_kind["DaemonSet"]])
        # The closing table: one row per hub with the counts of what the files hold.
        images = sorted({c["image"] for obj in objs for c in _containers(obj)})
        row = re.search(r"^\s*\"?%s\s*\|\s*%s\s*\|\s*%s [^|]+\|\s*(\d+)\s*\|\s*(\d+)\s*\|\s*([^\"\n]*)"
                        % (re.escape(name), hub["kind"], hub["kind"]), output, re.M)
        assert row, "no table row for hub %s in the output" % name
        assert int(row.group(1)) == len(objs)
        assert int(row.group(2)) == len(images)
        scheme = "http" if tls == "none" else "https"
        assert "%s://%s/" % (scheme, hub["host"]) in row.group(3).split()
    assert re.search(r"hub\s+\| kind\s+\| chart\s+\| objects \| images \| URLs", output)
    leaked = sorted(m for m in secret_markers(rendered, inventory) if m in output)
    assert leaked == [], "secrets printed at -vvv: %s" % [m[:6] + "..." for m in leaked]


def _containers(obj):
    spec = (obj.get("spec") or {}).get("template", {}).get("spec") if obj["kind"] != "Pod" else obj.get("spec")
    if not spec:
        return []
    return (spec.get("initContainers") or []) + (spec.get("containers") or [])


def _run(argv, **kwargs):
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=os.path.join(REPO, ".ansible", "collections"), ANSIBLE_NOCOLOR="1")
    return subprocess.run(argv, cwd=REPO, env=env, capture_output=True, text=True, **kwargs)


def test_second_run_changes_nothing(render_inventory):
    """Idempotent: a re-run into the same folder reports changed=0 and leaves both files as they were."""
    rendered = render_inventory("inventories/local")
    before = {p: p.read_bytes() for p in rendered.glob("*/*.yaml")}
    proc = _run(["ansible-playbook", "-i", "inventories/local", "playbooks/render.yml",
                 "-e", "hub_chart_source=" + CHARTS, "-e", "render_dir=%s" % rendered,
                 "-e", "hub_check_config_on_controller=false"])
    assert proc.returncode == 0, proc.stdout[-4000:]
    assert re.search(r"localhost\s*:\s*ok=\d+\s+changed=0\s", proc.stdout), proc.stdout[-3000:]
    assert {p: p.read_bytes() for p in rendered.glob("*/*.yaml")} == before


@pytest.mark.parametrize("extra_pod_spec, field, rule", [
    ({"hostNetwork": "yes"}, "spec.template.spec.hostNetwork", "must be of type boolean"),
    ({"dnsPolicyy": "ClusterFirst"}, "spec.template.spec", "unknown field(s) dnsPolicyy"),
])
def test_invalid_object_names_hub_object_and_field(render_inventory, tmp_path, extra_pod_spec, field, rule):
    """hub.extraPodSpec passes the chart's values schema (any mapping) but the hub Deployment it lands in is not
    a valid Kubernetes object: module hub_manifests names the hub, Deployment/hub, its template and the field."""
    rendered = render_inventory("inventories/local")
    values = yaml.safe_load((rendered / "jupyter" / "values.yaml").read_text())
    values.setdefault("hub", {})["extraPodSpec"] = extra_pod_spec
    values_file = tmp_path / "values.yaml"
    values_file.write_text(yaml.safe_dump(values))
    dest = tmp_path / "manifests.yaml"
    args = {"name": "jupyter", "chart_dir": os.path.join(CHARTS, "jupyterhub-4.4.0"), "values_file": str(values_file),
            "k3s_version": "v1.31.4+k3s1", "helm": os.environ.get("HELM_BIN") or "helm", "dest": str(dest)}
    proc = _run(["ansible", "localhost", "-m", "versatile.jupyter.hub_manifests", "-a", json.dumps(args),
                 "-e", "ansible_python_interpreter=" + _python()])
    assert proc.returncode != 0, proc.stdout
    assert "hub jupyter: Deployment/hub (jupyterhub/templates/hub/deployment.yaml): field %s %s" % (field, rule) \
        in proc.stdout.replace("\\n", "\n"), proc.stdout[-3000:]
    assert not dest.exists()


def test_check_mode_reports_and_writes_nothing(tmp_path):
    """--check --diff on a fresh folder: every hub reported as changed (values and manifests), nothing written."""
    if not (os.environ.get("HELM_BIN") and os.access(os.environ["HELM_BIN"], os.X_OK)):
        pytest.skip("no helm binary: set HELM_BIN (tests/tools/install-helm.sh)")
    if not os.path.isdir(CHARTS):
        pytest.skip("the real charts are absent: %s" % CHARTS)
    out = tmp_path / "out"
    proc = _run(["ansible-playbook", "-i", "inventories/local", "playbooks/render.yml", "--check", "--diff",
                 "-e", "hub_chart_source=" + CHARTS, "-e", "render_dir=%s" % out,
                 "-e", "hub_check_config_on_controller=false"])
    assert proc.returncode == 0, proc.stdout[-4000:]
    for hub in ("jupyter", "binder"):
        assert "%s: its values would change, so manifests.yaml would be rendered anew" % hub in proc.stdout
    assert re.search(r"localhost\s*:\s*ok=\d+\s+changed=[1-9]", proc.stdout)
    assert not out.exists()


def test_missing_chart_in_source_is_named(tmp_path):
    """hub_chart_source without the pinned chart: the render stops naming the folder it expected."""
    if not (os.environ.get("HELM_BIN") and os.access(os.environ["HELM_BIN"], os.X_OK)):
        pytest.skip("no helm binary: set HELM_BIN (tests/tools/install-helm.sh)")
    proc = _run(["ansible-playbook", "-i", "inventories/local", "playbooks/render.yml",
                 "-e", "hub_chart_source=%s" % tmp_path, "-e", "render_dir=%s" % (tmp_path / "out"),
                 "-e", "hub_check_config_on_controller=false"])
    assert proc.returncode != 0
    assert "has no chart jupyterhub 4.4.0: expected the unpacked chart in %s/jupyterhub-4.4.0/" % tmp_path \
        in proc.stdout
    assert not (tmp_path / "out").exists()


def _python():
    import sys
    return sys.executable
