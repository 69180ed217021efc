"""Hub upgrades with playbooks/hubs.yml: the helm diff in --check --diff, the image pre-pull, the report of users
still on an old image, and a failed upgrade rolled back while the hubs after it stay as they were.

The real playbook on localhost with the stand-ins of test_no_secrets.py's LocalLab: the helm STAND-IN
(tests/standins/helm, rendering the REAL upstream chart with the real helm binary, keeping revisions, and, for a
release listed in fail-wait.json, failing --wait and rolling back as helm --atomic does) and the kubectl STAND-IN
(tests/standins/kubectl: `get pods` from a JSON file standing in for the user pods of a live cluster).
Three runs: three hubs installed; --check --diff of one changed hub; one run that upgrades a hub, fails on the
next (rolled back) and leaves the third as it was.
No backup service runs on this machine: the backup before an upgrade is reported as missing (a warning naming the
hub), never for a new hub. The snapshot itself, taken by the backup role's service before helm upgrades the
release, is checked by molecule/backup (files/hub_upgrade.py, which reuses this module's helpers).
"""
import json
import os
import subprocess

import pytest

from test_no_secrets import HELM_STANDIN, MARKERS, REAL_HELM, assert_no_marker, open_lab

BASE = "quay.io/lab/base"


def hub(name, tag, markers=MARKERS):
    return {"name": name, "kind": "jupyterhub", "host": name + ".localhost",
            "auth": {"type": "github", "client_id": name + "-client", "client_secret": markers["github_client_secret"],
                     "allowed_organizations": ["lab"], "admin_users": ["alice"]},
            "values": {"singleuser": {"image": {"name": BASE, "tag": tag}}}}


def user_pod(user, image, namespace="physics"):
    return {"metadata": {"name": "jupyter-" + user, "namespace": namespace,
                         "labels": {"component": "singleuser-server", "app": "jupyterhub"},
                         "annotations": {"hub.jupyter.org/username": user}},
            "spec": {"containers": [{"name": "notebook", "image": image}]}}


def add_diff_plugin(environment):
    """The helm-diff plugin, as cluster_services installs it (the stand-in's `diff upgrade` needs it to be there)."""
    plugin = os.path.join(environment.root, "helm-plugins", "diff")
    os.makedirs(plugin)
    with open(os.path.join(plugin, "plugin.yaml"), "w") as handle:
        handle.write("name: diff\nversion: 3.9.14\nusage: stand-in\n")
    return environment


@pytest.fixture
def lab(tmp_path):
    environment = add_diff_plugin(open_lab(tmp_path))
    yield environment
    environment.close()


def releases(lab):
    with open(os.path.join(lab.state, "releases.json")) as handle:
        return json.load(handle)["releases"]


def manifest_objects(text):
    import yaml
    return [doc for doc in yaml.safe_load_all(text) if doc]


def helm_calls(lab):
    """Every call the helm stand-in received, in order (its calls.log)."""
    with open(os.path.join(lab.state, "calls.log")) as handle:
        return [json.loads(line) for line in handle]


def helm(lab, *argv):
    """The helm stand-in run by hand, as an administrator would run helm against the cluster."""
    return subprocess.run([HELM_STANDIN] + list(argv) + ["--kubeconfig", lab.kubeconfig], capture_output=True,
                          text=True, env=dict(os.environ, HELM_STANDIN_STATE=lab.state,
                                              HELM_STANDIN_REAL_HELM=REAL_HELM), check=False)


def write_pods(lab, pods):
    with open(os.path.join(lab.root, "pods.json"), "w") as handle:
        json.dump(pods, handle)


