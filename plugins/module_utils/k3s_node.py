# -*- coding: utf-8 -*-
# Copyright (c) versatile.jupyter contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What a k3s node holds, read in one pass (module k3s_node_info): the installed version, the units' state,
the checksums of the files the roles write, the entries of the folders they fill, the Debian packages they need
and the answers of version queries (helm). Plain functions, so that a role asks a node "is anything to do?" in
one round trip and the answers are unit-tested without Ansible."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import hashlib
import os
import platform
import re
import stat
import subprocess

UNIT_PROPERTIES = ("LoadState", "ActiveState", "UnitFileState", "InvocationID")
_VERSION = re.compile(r"k3s version (\S+)")


def parse_version(text):
    """The release in `k3s --version` output ('k3s version v1.31.4+k3s1 (abc)'), or '' when absent."""
    match = _VERSION.search(text or "")
    return match.group(1) if match else ""


def parse_systemctl_show(text, units):
    """`systemctl show -p ... UNIT...` prints one block of KEY=VALUE lines a unit, in the order asked, blocks
    separated by an empty line. Returns {unit: {property: value}} with every property of UNIT_PROPERTIES."""
    blocks = [b for b in re.split(r"\n\s*\n", (text or "").strip()) if b.strip()]
    result = {}
    for unit, block in zip(units, blocks):
        props = dict.fromkeys(UNIT_PROPERTIES, "")
        for line in block.splitlines():
            key, sep, value = line.partition("=")
            if sep and key in props:
                props[key] = value.strip()
        result[unit] = props
    for unit in units[len(blocks):]:
        result[unit] = dict.fromkeys(UNIT_PROPERTIES, "")
    return result


def file_state(path):
    """exists, sha256 of the content, mode ('0600'), uid and gid of a regular file (exists false otherwise)."""
    try:
        info = os.stat(path)
    except OSError:
        return {"exists": False, "sha256": "", "mode": "", "uid": -1, "gid": -1}
    if not stat.S_ISREG(info.st_mode):
        return {"exists": False, "sha256": "", "mode": "", "uid": info.st_uid, "gid": info.st_gid}
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return {"exists": True, "sha256": digest.hexdigest(), "mode": "%04o" % stat.S_IMODE(info.st_mode),
            "uid": info.st_uid, "gid": info.st_gid}


def directory_state(path):
    """Whether a folder exists, the sorted names in it, its mode (octal string), uid and gid."""
    try:
        info = os.stat(path)
        return {"exists": True, "entries": sorted(os.listdir(path)), "mode": "%04o" % stat.S_IMODE(info.st_mode),
                "uid": info.st_uid, "gid": info.st_gid}
    except OSError:
        return {"exists": False, "entries": [], "mode": "", "uid": -1, "gid": -1}


def parse_dpkg_query(text, names):
    """`dpkg-query -W -f '${Package}\\t${db:Status-Abbrev}\\t${Version}\\n' NAME...` prints a line a known
    package ("ii " when installed). Returns {name: {installed, version}} for every name asked."""
    found = {}
    for line in (text or "").splitlines():
        fields = line.split("\t")
        if len(fields) == 3:
            name = fields[0].split(":", 1)[0]  # python3-bcrypt:amd64 for Multi-Arch packages
            found[name] = {"installed": fields[1].startswith("ii"), "version": fields[2].strip()}
    absent = {"installed": False, "version": ""}
    return dict((name, found.get(name, absent)) for name in names)


def _run(argv):
    """(exit status, stdout, stderr) of a command; 127 and the reason when it cannot start."""
    try:
        proc = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, check=False,
                              universal_newlines=True)
    except OSError as exc:
        return 127, "", str(exc)
    return proc.returncode, proc.stdout, proc.stderr


def node_state(bin_dir, units, files, directories, packages=(), commands=None, run=_run):
    """Everything the roles compare with what they would write, in one pass on the node. commands: name ->
    argv of a read-only query (a version); its exit status and output are returned under that name."""
    binary = os.path.join(bin_dir, "k3s") if bin_dir else ""
    version = ""
    if binary and os.access(binary, os.X_OK):
        rc, out, _err = run([binary, "--version"])
        version = parse_version(out) if rc == 0 else ""
    unit_state = {}
    if units:
        names = [u if u.endswith(".service") else u + ".service" for u in units]
        rc, out, _err = run(["systemctl", "show", "-p", ",".join(UNIT_PROPERTIES)] + names)
        shown = parse_systemctl_show(out if rc == 0 else "", names)
        unit_state = dict((unit, shown[name]) for unit, name in zip(units, names))
    package_state = {}
    if packages:
        _rc, out, _err = run(["dpkg-query", "-W", "-f", "${Package}\t${db:Status-Abbrev}\t${Version}\n"]
                             + list(packages))
        package_state = parse_dpkg_query(out, packages)
    answers = {}
    for name, argv in sorted((commands or {}).items()):
        rc, out, err = run(list(argv))
        answers[name] = {"rc": rc, "stdout": out.strip(), "stderr": err.strip()}
    return {
        "architecture": platform.machine(),
        "version": version,
        "units": unit_state,
        "files": dict((path, file_state(path)) for path in files),
        "directories": dict((path, directory_state(path)) for path in directories),
        "packages": package_state,
        "commands": answers,
    }
