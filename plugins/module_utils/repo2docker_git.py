# -*- coding: utf-8 -*-
# Copyright (c) versatile.jupyter contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Git for repo2docker builds: a branch, tag or sha to a commit (``resolve_ref``: ``git ls-remote`` for remote
repositories, ``git rev-parse`` for local paths), and the checkout of that commit (``checkout``).

Plain functions, no Ansible import: unit-tested on real git repositories in tests/unit/test_repo2docker_git.py.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import collections
import os
import re

from ansible_collections.versatile.jupyter.plugins.module_utils.repo2docker_command import run, tail
from ansible_collections.versatile.jupyter.plugins.module_utils.repo2docker_errors import Repo2DockerError

_SHA1 = re.compile(r"^[0-9a-f]{40}$")


def is_sha1(ref):
    """Whether ``ref`` is a full 40-hex commit sha."""
    return bool(_SHA1.match(ref or ""))


def is_local_repo(repo):
    """A local path (absolute, relative or ~), as opposed to a URL or an scp-like ssh address."""
    if "://" in repo:
        return False
    if re.match(r"^[\w.\-]+@[\w.\-]+:", repo):
        return False
    return repo.startswith(("/", "./", "../", "~")) or os.path.isdir(os.path.expanduser(repo))


def _last_line(text):
    lines = [line for line in (text or "").strip().splitlines() if line.strip()]
    return lines[-1] if lines else ""


def resolve_ref(repo, ref="HEAD", runner=run, timeout=120):
    """Resolve ``ref`` of ``repo`` to a full commit sha.

    Remote repositories: a full sha is taken as is (as BinderHub does); anything else goes through
    ``git ls-remote`` (heads first, then peeled tags, then other refs). Local paths: ``git rev-parse``,
    so short shas and expressions like ``main~1`` work too.
    """
    ref = ref or "HEAD"
    if is_local_repo(repo):
        path = os.path.abspath(os.path.expanduser(repo))
        if not os.path.isdir(path):
            raise Repo2DockerError("unreachable", "repo %s: no such directory" % repo)
        rc, out, err = runner(["git", "-C", path, "rev-parse", "--git-dir"], timeout=timeout)
        if rc != 0:
            raise Repo2DockerError("unreachable", "repo %s is not a git repository: %s" % (repo, _last_line(err)))
        rc, out, err = runner(["git", "-C", path, "rev-parse", "--verify", "--quiet", "%s^{commit}" % ref],
                              timeout=timeout)
        if rc != 0 or not is_sha1(out.strip()):
            raise Repo2DockerError("ref_not_found", "ref %r not found in repo %s" % (ref, repo))
        return out.strip()
    if is_sha1(ref):
        return ref
    # "<ref>^{}" too: annotated tags are listed peeled only under that name.
    rc, out, err = runner(["git", "ls-remote", "--", repo, ref, ref + "^{}"], timeout=timeout)
    if rc != 0:
        raise Repo2DockerError("unreachable", "repo %s is unreachable (git ls-remote exit %s): %s"
                               % (repo, rc, _last_line(err)))
    refs = parse_ls_remote(out)
    sha = pick_ref(refs, ref)
    if not sha:
        hint = " (remote repositories resolve branch and tag names and full 40-hex shas)" if re.match(
            r"^[0-9a-f]{4,39}$", ref) else ""
        raise Repo2DockerError("ref_not_found", "ref %r not found in repo %s%s" % (ref, repo, hint))
    return sha


def parse_ls_remote(text):
    """``git ls-remote`` output as an ordered dict ref name -> sha."""
    refs = collections.OrderedDict()
    for line in text.splitlines():
        parts = line.strip().split(None, 1)
        if len(parts) == 2 and is_sha1(parts[0]):
            refs[parts[1]] = parts[0]
    return refs


def pick_ref(refs, ref):
    """The commit ``ref`` names among ``refs``: HEAD, a branch, a (peeled) tag, then any full name."""
    candidates = [ref] if ref == "HEAD" else []
    candidates += ["refs/heads/%s" % ref, "refs/tags/%s^{}" % ref, "refs/tags/%s" % ref,
                   "%s^{}" % ref, ref]
    for name in candidates:
        if name in refs:
            return refs[name]
    for name, sha in refs.items():  # e.g. ref "main" matching refs/remotes/origin/main only
        if name.endswith("/" + ref) and not name.endswith("^{}"):
            return refs.get(name + "^{}", sha)
    return None


def checkout(repo, resolved_ref, dest, runner=run, timeout=1800):
    """Clone ``repo`` into ``dest`` and check out ``resolved_ref`` (with submodules)."""
    source = os.path.abspath(os.path.expanduser(repo)) if is_local_repo(repo) else repo
    rc, out, err = runner(["git", "clone", "--quiet", "--no-checkout", "--", source, dest], timeout=timeout)
    if rc != 0:
        raise Repo2DockerError("unreachable", "git clone of %s failed: %s" % (repo, _last_line(err)),
                               tail(err))
    rc, out, err = runner(["git", "-C", dest, "checkout", "--quiet", "--detach", resolved_ref], timeout=timeout)
    if rc != 0:
        raise Repo2DockerError("ref_not_found", "commit %s not found in repo %s: %s"
                               % (resolved_ref, repo, _last_line(err)))
    if os.path.exists(os.path.join(dest, ".gitmodules")):
        rc, out, err = runner(["git", "-C", dest, "submodule", "update", "--init", "--recursive", "--quiet"],
                              timeout=timeout)
        if rc != 0:
            raise Repo2DockerError("unreachable", "submodules of %s failed: %s" % (repo, _last_line(err)),
                                   tail(err))