def test_image_rollout_diff_prepull_report_and_rollback(lab):
    # Three hubs installed: no backup is asked for a new hub; nobody runs a server on physics yet, dora runs one on
    # bio with the image it offers.
    dora = user_pod("dora", BASE + ":2026.10", "bio")
    write_pods(lab, [dora])
    lab.write(MARKERS, hubs=[hub("physics", "2026.10"), hub("chem", "2026.10"), hub("bio", "2026.10")])
    rc, out = lab.run("playbooks/hubs.yml")
    assert rc == 0, out[-6000:]
    assert "without a backup" not in out, out[-4000:]
    assert "Hub physics: every running user server (0) runs an image the hub offers." in out, out[-4000:]
    assert "Hub bio: every running user server (1) runs an image the hub offers." in out, out[-4000:]
    first = releases(lab)
    assert {key: rel["revision"] for key, rel in first.items()} == {
        "physics/physics": "1", "chem/chem": "1", "bio/bio": "1"}

    # Someone upgrades bio by hand (helm itself, another image): its revision moves past the one the role recorded.
    by_hand = os.path.join(lab.root, "bio-by-hand.values.yaml")
    values = json.loads(json.dumps(first["bio/bio"]["values"]))
    values["singleuser"]["image"]["tag"] = "by-hand"
    with open(by_hand, "w") as handle:
        json.dump(values, handle)
    hand = helm(lab, "upgrade", "bio", first["bio/bio"]["chart_path"], "--namespace", "bio", "--values", by_hand)
    assert hand.returncode == 0, hand.stdout + hand.stderr
    handed = releases(lab)["bio/bio"]
    assert handed["revision"] == "2"

    # --check --diff of a new image for physics: its helm diff only, nothing released. bio, changed by hand, is
    # looked at again (the role would give it back its image); chem, as the role left it, is not asked about.
    calls_before = len(helm_calls(lab))
    lab.write(MARKERS, hubs=[hub("physics", "2026.11"), hub("chem", "2026.10"), hub("bio", "2026.10")])
    rc, out = lab.run("playbooks/hubs.yml", "--check", "--diff")
    assert rc == 0, out[-6000:]
    assert_no_marker(out, "hubs.yml --check --diff (image change)")
    assert "physics, physics: value singleuser.image.tag has changed" in out, out[-6000:]
    assert "bio, bio: value singleuser.image.tag has changed" in out, out[-6000:]
    assert "chem, chem: value" not in out
    asked = [call["argv"] for call in helm_calls(lab)[calls_before:]]
    assert any(argv[:2] == ["diff", "upgrade"] and "physics" in argv for argv in asked), asked
    assert any(argv[:2] == ["diff", "upgrade"] and "bio" in argv for argv in asked), asked
    assert not [argv for argv in asked if "chem" in argv], asked
    assert releases(lab) == dict(first, **{"bio/bio": handed})

    # One run: physics upgraded, then chem fails and is rolled back, and bio is left as it was.
    # physics moves to a new image while alice and bob run servers on the old one and carl on the new: a warning
    # that no backup service exists (named hub), the hook pre-puller of the new image in the release (a
    # pre-upgrade hook: helm waits for it before the hub changes), the users on the old image.
    # chem's pods never become ready: helm --atomic rolls it back; the play names it, and bio, changed as well,
    # is not touched.
    write_pods(lab, [user_pod("alice", BASE + ":2026.10"), user_pod("bob", BASE + ":2026.10"),
                     user_pod("carl", BASE + ":2026.11"), dora])
    with open(os.path.join(lab.state, "fail-wait.json"), "w") as handle:
        json.dump(["chem/chem"], handle)
    lab.write(MARKERS, hubs=[hub("physics", "2026.11"), hub("chem", "2026.12"), hub("bio", "2026.12")])
    rc, out = lab.run("playbooks/hubs.yml")
    assert rc != 0, out[-6000:]
    assert_no_marker(out, "hubs.yml with an upgrade and a failed upgrade")
    assert "WARNING: hub physics changes without a backup of its database first" in out, out[-6000:]
    assert "hub bio changes" not in out
    after = releases(lab)
    assert after["physics/physics"]["revision"] == "2"
    pullers = {obj["metadata"]["name"]: obj for obj in manifest_objects(after["physics/physics"]["manifest"])
               if obj.get("kind") == "DaemonSet" and "image-puller" in obj["metadata"]["name"]}
    assert set(pullers) == {"hook-image-puller", "continuous-image-puller"}, sorted(pullers)
    hook = pullers["hook-image-puller"]
    assert "pre-upgrade" in hook["metadata"]["annotations"]["helm.sh/hook"]
    assert BASE + ":2026.11" in [c["image"] for c in hook["spec"]["template"]["spec"]["initContainers"]]
    assert ("Hub physics: 2 user server(s) still run an image the hub no longer offers (it offers "
            + BASE + ":2026.11); they move to it at their next start: alice on " + BASE + ":2026.10; bob on "
            + BASE + ":2026.10") in out, out[-6000:]
    flat = " ".join(out.split())
    assert "Hub chem: helm could not install or upgrade release chem in namespace chem" in flat, flat[-4000:]
    assert "has been rolled back due to atomic being set" in flat
    assert "Done before it in this run: physics. Left as they were: bio." in flat, flat[-4000:]
    assert after["chem/chem"]["revision"] == "3"  # 2 failed, 3 the rollback to 1
    assert after["chem/chem"]["values"] == first["chem/chem"]["values"]
    assert after["bio/bio"] == handed
