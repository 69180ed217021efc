"""Test helper for molecule/backup, run inside backup-node with python3.

`state.py layout`   writes what a cluster would hold: homes and shared folders on the NFS export as the
                    nfs-subdir-external-provisioner names them, a node-local home and a hub database as k3s's
                    local-path provisioner names them, and a k3s SQLite datastore (WAL mode, kine's table).
`state.py manifest` prints every file's type, mode, owner and sha256 (SQLite databases by integrity check and
                    rows instead of bytes) as JSON, for before/after comparisons.
`state.py login NAME` adds user NAME to the hub database, as the hub does at a first login.
`state.py db PATH`  prints one SQLite database's integrity check and rows as JSON.
"""
import hashlib
import json
import os
import random
import sqlite3
import sys

NFS = "/srv/nfs/hubs"
STORAGE = "/var/lib/rancher/k3s/storage"
SERVER = "/var/lib/rancher/k3s/server"
ALICE = NFS + "/physics-claim-alice-pvc-11111111-1111-4111-8111-111111111111"
BOB = NFS + "/physics-claim-bob-pvc-22222222-2222-4222-8222-222222222222"
CAROL = STORAGE + "/pvc-33333333-3333-4333-8333-333333333333_chem_claim-carol"
HUB_DB = STORAGE + "/pvc-44444444-4444-4444-8444-444444444444_physics_hub-db-dir/jupyterhub.sqlite"
STATE_DB = SERVER + "/db/state.db"
ROOTS = [NFS, STORAGE, SERVER]
DATABASES = ("jupyterhub.sqlite", "state.db")


def write(path, data, mode=0o644, uid=1000):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(data)
    os.chmod(path, mode)
    os.chown(path, uid, 100)


def home(root, rng):
    write(root + "/notebook.ipynb", json.dumps({"cells": [{"source": "print(%d)" % rng.random()}]}).encode())
    write(root + "/data/blob.bin", rng.randbytes(300000))
    write(root + "/data/deep/er/notes.txt", ("notes %f\n" % rng.random()).encode() * 50, 0o600)
    write(root + "/.bashrc", b"export A=1\n")
    os.symlink("data/blob.bin", root + "/link-to-blob")
    os.chown(root, 1000, 100)


def layout():
    rng = random.Random(13)
    home(ALICE, rng)
    home(BOB, rng)
    home(CAROL, rng)
    write(NFS + "/shared/projects/results.csv", b"x,y\n" + b"".join(b"%d,%d\n" % (i, i * i) for i in range(5000)))
    os.makedirs(os.path.dirname(HUB_DB), exist_ok=True)
    db = sqlite3.connect(HUB_DB)
    db.executescript("""
        CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT UNIQUE, admin BOOLEAN, created TEXT);
        CREATE TABLE api_tokens (id INTEGER PRIMARY KEY, user_id INTEGER, hashed TEXT, note TEXT);
    """)
    db.executemany("INSERT INTO users (name, admin, created) VALUES (?, ?, datetime('now'))",
                   [("alice", 1), ("bob", 0), ("carol", 0)] + [("user%03d" % i, 0) for i in range(200)])
    db.executemany("INSERT INTO api_tokens (user_id, hashed, note) VALUES (?, ?, ?)",
                   [(i % 203 + 1, hashlib.sha256(b"%d" % i).hexdigest(), "token %d" % i) for i in range(1000)])
    db.commit()
    db.close()
    os.makedirs(os.path.dirname(STATE_DB), exist_ok=True)
    kine = sqlite3.connect(STATE_DB)
    kine.execute("PRAGMA journal_mode=WAL")
    kine.execute("CREATE TABLE kine (id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT, created INTEGER, "
                 "deleted INTEGER, create_revision INTEGER, prev_revision INTEGER, lease INTEGER, value BLOB, "
                 "old_value BLOB)")
    kine.executemany("INSERT INTO kine (name, created, deleted, create_revision, prev_revision, lease, value, "
                     "old_value) VALUES (?, 1, 0, 0, 0, 0, ?, NULL)",
                     [("/registry/persistentvolumes/pvc-%04d" % i, rng.randbytes(200)) for i in range(300)])
    kine.commit()
    kine.close()  # the -wal file stays when another connection holds it; a closed db checkpoints it
    write(SERVER + "/token", b"K10stand-in-token::server:0123456789abcdef\n", 0o600, 0)


def rows(path):
    db = sqlite3.connect("file:%s?mode=ro" % path, uri=True)
    try:
        out = {"integrity": db.execute("PRAGMA integrity_check").fetchone()[0]}
        for (table,) in db.execute("SELECT name FROM sqlite_master WHERE type='table' ORDER BY name"):
            out[table] = sorted([[c.hex() if isinstance(c, bytes) else c for c in r]
                                 for r in db.execute("SELECT * FROM %s" % table)], key=repr)
        return out
    finally:
        db.close()


def manifest():
    files, dbs = {}, {}
    for root in ROOTS:
        for dirpath, dirnames, filenames in os.walk(root):
            for name in sorted(dirnames + filenames):
                path = os.path.join(dirpath, name)
                st = os.lstat(path)
                entry = [oct(st.st_mode), st.st_uid, st.st_gid]
                if os.path.islink(path):
                    entry.append("-> " + os.readlink(path))
                elif os.path.isfile(path):
                    if name in DATABASES:
                        dbs[path] = rows(path)
                        continue
                    if any(name.endswith(d + s) for d in DATABASES for s in ("-wal", "-shm", "-journal")):
                        continue
                    with open(path, "rb") as f:
                        entry.append(hashlib.sha256(f.read()).hexdigest())
                        entry.append(st.st_size)
                files[path] = entry
    print(json.dumps({"files": files, "databases": dbs}, sort_keys=True))


def login(name):
    db = sqlite3.connect(HUB_DB)
    try:
        db.execute("INSERT INTO users (name, admin, created) VALUES (?, 0, datetime('now'))", (name,))
        db.commit()
    finally:
        db.close()


def database(path):
    print(json.dumps(rows(path), sort_keys=True))


if __name__ == "__main__":
    {"layout": layout, "manifest": manifest, "login": login, "db": database}[sys.argv[1]](*sys.argv[2:])
