# -*- coding: utf-8 -*-
# Copyright (c) versatile.jupyter contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Registry client for repo2docker builds: the manifest digest of an image (``registry_manifest``: the registry
v2 API, ``HEAD /v2/<name>/manifests/<tag>`` with basic auth or the bearer-token flow), and push credentials in
a private Docker config for repo2docker (``write_docker_config``).

Hand-written on the standard library on purpose: the existence check of a pushed image asks the registry
itself, so it needs no engine (check mode works on a build host without one). The Docker SDK can only ask an
engine to ask the registry (``inspect_distribution``, ``GET /distribution/<name>/json``), which podman's
Docker-compatible API does not serve (podman issue 17726: 404).

Plain functions, no Ansible import: unit-tested in tests/unit/test_repo2docker_registry.py.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import base64
import hashlib
import json
import os
import re
import socket
import ssl

from ansible_collections.versatile.jupyter.plugins.module_utils.image_ref import parse_image
from ansible_collections.versatile.jupyter.plugins.module_utils.repo2docker_errors import Repo2DockerError

try:  # Python 3
    from urllib.error import HTTPError, URLError
    from urllib.parse import quote, urlencode
    from urllib.request import HTTPRedirectHandler, HTTPSHandler, Request, build_opener
except ImportError:  # pragma: no cover
    raise

MANIFEST_ACCEPT = ", ".join([
    "application/vnd.oci.image.index.v1+json",
    "application/vnd.oci.image.manifest.v1+json",
    "application/vnd.docker.distribution.manifest.list.v2+json",
    "application/vnd.docker.distribution.manifest.v2+json",
])


class _NoRedirectOnAuth(HTTPRedirectHandler):
    """Follow redirects, but never carry an Authorization header to another host."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        new = HTTPRedirectHandler.redirect_request(self, req, fp, code, msg, headers, newurl)
        if new is not None and new.host != req.host:
            new.remove_header("Authorization")
        return new


def registry_base_url(image, registry_url=None, insecure=False):
    """``http(s)://host`` of the registry that holds ``image`` (Docker Hub for names without one)."""
    if registry_url:
        url = registry_url.rstrip("/")
        return url if "://" in url else ("http://" if insecure else "https://") + url
    ref = parse_image(image)
    if ref.docker_hub:
        return "https://registry-1.docker.io"
    return ("http://" if insecure else "https://") + ref.registry


def _api_repository(image):
    """(repository as the registry API names it, tag): Docker Hub's official images are under library/."""
    ref = parse_image(image)
    repository = ref.repository
    if ref.docker_hub and "/" not in repository:
        repository = "library/" + repository
    return repository, ref.tag or "latest"


def parse_challenge(header):
    """``WWW-Authenticate`` -> (scheme lower case, {param: value})."""
    header = (header or "").strip()
    scheme, rest = (header.split(" ", 1) + [""])[:2]
    params = dict((k.lower(), v) for k, v in re.findall(r'(\w+)="([^"]*)"', rest))
    return scheme.lower(), params


def _credentials(username, password):
    """``user:password`` in base64, as Basic auth and Docker's config.json carry it."""
    return base64.b64encode(("%s:%s" % (username, password)).encode("utf-8")).decode("ascii")


def _basic(username, password):
    return "Basic " + _credentials(username, password)


# One opener per scheme for the whole module run. An HTTPS opener of its own carries one TLS context: without
# it Python 3.11's urllib makes a context per connection, and each loads the CA bundle again (about 45 ms here).
_OPENERS = {}


def _open(request, timeout):
    opener = _OPENERS.get(request.type)
    if opener is None:
        handlers = [_NoRedirectOnAuth()]
        if request.type == "https":
            handlers.append(HTTPSHandler(context=ssl.create_default_context()))
        opener = _OPENERS.setdefault(request.type, build_opener(*handlers))
    return opener.open(request, timeout=timeout)


