#!/usr/bin/python3
"""One backup of this node (versatile.jupyter backup role): python3 versatile-backup.py CONFIG.json

Run by versatile-jupyter-backup.service with the repository settings in its environment. The work is done by
backup_lib.py beside this file (the collection's plugins/module_utils/backup.py).
"""
import json
import os
import sqlite3
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import backup_lib  # noqa: E402


def main(argv):
    if len(argv) != 1:
        print("usage: versatile-backup.py CONFIG.json", file=sys.stderr)
        return 2
    with open(argv[0]) as f:
        config = json.load(f)
    try:
        backup_lib.backup(config, log=lambda msg: print(msg, flush=True))
    except (backup_lib.BackupError, OSError, sqlite3.Error) as err:
        print("backup failed: %s" % err, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
