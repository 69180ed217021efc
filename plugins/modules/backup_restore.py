#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) versatile.jupyter contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
---
module: backup_restore
short_description: Restore a node's Jupyter data (homes, shared folders, hub databases, k3s datastore) from restic
version_added: 0.1.0
description:
  - Restores, from the node's newest restic snapshot (or the one named), everything, one hub (its database and
    its users' homes) or one user's home into a work folder, then copies each restored folder onto its place
    with C(rsync --checksum --delete), so that the result is byte-identical to the backup and a second run
    changes nothing.
  - A volume whose claim is now bound to another volume (a new cluster, or a claim created again) is restored
    into that volume's folder.
  - Refuses, before any change, a restore that would overwrite or delete existing files unless I(confirm) is
    true; new files need no confirmation. Check mode and I(plan) report what would change.
  - The restic repository and its password come from the environment that the C(restic) wrapper reads, never
    from this module's arguments.
author:
  - versatile.jupyter contributors (@versatile)
options:
  restic:
    description: The restic command, a wrapper that reads the repository settings (the backup role's).
    type: path
    default: /usr/local/sbin/versatile-restic
  source_host:
    description: The host name the snapshots were taken on (restic C(--host)).
    type: str
    required: true
  tag:
    description: The restic tag of the collection's snapshots.
    type: str
    default: versatile-jupyter
  snapshot:
    description: C(latest) or a snapshot id (or its prefix).
    type: str
    default: latest
  scope:
    description: What to restore.
    type: str
    choices: [all, hub, user]
    required: true
  hub:
    description: The hub (namespace) for I(scope=hub), or the hub a I(scope=user) restore is limited to.
    type: str
    default: ''
  user:
    description: The user for I(scope=user), as in the home's claim name C(claim-<user>).
    type: str
    default: ''
  kinds:
    description: Restore only these kinds of item (all by default).
    type: list
    elements: str
    choices: [nfs, home, hub_db, datastore, etcd_snapshot, token]
  layout:
    description:
      - Where the data lives on this node, as the backup role configured it.
      - Keys C(staging_dir) (required), C(nfs_export), C(local_path_dir), C(k3s_server_dir), C(datastore)
        (bool), C(home_pvc_prefix), C(hub_db_pvc), C(hub_db_file).
    type: dict
    required: true
  work_dir:
    description: Folder the snapshot is restored into before the copy (emptied before and after).
    type: path
    default: /var/lib/versatile-jupyter/backup/restore
  confirm:
    description: Allow a restore that overwrites or deletes existing files.
    type: bool
    default: false
  plan:
    description: Only report what would change (like check mode).
    type: bool
    default: false
notes:
  - Needs restic and rsync on the node.
seealso:
  - name: The backup role
    description: Sets up the repository, the wrapper and the timer this module restores from.
    link: https://github.com/versatile/jupyter/blob/main/docs/backup.md
'''

EXAMPLES = r'''
- name: Restore alice's home on the hub physics
  versatile.jupyter.backup_restore:
    source_host: "{{ inventory_hostname }}"
    scope: user
    hub: physics
    user: alice
    layout: {staging_dir: /var/lib/versatile-jupyter/backup/staging, nfs_export: /srv/nfs/hubs}
    confirm: true
'''

RETURN = r'''
found:
  description: Whether a snapshot of I(source_host) exists.
  type: bool
  returned: always
snapshot:
  description: The snapshot restored from (id, time, hostname, paths).
  type: dict
  returned: when found
items:
  description: Each restored item with its destination, number of changes and of overwritten files.
  type: list
  elements: dict
  returned: always
hub_namespaces:
  description: Hubs whose database changes (or would change).
  type: list
  elements: str
  returned: always
datastore_changed:
  description: Whether the k3s datastore file changes (or would change).
  type: bool
  returned: always
'''

import json
import os
import shutil

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.versatile.jupyter.plugins.module_utils import backup as bk


def run(module, argv):
    rc, out, err = module.run_command(argv)
    if rc != 0:
        module.fail_json(msg="%s failed (rc %d): %s" % (" ".join(os.path.basename(a) for a in argv[:2]), rc,
                                                        err.strip()))
    return out


def main():
    module = AnsibleModule(
        argument_spec=dict(
            restic=dict(type="path", default="/usr/local/sbin/versatile-restic"),
            source_host=dict(type="str", required=True),
            tag=dict(type="str", default="versatile-jupyter"),
            snapshot=dict(type="str", default="latest"),
            scope=dict(type="str", required=True, choices=["all", "hub", "user"]),
            hub=dict(type="str", default=""),
            user=dict(type="str", default=""),
            kinds=dict(type="list", elements="str",
                       choices=["nfs", "home", "hub_db", "datastore", "etcd_snapshot", "token"]),
            layout=dict(type="dict", required=True),
            work_dir=dict(type="path", default="/var/lib/versatile-jupyter/backup/restore"),
            confirm=dict(type="bool", default=False),
            plan=dict(type="bool", default=False),
        ),
        required_if=[("scope", "hub", ["hub"]), ("scope", "user", ["user"])],
        supports_check_mode=True,
    )
    p = module.params
    layout = p["layout"]
    if not layout.get("staging_dir"):
        module.fail_json(msg="layout.staging_dir is required")
    dry = module.check_mode or p["plan"]
    result = dict(changed=False, found=False, items=[], hub_namespaces=[], datastore_changed=False)

    snapshots = json.loads(run(module, [p["restic"], "snapshots", "--json", "--host", p["source_host"],
                                        "--tag", p["tag"]]) or "[]")
    snap = bk.select_snapshot(snapshots, p["snapshot"])
    if snap is None:
        if p["snapshot"] not in ("", "latest"):
            module.fail_json(msg="no snapshot %s of host %s in the repository" % (p["snapshot"], p["source_host"]))
        module.exit_json(msg="no snapshot of host %s in the repository" % p["source_host"], **result)
    result["found"] = True
    result["snapshot"] = dict((k, snap.get(k)) for k in ("id", "time", "hostname", "paths"))

    work = p["work_dir"].rstrip("/")
    includes = bk.restore_includes(layout, p["scope"], p["hub"], p["user"])
    marker = os.path.join(work, ".versatile-restore.json")
    wanted = {"snapshot": snap["id"], "includes": includes}
    keep = False
    try:
        with open(marker) as f:
            reuse = json.load(f) == wanted  # restored by the plan step of the same restore
    except (OSError, ValueError):
        reuse = False
    try:
        if not reuse:
            if os.path.isdir(work):
                shutil.rmtree(work)
            os.makedirs(work, mode=0o700)
            argv = [p["restic"], "restore", snap["id"], "--target", work]
            for pattern in includes:
                argv += ["--include", pattern]
            run(module, argv)
            with open(marker, "w") as f:
                json.dump(wanted, f)
        items = [i for i in bk.restore_items(work, layout) if not p["kinds"] or i["kind"] in p["kinds"]]
        planned, overwrites, diff_lines = [], [], []
        for item in items:
            found = bk.parse_itemized(run(module, bk.rsync_argv(item, dry_run=True) + ["--mkpath"]))
            side = bk.sqlite_side_files(item["dest"]) if item["kind"] in ("hub_db", "datastore") else []
            changes = found["changes"] + ["*deleting %s" % s for s in side if found["changes"]]
            planned.append(dict(item, changes=changes, overwrites=len(found["overwrites"]) if changes else 0))
            if changes:
                overwrites += [os.path.join(item["dest"], o) if os.path.isdir(item["src"]) else item["dest"]
                               for o in found["overwrites"]]
                diff_lines += ["%s: %s" % (item["dest"], c) for c in changes[:50]]
        changed = [i for i in planned if i["changes"]]
        result["items"] = [dict(kind=i["kind"], dest=i["dest"], changes=len(i["changes"]), overwrites=i["overwrites"])
                           for i in planned]
        result["hub_namespaces"] = sorted(set(i["namespace"] for i in changed if i["kind"] == "hub_db"))
        result["datastore_changed"] = any(i["kind"] == "datastore" for i in changed)
        result["changed"] = bool(changed)
        if module._diff and changed:
            result["diff"] = dict(before="", after="\n".join(diff_lines) + "\n",
                                  after_header="restore from snapshot %s" % snap["id"][:8])
        if overwrites and not p["confirm"]:
            shown = sorted(set(overwrites))
            module.fail_json(
                msg="this restore would overwrite or delete %d existing file(s), for example %s: set "
                    "backup_restore_confirm: true to restore over them" % (len(shown), ", ".join(shown[:5])),
                **result)
        if dry:
            keep = p["plan"] and bool(changed)  # the apply step reuses the restored files
            module.exit_json(**result)
        for item in changed:
            run(module, bk.rsync_argv(item, dry_run=False) + ["--mkpath"])
            if item["kind"] in ("hub_db", "datastore"):
                for side in bk.sqlite_side_files(item["dest"]):
                    os.unlink(side)
    finally:
        if not keep:
            shutil.rmtree(work, ignore_errors=True)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
