"""Test driver for molecule/backup, run on the controller by verify.yml: the snapshot a hub upgrade takes first.

    python hub_upgrade.py NODE

NODE is the scenario's container with the backup role's service (real restic, real systemd) and the hub database
that state.py laid out (hub `physics`). playbooks/hubs.yml runs as in tests/integration/test_hub_upgrades.py: on
localhost with test_no_secrets.LocalLab (the helm STAND-IN rendering the real chart, the kubectl STAND-IN), NODE
added to the group k3s_cluster (podman connection), so the hub role's default hub_backup_nodes holds it.
Hub physics is first installed as an earlier release (the helm stand-in's `upgrade --install`, the chart from the
lab's air-gap folder, one values file), then:

1. hubs.yml with physics's image changed, after a user logged in: exactly one new snapshot of NODE, taken in this
   run before the helm stand-in's upgrade call and the release's new revision, holding the hub database row for
   row as it was;
2. hubs.yml again, nothing changed: no snapshot, changed=0.

(That a new hub asks for no backup is test_hub_upgrades.py's first run.)
Prints one line per run with its time; exits 1 naming the first check that failed.
"""
import datetime
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(os.path.dirname(HERE)))
sys.path[:0] = [HERE, os.path.join(REPO, "tests", "integration")]

import state  # noqa: E402
from test_hub_upgrades import add_diff_plugin, hub, releases  # noqa: E402
from test_no_secrets import (HELM_STANDIN, MARKERS, REAL_HELM, UPSTREAM, LocalLab, assert_no_marker,  # noqa: E402
                             recap)

RESTIC_DB = "/var/lib/versatile-jupyter/backup/staging/hub-db/%s/jupyterhub.sqlite" % os.path.basename(
    os.path.dirname(state.HUB_DB))
DUMPED = "/root/hub-db-from-snapshot.sqlite"


class Failed(Exception):
    pass


def check(condition, message):
    if not condition:
        raise Failed(message)


def node(name, *argv):
    proc = subprocess.run(["podman", "exec", name] + list(argv), capture_output=True, text=True, check=False)
    check(proc.returncode == 0, "%s on %s failed: %s" % (" ".join(argv[:3]), name, proc.stderr[-2000:]))
    return proc.stdout


def snapshots(name):
    return json.loads(node(name, "versatile-restic", "snapshots", "--json") or "[]") or []


def when(text):
    """A timestamp of restic (RFC 3339, nanoseconds), the helm stand-in's call log or release (UTC)."""
    text = text.replace(" +0000 UTC", "+00:00").replace("Z", "+00:00").replace(" ", "T", 1)
    text = re.sub(r"\.(\d+)", lambda m: "." + (m.group(1) + "00000")[:6], text)
    return datetime.datetime.fromisoformat(text).astimezone(datetime.timezone.utc)


def helm_calls(lab):
    with open(os.path.join(lab.state, "calls.log")) as handle:
        return [json.loads(line) for line in handle if line.strip()]


def write_inventory(lab, name, tag):
    lab.write(MARKERS, hubs=[hub("physics", tag)])
    with open(lab.inventory) as handle:
        data = yaml.safe_load(handle)
    data["all"]["children"]["k3s_cluster"]["hosts"] = {
        name: {"ansible_connection": "containers.podman.podman", "ansible_python_interpreter": "/usr/bin/python3"}}
    with open(lab.inventory, "w") as handle:
        yaml.safe_dump(data, handle)


def hubs_run(lab, label):
    started = time.time()
    now = datetime.datetime.now(datetime.timezone.utc)
    rc, out = lab.run("playbooks/hubs.yml")
    print("hubs.yml run %s: rc %d in %.0f s" % (label, rc, time.time() - started), flush=True)
    check(rc == 0, "hubs.yml run %s failed:\n%s" % (label, out[-6000:]))
    assert_no_marker(out, "hubs.yml run " + label)
    return now, out


def install_earlier_release(lab):
    """physics as an earlier run left it: revision 1 of the pinned JupyterHub chart, on the old image."""
    with open(os.path.join(REPO, "roles", "hub", "defaults", "main.yml")) as handle:
        version = yaml.safe_load(handle)["hub_charts"]["jupyterhub"]["version"]
    values = os.path.join(lab.root, "earlier.values.yaml")
    with open(values, "w") as handle:
        yaml.safe_dump(hub("physics", "2026.10")["values"], handle)
    proc = subprocess.run(
        [HELM_STANDIN, "upgrade", "--install", "physics", os.path.join(lab.airgap, "charts", "jupyterhub-%s.tgz"
                                                                       % version),
         "--namespace", "physics", "--create-namespace", "--kubeconfig", lab.kubeconfig, "--values", values],
        env=dict(os.environ, HELM_STANDIN_STATE=lab.state, HELM_STANDIN_REAL_HELM=REAL_HELM),
        capture_output=True, text=True, check=False)
    check(proc.returncode == 0, "the helm stand-in could not install physics: " + proc.stderr[-2000:])
    check(releases(lab)["physics/physics"]["revision"] == "1", "physics was not installed")


