# -*- coding: utf-8 -*-
# Copyright (c) versatile.jupyter contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The commands a repo2docker build runs: the runner (``run``, for git and repo2docker), log tails without
secrets (``tail``), and the repo2docker command line, described once in ``R2D_ARGS``.

Plain functions, no Ansible import: unit-tested in tests/unit/test_repo2docker_command.py.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import shutil
import subprocess
import sys

LOG_TAIL_LINES = 40


def run(argv, env=None, cwd=None, timeout=None):
    """Run a command, return (rc, stdout, stderr) as text. A missing executable gives rc 127."""
    full_env = dict(os.environ)
    full_env.update(env or {})
    full_env.setdefault("GIT_TERMINAL_PROMPT", "0")
    try:
        proc = subprocess.run(argv, env=full_env, cwd=cwd, timeout=timeout, stdin=subprocess.DEVNULL,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, check=False)
    except FileNotFoundError as exc:
        return 127, "", str(exc)
    except subprocess.TimeoutExpired:
        return 124, "", "%s timed out after %s s" % (argv[0], timeout)
    return proc.returncode, proc.stdout.decode("utf-8", "replace"), proc.stderr.decode("utf-8", "replace")


def tail(text, lines=LOG_TAIL_LINES, secrets=()):
    """The last ``lines`` non-empty lines of ``text``, each secret replaced by ********."""
    out = [line for line in text.splitlines() if line.strip()][-lines:]
    for secret in secrets:
        if secret:
            out = [line.replace(secret, "********") for line in out]
    return out


def _labels(labels):
    argv = []
    for key in sorted(labels):
        argv += ["--label", "%s=%s" % (key, labels[key])]
    return argv


# (option, formatter): each formatter maps the option's value to its arguments.
R2D_ARGS = (
    ("no_run", lambda v: ["--no-run"] if v else []),
    ("image", lambda v: ["--image-name", v]),
    ("user_id", lambda v: ["--user-id", str(v)]),
    ("user_name", lambda v: ["--user-name", v]),
    ("labels", _labels),
    ("push", lambda v: ["--push"] if v else []),
    ("target_repo_dir", lambda v: ["--target-repo-dir", v] if v else []),
    ("extra_args", lambda v: list(v or [])),
)


def target_repo_dir_error(path, name="target_repo_dir"):
    """None, or why ``path`` (the setting ``name``) cannot be where repo2docker puts the repository."""
    if not path:
        return None
    if not isinstance(path, str) or not path.startswith("/") or path.rstrip("/") == "" or "\n" in path:
        return "%s %r must be an absolute folder in the image, such as /srv/repo" % (name, path)
    if any(part in (".", "..") for part in path.split("/")):
        return "%s %r must not contain . or .. parts" % (name, path)
    return None


def repo2docker_command(command=None, which=shutil.which):
    """argv prefix that runs repo2docker: the given command, the ``repo2docker`` executable next to
    this Python or on PATH, or ``python -m repo2docker``."""
    if command:
        return list(command) if isinstance(command, (list, tuple)) else [command]
    beside = os.path.join(os.path.dirname(sys.executable), "repo2docker")
    if os.access(beside, os.X_OK):
        return [beside]
    found = which("repo2docker")
    if found:
        return [found]
    return [sys.executable, "-m", "repo2docker"]


def build_argv(prefix, source_dir, **options):
    """The full repo2docker command line (``source_dir`` last)."""
    options.setdefault("no_run", True)
    argv = list(prefix)
    for name, formatter in R2D_ARGS:
        if name in options and options[name] is not None:
            argv += formatter(options[name])
    return argv + [source_dir]


def build_labels(repo, ref, resolved_ref, extra=None):
    """Labels recording what the image was built from (repo2docker's own keys point at our checkout
    otherwise; these later labels win)."""
    labels = {
        "repo2docker.repo": repo,
        "repo2docker.ref": resolved_ref,
        "org.opencontainers.image.source": repo,
        "org.opencontainers.image.revision": resolved_ref,
        "io.versatile-jupyter.ref": ref,
    }
    labels.update(extra or {})
    return labels
