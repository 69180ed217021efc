#!/usr/bin/env python3
"""Benchmark: a first backup of 1 000 files and a second one with nothing changed (then one with 1 % changed).

Runs the backup role's own runner (plugins/module_utils/backup.py: the SQLite online copy of a hub database,
the restic command lines it builds) with Debian's restic on this machine, against a local repository in a
temporary folder. The files are laid out as the NFS provisioner lays out homes (<export>/<hub>-claim-<user>-
<pv>), 20 homes of 50 files with random (incompressible) content of 1 to 64 KiB, plus a hub database of 2 000
users on a local-path volume. Prints the time of each backup and the bytes it added to the repository (restic's
data_added and the growth of the repository folder on disk; retention is off so that nothing is
removed between runs). No assertions: figures for docs/backup.md.

Run:  python3 benchmarks/backup.py [--files 1000]
"""
import argparse
import os
import random
import sqlite3
import sys
import tempfile
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(REPO, "plugins", "module_utils"))

import backup as runner  # noqa: E402  (installed on the nodes as backup_lib.py)


def du(path):
    return sum(os.path.getsize(os.path.join(d, f)) for d, _, files in os.walk(path) for f in files)


def layout(root, files, rng):
    export, storage = os.path.join(root, "export"), os.path.join(root, "storage")
    homes = 20
    for h in range(homes):
        home = os.path.join(export, "physics-claim-user%02d-pvc-%08d-0000-4000-8000-%012d" % (h, h, h))
        for i in range(files // homes):
            path = os.path.join(home, "work" if i % 2 else "data", "file%03d.bin" % i)
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, "wb") as f:
                f.write(rng.randbytes(rng.randint(1024, 65536)))
    db_dir = os.path.join(storage, "pvc-00000000-0000-4000-8000-000000000000_physics_hub-db-dir")
    os.makedirs(db_dir)
    db = sqlite3.connect(os.path.join(db_dir, "jupyterhub.sqlite"))
    db.execute("CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT, created TEXT)")
    db.executemany("INSERT INTO users (name, created) VALUES (?, datetime('now'))",
                   [("user%04d" % i,) for i in range(2000)])
    db.commit()
    db.close()
    return export, storage


def timed_backup(config, repo):
    size = du(repo)
    start = time.perf_counter()
    summary = runner.backup(config, log=lambda msg: None)
    took = time.perf_counter() - start
    return took, summary, du(repo) - size


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=1000)
    args = parser.parse_args()
    rng = random.Random(2026)
    with tempfile.TemporaryDirectory(prefix="backup-bench-") as tmp:
        export, storage = layout(tmp, args.files, rng)
        repo = os.path.join(tmp, "repo")
        with open(os.path.join(tmp, "password"), "w") as f:
            f.write("benchmark-password")
        os.environ.update(RESTIC_REPOSITORY=repo, RESTIC_PASSWORD_FILE=os.path.join(tmp, "password"),
                          RESTIC_CACHE_DIR=os.path.join(tmp, "cache"))
        runner.run(["restic", "init"])
        config = {"host": "bench-node", "tag": "versatile-jupyter", "restic": "restic",
                  "staging_dir": os.path.join(tmp, "staging"), "nfs_export": export, "local_path_dir": storage,
                  "datastore": "none", "keep": {}}  # no forget/prune: the growth is the backup's own
        data = du(export)
        version = runner.run(["restic", "version"]).stdout.strip()
        print("%s; %d files, %.1f MiB of homes, a hub database of 2 000 users" % (version, args.files,
                                                                                  data / 2 ** 20))
        runs = [("first backup", None), ("second, nothing changed", None),
                ("third, 1 % of the files rewritten", 0.01)]
        for label, change in runs:
            if change:
                paths = sorted(os.path.join(d, n) for d, _, names in os.walk(export) for n in names)
                for path in paths[:: int(1 / change)]:
                    with open(path, "wb") as f:
                        f.write(rng.randbytes(32768))
            took, summary, grown = timed_backup(config, repo)
            print("%-36s %7.2f s   data_added %11d B   repository grew %11d B   files %d" % (
                label, took, summary["data_added"], grown, summary["total_files_processed"]))


if __name__ == "__main__":
    main()
