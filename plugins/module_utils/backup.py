# -*- coding: utf-8 -*-
# Copyright (c) versatile.jupyter contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Backup and restore of a node's Jupyter data with restic: plain functions, standard library only.

The library of the ``backup_restore`` module and of the node's backup runner (the backup role copies this file
beside roles/backup/files/versatile-backup.py on each node, which the systemd service runs).

What a node holds, as k3s and the provisioners lay it out:
- local-path volumes (k3s's default class): ``<storage>/<pv>_<namespace>_<pvc>``; a hub's database is
  ``<storage>/<pv>_<hub>_hub-db-dir/jupyterhub.sqlite``, user homes are ``<pv>_<hub>_claim-<user>``;
- the NFS export (nfs-subdir-external-provisioner): ``<export>/<namespace>-<pvc>-<pv>`` folders, deleted
  ones renamed ``archived-...``, shared project folders under ``<export>/shared``;
- the k3s datastore on the first server: ``<server>/db/state.db`` (SQLite) or embedded etcd.

SQLite files are never read as plain files while in use: they are copied with SQLite's online backup API
into a staging folder, and restic backs up that copy.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os
import re
import shutil
import sqlite3
import subprocess
import time

PV_RE = re.compile(r"^(?P<prefix>.+)-(?P<pv>pvc-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$")
SQLITE_SIDE_FILES = ("-journal", "-wal", "-shm")
LOCK_MARKERS = ("repository is already locked", "unable to create lock")


class BackupError(Exception):
    """A failure with a message meant for the operator."""


# --- Layout --------------------------------------------------------------------------------------------------
def local_path_volume(name):
    """Split a local-path folder name ``<pv>_<namespace>_<pvc>`` (None when it is not one)."""
    parts = name.split("_")
    if len(parts) != 3 or not all(parts):
        return None
    return {"pv": parts[0], "namespace": parts[1], "pvc": parts[2]}


def nfs_volume(name):
    """Split an NFS provisioner folder name ``<namespace>-<pvc>-<pv>`` into its prefix and PV name."""
    match = PV_RE.match(name)
    if not match or name.startswith("archived-"):
        return None
    return {"prefix": match.group("prefix"), "pv": match.group("pv")}


def list_dirs(path):
    try:
        return sorted(e.name for e in os.scandir(path) if e.is_dir(follow_symlinks=False))
    except FileNotFoundError:
        return []


def hub_databases(storage_dir, db_pvc="hub-db-dir", db_file="jupyterhub.sqlite"):
    """The hub databases on this node: [{namespace, folder, path}] for every ``*_<hub>_<db_pvc>`` volume."""
    found = []
    for name in list_dirs(storage_dir):
        vol = local_path_volume(name)
        path = os.path.join(storage_dir, name, db_file)
        if vol and vol["pvc"] == db_pvc and os.path.isfile(path):
            found.append({"namespace": vol["namespace"], "folder": name, "path": path})
    return found


def local_homes(storage_dir, home_prefix="claim-"):
    """The local-path home volumes on this node (folder paths)."""
    return [os.path.join(storage_dir, name) for name in list_dirs(storage_dir)
            if (local_path_volume(name) or {}).get("pvc", "").startswith(home_prefix)]


# --- Consistent SQLite copies --------------------------------------------------------------------------------
def sqlite_copy(src, dest):
    """Copy a live SQLite database with SQLite's online backup API; check the copy's integrity."""
    os.makedirs(os.path.dirname(dest), mode=0o700, exist_ok=True)
    tmp = dest + ".tmp"
    if os.path.exists(tmp):
        os.unlink(tmp)
    source = sqlite3.connect(src, timeout=60)
    try:
        target = sqlite3.connect(tmp)
        try:
            source.backup(target)
            result = target.execute("PRAGMA integrity_check").fetchone()[0]
            # A copy made from a WAL database keeps WAL mode; restic should see one self-contained file.
            target.execute("PRAGMA journal_mode=DELETE")
        finally:
            target.close()
    finally:
        source.close()
    if result != "ok":
        raise BackupError("the copy of %s failed SQLite's integrity check: %s" % (src, result))
    os.chmod(tmp, 0o600)
    os.replace(tmp, dest)


# --- restic command lines (the repository and password come from the environment, never the command line) ---
def restic_backup_argv(restic, host, tag, paths, excludes=(), json_output=False):
    argv = [restic, "backup", "--host", host, "--tag", tag]
    for pattern in excludes:
        argv += ["--exclude", pattern]
    if json_output:
        argv.append("--json")
    return argv + list(paths)


def restic_forget_argv(restic, host, tag, keep, prune):
    argv = [restic, "forget", "--host", host, "--tag", tag, "--group-by", "host,tags"]
    for period in ("daily", "weekly", "monthly"):
        argv += ["--keep-" + period, str(int(keep.get(period, 0)))]
    if int(keep.get("last", 1)) > 0:
        argv += ["--keep-last", str(int(keep.get("last", 1)))]
    if prune:
        argv.append("--prune")
    return argv


def backup_summary(stdout):
    """The summary message of ``restic backup --json`` (data_added, snapshot_id, ...)."""
    for line in reversed(stdout.splitlines()):
        line = line.strip()
        if line.startswith("{"):
            try:
                msg = json.loads(line)
            except ValueError:
                continue
            if msg.get("message_type") == "summary":
                return msg
    raise BackupError("restic backup printed no summary")


# --- The backup run ------------------------------------------------------------------------------------------
def plan_backup(config):
    """What this node backs up: {'paths': [...], 'sqlite': [(src, dest)], 'etcd': bool, 'excludes': [...]}."""
    staging = config["staging_dir"]
    storage = config.get("local_path_dir") or ""
    paths, copies, excludes = [], [], list(config.get("excludes") or [])
    for path in [config.get("nfs_export") or ""] + list(config.get("extra_paths") or []):
        if path and os.path.isdir(path):
            paths.append(path)
    if storage:
        paths += local_homes(storage, config.get("home_pvc_prefix", "claim-"))
        for db in hub_databases(storage, config.get("hub_db_pvc", "hub-db-dir"),
                                config.get("hub_db_file", "jupyterhub.sqlite")):
            copies.append((db["path"], os.path.join(staging, "hub-db", db["folder"], os.path.basename(db["path"]))))
    server = config.get("k3s_server_dir") or ""
    datastore = config.get("datastore", "none")
    if datastore == "sqlite":
        copies.append((os.path.join(server, "db", "state.db"), os.path.join(staging, "k3s", "state.db")))
    if datastore in ("sqlite", "etcd"):
        paths.append(os.path.join(server, "token"))
    if copies or datastore == "etcd":
        paths.append(staging)
    return {"paths": paths, "sqlite": copies, "etcd": datastore == "etcd", "excludes": excludes}


def run(argv, env=None, check=True):
    proc = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, universal_newlines=True,
                          env=env, check=False)
    if check and proc.returncode != 0:
        raise BackupError("%s failed (rc %d): %s" % (" ".join(argv[:2]), proc.returncode, proc.stderr.strip()))
    return proc


