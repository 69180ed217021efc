# -*- coding: utf-8 -*-
# Copyright (c) versatile.jupyter contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Root-owned files put in place on a node: the missing parent folders (``make_parents``, shared with
config_files) and the files copy_files brings from the controller (``file_sha256``, ``needs_copy``,
``place_staged``, ``converge_copies``); ``put_in_place`` writes a file of either module without a half-written
moment. Plain functions, unit-tested in tests/unit/test_node_files.py."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import hashlib
import os
import shutil
import stat
import tempfile


def make_parents(path, directory_mode):
    """Create the missing folders above ``path``, root's with ``directory_mode`` (existing ones are left)."""
    parent = os.path.dirname(path)
    missing = []
    while parent and not os.path.isdir(parent):
        missing.append(parent)
        parent = os.path.dirname(parent)
    for folder in reversed(missing):
        os.mkdir(folder)
        os.chown(folder, 0, 0)
        os.chmod(folder, directory_mode)


def file_sha256(path):
    """The sha256 of a regular file's content, or None when there is no such file."""
    try:
        with open(path, "rb") as handle:
            if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):
                return None
            digest = hashlib.sha256()
            for chunk in iter(lambda: handle.read(1 << 20), b""):
                digest.update(chunk)
    except (FileNotFoundError, IsADirectoryError):
        return None
    return digest.hexdigest()


def needs_copy(dest, sha256, mode):
    """Whether ``dest`` differs from a root-owned file of content ``sha256`` and ``mode`` (an int)."""
    if file_sha256(dest) != sha256:
        return True
    info = os.stat(dest)
    return stat.S_IMODE(info.st_mode) != mode or info.st_uid != 0 or info.st_gid != 0


def put_in_place(path, mode, directory_mode, fill):
    """Make ``path`` a root-owned file of ``mode`` through a temporary file beside it, so that ``path`` is never
    half-written: ``fill(tmp)`` gives the temporary file (private, 0600) its content. Missing parent folders are
    created first (root's, ``directory_mode``)."""
    make_parents(path, directory_mode)
    fd, tmp = tempfile.mkstemp(dir=os.path.dirname(path), prefix="." + os.path.basename(path) + ".")
    os.close(fd)
    try:
        fill(tmp)
        os.chown(tmp, 0, 0)
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def place_staged(staged, dest, sha256, mode, directory_mode):
    """Move the transferred copy ``staged`` to ``dest``, root's with ``mode``, after checking that it arrived
    whole (its sha256)."""
    arrived = file_sha256(staged)
    if arrived != sha256:
        raise ValueError("%s arrived with sha256 %s, not the expected %s: the transfer was cut short or altered, "
                         "or the sha256 given is not the source's" % (dest, arrived, sha256))
    # A rename on the same file system, a copy across two.
    put_in_place(dest, mode, directory_mode, lambda tmp: shutil.move(staged, tmp))


def converge_copies(entries, directory_mode, check_mode):
    """Each entry: dest, sha256, mode (octal string) and, unless in check mode, staged (the copy the action
    plugin transferred). Returns (copied, diffs): the destinations written (or that would be), and a diff of
    sha256 lines for each. A staged copy that is not needed is removed."""
    copied, diffs = [], []
    for entry in entries:
        mode = int(entry["mode"], 8)
        before = file_sha256(entry["dest"])
        if needs_copy(entry["dest"], entry["sha256"], mode):
            copied.append(entry["dest"])
            diffs.append({"before_header": entry["dest"], "after_header": entry["dest"],
                          "before": "sha256 %s\n" % before if before else "",
                          "after": "sha256 %s, mode %s, owner root\n" % (entry["sha256"], entry["mode"])})
            if not check_mode:
                place_staged(entry["staged"], entry["dest"], entry["sha256"], mode, directory_mode)
        elif entry.get("staged") and os.path.exists(entry["staged"]):
            os.unlink(entry["staged"])
    return copied, diffs
