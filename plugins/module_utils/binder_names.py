# -*- coding: utf-8 -*-
# Copyright (c) versatile.jupyter contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Image names exactly as BinderHub gives them, so a BinderHub sharing the registry finds our images.

BinderHub (binderhub/builder.py) names an image
``(image_prefix + safe_build_slug(provider_slug) + ":" + resolved_ref).replace("_", "-").lower()``
where ``safe_build_slug`` escapes every character outside ``[A-Za-z0-9]`` as ``-`` plus its UTF-8
bytes in upper-case hex (the ``escapism`` rules, ``-`` itself included), cuts the result to fit, and
appends ``-`` plus the first 6 hex digits of the sha256 of the *unescaped, original-case* slug.
The provider slug depends on the repository provider (binderhub/repoproviders.py):

- ``gh`` (GitHub): ``<user>-<repo>`` with a trailing ``.git`` removed from the repository name;
- ``gl`` (GitLab): the namespace path with every ``-`` written ``_-`` and ``/`` joined by ``-``;
- ``gist``: the gist id;
- ``git`` (any git URL): the URL itself (``user@host:path`` rewritten ``ssh://user@host/path``).

Plain functions, no Ansible import: unit-tested in tests/unit/test_binder_names.py.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import hashlib
import os
import re
import string

try:  # Python 3
    from urllib.parse import urlparse
except ImportError:  # pragma: no cover - Python 2 is not supported by the collection
    from urlparse import urlparse  # type: ignore

from ansible_collections.versatile.jupyter.plugins.module_utils.image_ref import is_registry_host

PROVIDERS = ("auto", "gh", "gl", "gist", "git")
# BinderHub's limit for the whole image name (without the tag) is 255 characters.
IMAGE_NAME_LIMIT = 255
SLUG_HASH_LENGTH = 6
_SAFE = frozenset(string.ascii_letters + string.digits)
_GIT_SSH = re.compile(r"([\w\-]+@[\w\-\.]+):(.+)", re.IGNORECASE)


class BinderNameError(ValueError):
    """The repository cannot be named under the chosen provider's rules."""


def escape(text, escape_char="-"):
    """Escape like escapism.escape(text, safe=[A-Za-z0-9], escape_char): each unsafe character becomes
    escape_char + hex of each of its UTF-8 bytes (upper case, no zero padding)."""
    out = []
    for char in text:
        if char in _SAFE:
            out.append(char)
        else:
            out.extend("%s%X" % (escape_char, byte) for byte in bytearray(char.encode("utf-8")))
    return "".join(out)


def safe_build_slug(build_slug, limit, hash_length=SLUG_HASH_LENGTH):
    """BinderHub's safe slug: escaped slug cut to fit ``limit``, '-', short sha256 of the raw slug."""
    digest = hashlib.sha256(build_slug.encode("utf-8")).hexdigest()
    escaped = escape(build_slug)
    return ("%s-%s" % (escaped[: limit - hash_length - 1], digest[:hash_length])).lower()


def _strip_suffix(text, suffix):
    return text[: -len(suffix)] if suffix and text.endswith(suffix) else text


def detect_provider(repo):
    """The provider BinderHub's front page would pick for this URL (``git`` for anything else)."""
    parsed = urlparse(repo) if "://" in repo else None
    host = (parsed.hostname or "").lower() if parsed else ""
    if host == "gist.github.com":
        return "gist"
    if host == "github.com":
        return "gh"
    if host == "gitlab.com":
        return "gl"
    return "git"


def _path_parts(repo):
    if "://" not in repo:
        raise BinderNameError(
            "repo %r: the gh/gl/gist naming rules need an http(s) URL such as https://github.com/user/repo"
            % repo
        )
    path = urlparse(repo).path.strip("/")
    return [part for part in path.split("/") if part]


def provider_slug(repo, provider="auto"):
    """The build slug BinderHub's provider would return for ``repo`` (a URL or a local path)."""
    if provider not in PROVIDERS:
        raise BinderNameError("binder_provider must be one of %s, got %r" % (", ".join(PROVIDERS), provider))
    if provider == "auto":
        provider = detect_provider(repo)
    if provider == "gh":
        parts = _path_parts(repo)
        if len(parts) < 2:
            raise BinderNameError("repo %r: a GitHub repository URL needs <user>/<repo>" % repo)
        return "%s-%s" % (parts[0], _strip_suffix(parts[1], ".git"))
    if provider == "gl":
        parts = _path_parts(repo)
        if len(parts) < 2:
            raise BinderNameError("repo %r: a GitLab repository URL needs <namespace>/<project>" % repo)
        # BinderHub takes the namespace as typed (URL-decoded); the clone URL adds ".git" itself.
        parts[-1] = _strip_suffix(parts[-1], ".git")
        return "-".join(part.replace("-", "_-") for part in parts)
    if provider == "gist":
        parts = _path_parts(repo)
        if len(parts) < 2:
            raise BinderNameError("repo %r: a gist URL needs <user>/<gist id>" % repo)
        return parts[1]
    # git: the URL itself, with scp-like ssh addresses in URL form.
    match = _GIT_SSH.match(repo)
    if match and "://" not in repo:
        return "ssh://%s/%s" % match.groups()
    if "://" not in repo:
        # A local path (BinderHub never sees one): named as its file:// URL, so the name starts with a letter.
        return "file://" + os.path.abspath(os.path.expanduser(repo))
    return repo


def binder_image_name(image_prefix, repo, resolved_ref, provider="auto"):
    """The full image reference BinderHub builds for ``repo`` at ``resolved_ref`` under ``image_prefix``."""
    if not resolved_ref:
        raise BinderNameError("the resolved ref (tag) is empty")
    slug = safe_build_slug(provider_slug(repo, provider), limit=IMAGE_NAME_LIMIT - len(image_prefix))
    return ("%s%s:%s" % (image_prefix, slug, resolved_ref)).replace("_", "-").lower()


def validate_image_prefix(image_prefix):
    """Return a list of problems with ``image_prefix`` (empty when fine).

    BinderHub needs a project level (``registry/project/prefix-``): without it, some registries
    (Docker Hub, GCR, Harbor) answer the manifest check wrongly and every launch rebuilds (binderhub#800).
    """
    problems = []
    if not image_prefix:
        problems.append("image_prefix is empty")
        return problems
    if image_prefix != image_prefix.strip() or " " in image_prefix:
        problems.append("image_prefix %r contains spaces" % image_prefix)
    registry, sep, rest = image_prefix.partition("/")
    if not sep or "/" not in rest:
        problems.append(
            "image_prefix %r needs a registry and a project level, e.g. registry.example.org/project/binder-"
            % image_prefix
        )
    elif not is_registry_host(registry):
        problems.append("image_prefix %r must start with a registry host (with a dot, a port or localhost)" % image_prefix)
    if ":" in rest:
        problems.append("image_prefix %r must not contain a tag" % image_prefix)
    return problems