def run_locked(argv, wait, sleep=15, env=None):
    """Run a restic command that needs the exclusive lock, retrying while another node's backup holds it."""
    deadline = time.time() + wait
    while True:
        proc = run(argv, env=env, check=False)
        if proc.returncode == 0:
            return proc
        if time.time() >= deadline or not any(m in proc.stderr for m in LOCK_MARKERS):
            raise BackupError("%s failed (rc %d): %s" % (" ".join(argv[:2]), proc.returncode, proc.stderr.strip()))
        time.sleep(sleep)


def backup(config, log=None):
    """One backup of this node: consistent copies into the staging folder, restic backup, retention.

    ``log`` receives one line of progress at a time (the node's runner prints them to the journal).
    """
    log = log or (lambda msg: None)
    plan = plan_backup(config)
    staging = config["staging_dir"]
    restic = config.get("restic", "restic")
    if os.path.isdir(staging):
        shutil.rmtree(staging)
    os.makedirs(staging, mode=0o700)
    for src, dest in plan["sqlite"]:
        sqlite_copy(src, dest)
        log("copied %s (SQLite online backup)" % src)
    if plan["etcd"]:
        snapdir = os.path.join(staging, "k3s", "etcd")
        os.makedirs(snapdir, mode=0o700)
        run([config.get("k3s_bin", "k3s"), "etcd-snapshot", "save", "--name", "versatile-backup", "--dir", snapdir])
        log("saved an etcd snapshot")
    if not plan["paths"]:
        log("nothing to back up on this node")
        return None
    proc = run(restic_backup_argv(restic, config["host"], config["tag"], plan["paths"], plan["excludes"], True))
    summary = backup_summary(proc.stdout)
    log("snapshot %s: %d files, %d bytes added" % (
        summary.get("snapshot_id", "?")[:8], summary.get("total_files_processed", 0), summary.get("data_added", 0)))
    keep = config.get("keep") or {}
    if keep:
        run_locked(restic_forget_argv(restic, config["host"], config["tag"], keep, config.get("prune", False)),
                   int(config.get("lock_wait", 600)))
        log("retention applied")
    shutil.rmtree(staging)
    return summary


# --- Restore -------------------------------------------------------------------------------------------------
def select_snapshot(snapshots, wanted="latest"):
    """Pick a snapshot from ``restic snapshots --json`` output: the newest, or the one whose id starts with it."""
    if not snapshots:
        return None
    if wanted in ("", "latest"):
        return sorted(snapshots, key=lambda s: s["time"])[-1]
    for snap in snapshots:
        if snap["id"].startswith(wanted) or snap.get("short_id") == wanted:
            return snap
    return None