def registry_manifest(image, username=None, password=None, insecure=False, registry_url=None, timeout=30,
                      opener=_open):
    """The manifest digest of ``image`` in its registry, or None when the registry answers 404.

    Speaks the registry v2 API: a ``HEAD`` carrying the credentials as Basic auth when there are any (the
    registry they are for; a basic-auth registry then answers at once), anonymous otherwise; on 401 the
    challenge's scheme: Bearer (token from the realm with ``service`` and ``scope``, basic credentials when
    given), or Basic when no credentials were sent. Raises Repo2DockerError(registry_unreachable |
    credentials_refused).
    """
    base = registry_base_url(image, registry_url, insecure)
    repository, tag = _api_repository(image)
    url = "%s/v2/%s/manifests/%s" % (base, repository, quote(tag, safe=""))

    state = {"authorization": None}

    def attempt(authorization, method="HEAD"):
        state["authorization"] = authorization
        headers = {"Accept": MANIFEST_ACCEPT, "User-Agent": "versatile.jupyter-repo2docker_image"}
        if authorization:
            headers["Authorization"] = authorization
        try:
            resp = opener(Request(url, headers=headers, method=method), timeout)
            if method == "GET":
                body = resp.read()
                resp.headers["X-Computed-Digest"] = "sha256:" + hashlib.sha256(body).hexdigest()
            return resp.status, resp.headers
        except HTTPError as exc:
            if method == "HEAD" and exc.code == 405:  # a registry without HEAD on manifests
                return attempt(authorization, "GET")
            return exc.code, exc.headers
        except (URLError, socket.error, ValueError) as exc:
            raise Repo2DockerError("registry_unreachable", "registry %s is unreachable: %s"
                                   % (base, getattr(exc, "reason", exc)))

    status, headers = attempt(_basic(username, password or "") if username else None)
    if status == 401:
        scheme, params = parse_challenge(headers.get("WWW-Authenticate"))
        if scheme == "basic":
            if not username:
                raise Repo2DockerError("credentials_refused", "registry %s needs credentials (basic auth): "
                                       "set registry_username and registry_password" % base)
        elif scheme == "bearer":
            token = bearer_token(params, repository, username, password, timeout, opener, base)
            status, headers = attempt("Bearer " + token)
        else:
            raise Repo2DockerError("credentials_refused", "registry %s asks for an unknown auth scheme %r"
                                   % (base, scheme))
        if status in (401, 403):
            raise Repo2DockerError("credentials_refused", "registry %s refused the credentials for %s"
                                   % (base, "user %r" % username if username else "anonymous access"))
    if status == 403:
        raise Repo2DockerError("credentials_refused", "registry %s refused access to %s" % (base, repository))
    if status == 404:
        return None
    if status == 200:
        digest = headers.get("Docker-Content-Digest") or headers.get("X-Computed-Digest")
        if not digest:  # HEAD without the digest header: GET the manifest and hash it
            status, headers = attempt(state["authorization"], "GET")
            digest = headers.get("Docker-Content-Digest") or headers.get("X-Computed-Digest")
        return digest
    raise Repo2DockerError("registry_unreachable", "registry %s answered HTTP %s for %s" % (base, status, url))


def bearer_token(params, repository, username, password, timeout, opener, base):
    """The bearer-token flow: GET realm?service=...&scope=repository:<name>:pull."""
    realm = params.get("realm")
    if not realm:
        raise Repo2DockerError("registry_unreachable", "registry %s sent a Bearer challenge without realm" % base)
    query = {"scope": params.get("scope") or "repository:%s:pull" % repository}
    if params.get("service"):
        query["service"] = params["service"]
    headers = {"User-Agent": "versatile.jupyter-repo2docker_image"}
    if username:
        headers["Authorization"] = _basic(username, password or "")
    url = realm + ("&" if "?" in realm else "?") + urlencode(sorted(query.items()))
    try:
        resp = opener(Request(url, headers=headers), timeout)
        body = json.loads(resp.read().decode("utf-8") or "{}")
    except HTTPError as exc:
        if exc.code in (401, 403):
            raise Repo2DockerError("credentials_refused", "token service %s refused the credentials for %s"
                                   % (realm, "user %r" % username if username else "anonymous access"))
        raise Repo2DockerError("registry_unreachable", "token service %s answered HTTP %s" % (realm, exc.code))
    except (URLError, socket.error, ValueError) as exc:
        raise Repo2DockerError("registry_unreachable", "token service %s is unreachable: %s"
                               % (realm, getattr(exc, "reason", exc)))
    token = body.get("token") or body.get("access_token")
    if not token:
        raise Repo2DockerError("registry_unreachable", "token service %s returned no token" % realm)
    return token


def docker_auth_config(registry_host, username, password):
    """config.json content for DOCKER_CONFIG: basic credentials for one registry."""
    return {"auths": {registry_host: {"auth": _credentials(username, password)}}}


def auth_config_key(registry):
    """The key Docker clients look up in config.json for ``registry`` (Docker Hub has a historic one)."""
    if registry in (None, "docker.io", "index.docker.io", "registry-1.docker.io"):
        return "https://index.docker.io/v1/"
    return registry


def write_docker_config(workdir, registry, username, password):
    """A private Docker config folder in ``workdir`` holding the push credentials for ``registry`` (mode 0600,
    created, never overwritten): what repo2docker reads through DOCKER_CONFIG. Returns the folder."""
    config_dir = os.path.join(workdir, "docker-config")
    os.mkdir(config_dir, 0o700)
    fd = os.open(os.path.join(config_dir, "config.json"), os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        json.dump(docker_auth_config(auth_config_key(registry), username, password or ""), handle)
    return config_dir
