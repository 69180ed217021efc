"""The backup runner and restore planning (plugins/module_utils/backup.py), without restic."""
import os
import sqlite3
import threading

import pytest

from ansible_collections.versatile.jupyter.plugins.module_utils import backup as bk

PV = "pvc-11111111-1111-4111-8111-111111111111"
PV2 = "pvc-99999999-9999-4999-8999-999999999999"


def test_folder_names_as_the_provisioners_write_them():
    assert bk.local_path_volume(PV + "_physics_hub-db-dir") == {"pv": PV, "namespace": "physics",
                                                                 "pvc": "hub-db-dir"}
    assert bk.local_path_volume("lost+found") is None
    assert bk.nfs_volume("my-hub-claim-alice-" + PV) == {"prefix": "my-hub-claim-alice", "pv": PV}
    assert bk.nfs_volume("archived-physics-claim-alice-" + PV) is None
    assert bk.nfs_volume("shared") is None


def test_restic_command_lines_never_hold_the_password():
    argv = bk.restic_backup_argv("restic", "node1", "versatile-jupyter", ["/srv/nfs/hubs"], ["*.tmp"], True)
    assert argv == ["restic", "backup", "--host", "node1", "--tag", "versatile-jupyter", "--exclude", "*.tmp",
                    "--json", "/srv/nfs/hubs"]
    forget = bk.restic_forget_argv("restic", "node1", "t", {"daily": 7, "weekly": 4, "monthly": 6, "last": 1}, True)
    assert forget[-9:] == ["--keep-daily", "7", "--keep-weekly", "4", "--keep-monthly", "6", "--keep-last", "1",
                           "--prune"][-9:]
    assert "--prune" not in bk.restic_forget_argv("restic", "n", "t", {"daily": 1}, False)
    assert not any("password" in a.lower() for a in argv + forget)


def test_sqlite_copy_of_a_database_being_written(tmp_path):
    src = str(tmp_path / "state.db")
    db = sqlite3.connect(src, check_same_thread=False)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("CREATE TABLE kine (id INTEGER PRIMARY KEY, value BLOB)")
    db.commit()
    stop = threading.Event()

    def writer():
        i = 0
        while not stop.is_set():
            db.execute("INSERT INTO kine (value) VALUES (?)", (os.urandom(100),))
            db.commit()
            i += 1

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        dest = str(tmp_path / "copy" / "state.db")
        bk.sqlite_copy(src, dest)
    finally:
        stop.set()
        thread.join()
    copy = sqlite3.connect(dest)
    assert copy.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert copy.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
    assert copy.execute("SELECT count(*) FROM kine").fetchone()[0] >= 0
    assert oct(os.stat(dest).st_mode & 0o777) == "0o600"


def make_layout(tmp_path):
    export, storage = tmp_path / "export", tmp_path / "storage"
    (export / ("physics-claim-alice-" + PV)).mkdir(parents=True)
    (export / "shared" / "projects").mkdir(parents=True)
    (storage / (PV + "_chem_claim-carol")).mkdir(parents=True)
    db_dir = storage / (PV2 + "_physics_hub-db-dir")
    db_dir.mkdir()
    sqlite3.connect(str(db_dir / "jupyterhub.sqlite")).execute("CREATE TABLE users (id INTEGER)").connection.commit()
    (storage / (PV2 + "_registry_registry-data")).mkdir()
    return {"staging_dir": str(tmp_path / "staging"), "nfs_export": str(export), "local_path_dir": str(storage),
            "k3s_server_dir": str(tmp_path / "server"), "datastore": "sqlite"}


def test_plan_backup_finds_homes_databases_and_the_datastore(tmp_path):
    config = make_layout(tmp_path)
    plan = bk.plan_backup(config)
    storage = config["local_path_dir"]
    assert plan["paths"] == [config["nfs_export"], os.path.join(storage, PV + "_chem_claim-carol"),
                             os.path.join(config["k3s_server_dir"], "token"), config["staging_dir"]]
    assert [d for _, d in plan["sqlite"]] == [
        os.path.join(config["staging_dir"], "hub-db", PV2 + "_physics_hub-db-dir", "jupyterhub.sqlite"),
        os.path.join(config["staging_dir"], "k3s", "state.db")]
    assert not any("registry" in p for p in plan["paths"])  # other local-path volumes are not homes


def test_restore_patterns():
    layout = {"staging_dir": "/s", "nfs_export": "/e", "local_path_dir": "/l", "k3s_server_dir": "/k"}
    assert bk.restore_includes(layout, "user", "physics", "alice") == ["/e/physics-claim-alice-pvc-*",
                                                                        "/l/*_physics_claim-alice"]
    assert bk.restore_includes(layout, "user", "", "alice")[0] == "/e/*-claim-alice-pvc-*"
    assert bk.restore_includes(layout, "hub", "physics")[-1] == "/s/hub-db/*_physics_hub-db-dir"
    assert bk.restore_includes(dict(layout, datastore=True), "all")[-2:] == ["/s/k3s", "/k/token"]


def test_restored_volumes_go_to_the_folder_now_bound_to_the_claim(tmp_path):
    layout = make_layout(tmp_path)
    work = str(tmp_path / "work")
    old = work + os.path.join(layout["nfs_export"], "physics-claim-alice-" + PV2)
    os.makedirs(old)
    os.makedirs(work + os.path.join(layout["nfs_export"], "physics-claim-bob-" + PV2))
    items = bk.restore_items(work, layout)
    dests = {os.path.basename(i["src"]): i["dest"] for i in items}
    # alice's claim is bound to another volume now: her files go there; bob has no volume: his old name is kept
    assert dests["physics-claim-alice-" + PV2] == os.path.join(layout["nfs_export"], "physics-claim-alice-" + PV)
    assert dests["physics-claim-bob-" + PV2] == os.path.join(layout["nfs_export"], "physics-claim-bob-" + PV2)


@pytest.mark.parametrize("lines,changes,overwrites", [
    (">f+++++++++ data/new.bin\ncd+++++++++ data/\n", 2, 0),
    (">f.st...... notebook.ipynb\n", 1, 1),
    ("*deleting   created-after-backup\n", 1, 1),
    (".d..t...... ./\n.f...p..... x\n", 1, 1),
    ("", 0, 0),
])
def test_rsync_itemized_changes(lines, changes, overwrites):
    found = bk.parse_itemized(lines)
    assert (len(found["changes"]), len(found["overwrites"])) == (changes, overwrites)


def test_rsync_argv():
    folder = bk.rsync_argv({"src": "/", "dest": "/x", "delete": True}, dry_run=True)
    assert folder[-2:] == ["/", "/x/"] and "--delete" in folder and "--dry-run" in folder
    assert "--delete" not in bk.rsync_argv({"src": "/etc/hostname", "dest": "/x/h", "delete": False}, False)