def restore_includes(layout, scope, hub="", user=""):
    """restic --include patterns for a restore of everything, one hub or one user's home(s)."""
    export, storage, staging = layout.get("nfs_export"), layout.get("local_path_dir"), layout["staging_dir"]
    prefix, db_pvc = layout.get("home_pvc_prefix", "claim-"), layout.get("hub_db_pvc", "hub-db-dir")
    ns = hub or "*"
    if scope == "all":
        pats = [p for p in (export,) if p]
        if storage:
            pats.append(os.path.join(storage, "*_*_" + prefix + "*"))
        pats.append(os.path.join(staging, "hub-db"))
        if layout.get("datastore"):
            pats.append(os.path.join(staging, "k3s"))
            pats.append(os.path.join(layout["k3s_server_dir"], "token"))
        return pats
    home = prefix + (user or "*")
    pats = []
    if export:
        pats.append(os.path.join(export, "%s-%s-pvc-*" % (ns, home)))
    if storage:
        pats.append(os.path.join(storage, "*_%s_%s" % (ns, home)))
    if scope == "hub":
        pats.append(os.path.join(staging, "hub-db", "*_%s_%s" % (hub, db_pvc)))
    return pats


def _claim_key(name):
    vol = local_path_volume(name)
    return {"key": "%s_%s" % (vol["namespace"], vol["pvc"])} if vol else None


def _map_folder(name, existing, parse, key):
    """The folder a restored volume goes to: itself, or the one volume now bound to the same claim."""
    if name in existing:
        return name
    vol = parse(name)
    if not vol:
        return name
    same = [e for e in existing if (parse(e) or {}).get(key) == vol[key]]
    return same[0] if len(same) == 1 else name


def restore_items(work, layout):
    """What a restic restore into ``work`` holds, as [{kind, src, dest, delete}] with current destinations.

    A volume restored onto a cluster where the same claim is now bound to another volume (a new cluster, or a
    claim deleted and created again) goes into that volume's folder.
    """
    items = []
    export = layout.get("nfs_export")
    if export:
        existing = list_dirs(export)
        for name in list_dirs(work + export):
            dest = _map_folder(name, existing, nfs_volume, "prefix")
            items.append({"kind": "nfs", "src": os.path.join(work + export, name),
                          "dest": os.path.join(export, dest), "delete": True})
    storage = layout.get("local_path_dir")
    if storage:
        existing = list_dirs(storage)
        for name in list_dirs(work + storage):
            dest = _map_folder(name, existing, _claim_key, "key")
            items.append({"kind": "home", "src": os.path.join(work + storage, name),
                          "dest": os.path.join(storage, dest), "delete": True})
        staged = os.path.join(work + layout["staging_dir"], "hub-db")
        for name in list_dirs(staged):
            dest = _map_folder(name, existing, _claim_key, "key")
            db_file = layout.get("hub_db_file", "jupyterhub.sqlite")
            items.append({"kind": "hub_db", "namespace": (local_path_volume(name) or {}).get("namespace", ""),
                          "src": os.path.join(staged, name, db_file),
                          "dest": os.path.join(storage, dest, db_file), "delete": False})
    if layout.get("datastore"):
        server = layout["k3s_server_dir"]
        staged = os.path.join(work + layout["staging_dir"], "k3s")
        if os.path.isfile(os.path.join(staged, "state.db")):
            items.append({"kind": "datastore", "src": os.path.join(staged, "state.db"),
                          "dest": os.path.join(server, "db", "state.db"), "delete": False})
        if os.path.isdir(os.path.join(staged, "etcd")):
            items.append({"kind": "etcd_snapshot", "src": os.path.join(staged, "etcd"),
                          "dest": os.path.join(server, "db", "snapshots", "versatile-restore"), "delete": False})
        if os.path.isfile(work + os.path.join(server, "token")):
            items.append({"kind": "token", "src": work + os.path.join(server, "token"),
                          "dest": os.path.join(server, "token"), "delete": False})
    return items


def rsync_argv(item, dry_run):
    """rsync of one restored item onto its destination (a folder's content, or one file)."""
    argv = ["rsync", "--archive", "--hard-links", "--numeric-ids", "--checksum", "--itemize-changes"]
    if item["delete"]:
        argv.append("--delete")
    if dry_run:
        argv.append("--dry-run")
    if os.path.isdir(item["src"]):
        return argv + [item["src"].rstrip("/") + "/", item["dest"].rstrip("/") + "/"]
    return argv + [item["src"], item["dest"]]


def parse_itemized(stdout):
    """rsync --itemize-changes lines -> {'changes': [...], 'overwrites': [...]} (new files overwrite nothing)."""
    changes, overwrites = [], []
    for line in stdout.splitlines():
        if not line.strip():
            continue
        code, dummy, path = line.partition(" ")
        path = path.strip()
        if code == "*deleting":
            changes.append(line)
            overwrites.append(path)
            continue
        if len(code) < 11 or code[0] not in "<>ch.":
            continue
        if code[0] == "." and set(code[2:]) <= {".", " "}:
            continue  # unchanged entry listed for its attributes only
        if code[2:] == "+" * (len(code) - 2):
            changes.append(line)  # a new file or folder
            continue
        if code[1] == "d" and code[0] == ".":
            continue  # a folder's time or mode only
        changes.append(line)
        overwrites.append(path)
    return {"changes": changes, "overwrites": overwrites}


def sqlite_side_files(db_path):
    return [db_path + s for s in SQLITE_SIDE_FILES if os.path.exists(db_path + s)]