def drive(lab, name):
    before = snapshots(name)
    install_earlier_release(lab)

    # 1. A user logs in, then the hub's image changes: the service runs before helm upgrades the release.
    node(name, "python3", "/root/state.py", "login", "dora-before-upgrade")
    write_inventory(lab, name, "2026.11")
    started, out = hubs_run(lab, "1 (image of physics changes)")
    check("without a backup" not in out, "hubs.yml warned that no backup service exists:\n" + out[-4000:])
    taken = [snap for snap in snapshots(name) if snap["id"] not in {s["id"] for s in before}]
    check(len(taken) == 1, "expected one new snapshot from the upgrade run, found %d" % len(taken))
    snap = taken[0]
    check(snap["hostname"] == name, "the snapshot is of host %s, not %s" % (snap["hostname"], name))
    upgrades = [call for call in helm_calls(lab) if when(call["time"]) > started and call["argv"][:1] == ["upgrade"]
                and "physics" in call["argv"] and not any(a.startswith("--dry-run") for a in call["argv"])]
    check(len(upgrades) == 1, "expected one helm upgrade of physics in run 1: %s" % upgrades)
    release = releases(lab)["physics/physics"]
    check(release["revision"] == "2", "physics is at revision %s, not 2" % release["revision"])
    snap_time, upgrade_time = when(snap["time"]), when(upgrades[0]["time"])
    check(started < snap_time < upgrade_time <= when(release["updated"]),
          "not in order run start %s < snapshot %s < helm upgrade %s <= revision 2 %s"
          % (started, snap_time, upgrade_time, release["updated"]))
    print("snapshot %s at %s, helm upgrade at %s" % (snap["short_id"], snap_time.time(), upgrade_time.time()))
    node(name, "sh", "-c", "versatile-restic dump %s %s > %s" % (snap["id"], RESTIC_DB, DUMPED))
    saved = json.loads(node(name, "python3", "/root/state.py", "db", DUMPED))
    live = json.loads(node(name, "python3", "/root/state.py", "db", state.HUB_DB))
    node(name, "rm", "-f", DUMPED)
    check(saved["integrity"] == "ok", "the database in the snapshot fails SQLite's integrity check")
    check(saved == live, "the database in the snapshot differs from the hub's")
    check("dora-before-upgrade" in [row[1] for row in saved["users"]], "the snapshot misses the last login")

    # 2. Nothing changes: no snapshot, no change.
    dummy, out = hubs_run(lab, "2 (nothing changes)")
    check(" changed=0 " in recap(out) + " ", "an unchanged hubs.yml run changed something: " + recap(out))
    check(len(snapshots(name)) == len(before) + 1, "an unchanged hubs.yml run took a snapshot")
    check(releases(lab)["physics/physics"]["revision"] == "2", "an unchanged hubs.yml run upgraded physics")


def main(argv):
    if len(argv) != 1:
        print(__doc__, file=sys.stderr)
        return 2
    missing = [what for what, ok in (
        ("the upstream chart data at %s" % UPSTREAM, os.path.isdir(UPSTREAM)),
        ("a real helm binary (HELM_BIN, or helm on PATH) for the helm stand-in", os.access(REAL_HELM, os.X_OK)),
        ("root (the hub role creates root-owned folders)", os.geteuid() == 0)) if not ok]
    if missing:
        print("hub_upgrade.py needs " + "; ".join(missing), file=sys.stderr)
        return 1
    root = tempfile.mkdtemp(prefix="backup-hub-upgrade-")
    lab = None
    try:
        lab = add_diff_plugin(LocalLab(root))
        drive(lab, argv[0])
    except (Failed, AssertionError) as failure:
        print("FAILED: %s" % failure, file=sys.stderr)
        return 1
    finally:
        if lab:
            lab.close()
        shutil.rmtree(root, ignore_errors=True)
    print("hub upgrade: one snapshot before the helm upgrade, holding the hub database; none for an unchanged hub")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
