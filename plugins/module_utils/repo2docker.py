# -*- coding: utf-8 -*-
# Copyright (c) versatile.jupyter contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Idempotent repo2docker builds: resolve a git ref, name the image, look for it, build and push it.

Plain functions (no Ansible import) used by the module versatile.jupyter.repo2docker_image and tested
by tests/unit/test_repo2docker.py and tests/integration/test_repo2docker_image*.py.

- ``resolve_ref``: a branch, tag or sha to a commit (``git ls-remote`` for remote repositories,
  ``git rev-parse`` for local paths).
- ``registry_manifest``: ``HEAD /v2/<name>/manifests/<tag>`` with basic auth or the bearer-token flow.
- ``engine_image``: ``GET /images/<name>/json`` on the Docker API (docker or podman's compatible socket).
- ``build_argv``: the repo2docker command line, described once in ``R2D_ARGS`` (CmdRunner-like).
- ``ensure_image``: the whole decision (skip, would build, build) as one result dict.
- ``image_items`` / ``ensure_images``: a list of images in one call (each item checked and named by its index
  before anything runs; the existence checks run side by side, builds one at a time).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import base64
import collections
import hashlib
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor

from ansible_collections.versatile.jupyter.plugins.module_utils.binder_names import (
    PROVIDERS,
    binder_image_name,
    image_reference_problems,
    is_sha1,
    split_image,
    validate_image_prefix,
)

try:  # Python 3
    from http.client import HTTPConnection
    from urllib.error import HTTPError, URLError
    from urllib.parse import quote, urlencode
    from urllib.request import HTTPRedirectHandler, Request, build_opener
except ImportError:  # pragma: no cover
    raise

MANIFEST_ACCEPT = ", ".join([
    "application/vnd.oci.image.index.v1+json",
    "application/vnd.oci.image.manifest.v1+json",
    "application/vnd.docker.distribution.manifest.list.v2+json",
    "application/vnd.docker.distribution.manifest.v2+json",
])
DEFAULT_SOCKETS = ("/var/run/docker.sock", "/run/podman/podman.sock")
LOG_TAIL_LINES = 40


class Repo2DockerError(Exception):
    """A failure with a kind the caller can report: unreachable, ref_not_found, no_engine,
    registry_unreachable, credentials_refused, build_failed, bad_input."""

    def __init__(self, kind, message, log_tail=None):
        super(Repo2DockerError, self).__init__(message)
        self.kind = kind
        self.message = message
        self.log_tail = log_tail or []


# --------------------------------------------------------------------------------------------------
# Commands
# --------------------------------------------------------------------------------------------------

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


def is_local_repo(repo):
    """A local path (absolute, relative or ~), as opposed to a URL or an scp-like ssh address."""
    if "://" in repo:
        return False
    if re.match(r"^[\w.\-]+@[\w.\-]+:", repo):
        return False
    return repo.startswith(("/", "./", "../", "~")) or os.path.isdir(os.path.expanduser(repo))


def _first_line(text):
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
            raise Repo2DockerError("unreachable", "repo %s is not a git repository: %s" % (repo, _first_line(err)))
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
                               % (repo, rc, _first_line(err)))
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


# --------------------------------------------------------------------------------------------------
# Naming
# --------------------------------------------------------------------------------------------------

def target_image(resolved_ref, repo, image_name=None, image_prefix=None, binder_provider="auto"):
    """The full image reference to build: an explicit name (the resolved ref is its tag unless it has
    one), or BinderHub's name under ``image_prefix``."""
    if bool(image_name) == bool(image_prefix):
        raise Repo2DockerError("bad_input", "set exactly one of image_name and image_prefix")
    if image_prefix:
        problems = validate_image_prefix(image_prefix)
        if problems:
            raise Repo2DockerError("bad_input", "; ".join(problems))
        try:
            image = binder_image_name(image_prefix, repo, resolved_ref, binder_provider)
        except ValueError as exc:
            raise Repo2DockerError("bad_input", str(exc))
    else:
        if image_name != image_name.lower() or " " in image_name:
            raise Repo2DockerError("bad_input", "image_name %r must be lower case without spaces" % image_name)
        if "@" in image_name:
            raise Repo2DockerError("bad_input", "image_name %r must not carry a digest" % image_name)
        registry, repository, tag = split_image(image_name)
        image = image_name if tag else "%s:%s" % (image_name, resolved_ref)
    problems = image_reference_problems(image)
    if problems:
        raise Repo2DockerError("bad_input", "; ".join(problems))
    return image


# --------------------------------------------------------------------------------------------------
# Registry
# --------------------------------------------------------------------------------------------------

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
    registry, repository, tag = split_image(image)
    if registry is None or registry in ("docker.io", "index.docker.io"):
        return "https://registry-1.docker.io"
    return ("http://" if insecure else "https://") + registry


def _hub_repository(image):
    registry, repository, tag = split_image(image)
    if (registry is None or registry in ("docker.io", "index.docker.io")) and "/" not in repository:
        repository = "library/" + repository
    return repository, tag or "latest"


def parse_challenge(header):
    """``WWW-Authenticate`` -> (scheme lower case, {param: value})."""
    header = (header or "").strip()
    scheme, rest = (header.split(" ", 1) + [""])[:2]
    params = dict((k.lower(), v) for k, v in re.findall(r'(\w+)="([^"]*)"', rest))
    return scheme.lower(), params


def _basic(username, password):
    token = base64.b64encode(("%s:%s" % (username, password)).encode("utf-8")).decode("ascii")
    return "Basic " + token


def _open(request, timeout):
    opener = build_opener(_NoRedirectOnAuth())
    return opener.open(request, timeout=timeout)


def registry_manifest(image, username=None, password=None, insecure=False, registry_url=None, timeout=30,
                      opener=_open):
    """The manifest digest of ``image`` in its registry, or None when the registry answers 404.

    Speaks the registry v2 API: an anonymous ``HEAD``, then on 401 the challenge's scheme: Basic with
    the credentials, or Bearer (token from the realm with ``service`` and ``scope``, basic credentials
    when given). Raises Repo2DockerError(registry_unreachable | credentials_refused).
    """
    base = registry_base_url(image, registry_url, insecure)
    repository, tag = _hub_repository(image)
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

    status, headers = attempt(None)
    if status == 401:
        scheme, params = parse_challenge(headers.get("WWW-Authenticate"))
        if scheme == "basic":
            if not username:
                raise Repo2DockerError("credentials_refused", "registry %s needs credentials (basic auth): "
                                       "set registry_username and registry_password" % base)
            status, headers = attempt(_basic(username, password or ""))
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


# --------------------------------------------------------------------------------------------------
# Engine (Docker API: docker, or podman's compatible socket)
# --------------------------------------------------------------------------------------------------

class _UnixConnection(HTTPConnection):
    def __init__(self, path, timeout):
        HTTPConnection.__init__(self, "localhost", timeout=timeout)
        self._path = path

    def connect(self):
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.settimeout(self.timeout)
        sock.connect(self._path)
        self.sock = sock


def find_engine_host(engine_host=None, environ=None):
    """The Docker API address: the option, else DOCKER_HOST, else a docker or podman socket that exists."""
    environ = os.environ if environ is None else environ
    if engine_host:
        return engine_host
    if environ.get("DOCKER_HOST"):
        return environ["DOCKER_HOST"]
    for path in DEFAULT_SOCKETS:
        if os.path.exists(path):
            return "unix://" + path
    raise Repo2DockerError("no_engine", "no container engine found: set engine_host (DOCKER_HOST), or start "
                           "docker or podman's Docker API socket (%s)" % " or ".join(DEFAULT_SOCKETS))


def engine_request(engine_host, method, path, timeout=30):
    """(status, parsed JSON body or None) of one Docker API call."""
    if engine_host.startswith("unix://"):
        conn = _UnixConnection(engine_host[len("unix://"):], timeout)
    elif engine_host.startswith(("tcp://", "http://")):
        conn = HTTPConnection(engine_host.split("://", 1)[1].rstrip("/"), timeout=timeout)
    else:
        raise Repo2DockerError("no_engine", "engine_host %r: expected unix:///path or tcp://host:port" % engine_host)
    try:
        conn.request(method, path)
        resp = conn.getresponse()
        data = resp.read()
    except (socket.error, OSError) as exc:
        raise Repo2DockerError("no_engine", "no container engine answers at %s: %s" % (engine_host, exc))
    finally:
        conn.close()
    try:
        body = json.loads(data.decode("utf-8")) if data else None
    except ValueError:
        body = None
    return resp.status, body


def engine_ping(engine_host, timeout=10):
    status, body = engine_request(engine_host, "GET", "/_ping", timeout)
    if status != 200:
        raise Repo2DockerError("no_engine", "the engine at %s answered HTTP %s to /_ping" % (engine_host, status))


def engine_image(engine_host, image, timeout=30):
    """The engine's record of ``image`` ({'Id', 'RepoDigests', 'Labels'}) or None when absent."""
    status, body = engine_request(engine_host, "GET", "/images/%s/json" % quote(image, safe="/:@"), timeout)
    if status == 404:
        return None
    if status != 200 or not isinstance(body, dict):
        raise Repo2DockerError("no_engine", "the engine at %s answered HTTP %s for image %s"
                               % (engine_host, status, image))
    config = body.get("Config") or {}
    return {"Id": body.get("Id"), "RepoDigests": body.get("RepoDigests") or [],
            "Labels": config.get("Labels") or {}}


# --------------------------------------------------------------------------------------------------
# repo2docker command line, described once
# --------------------------------------------------------------------------------------------------

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


def docker_auth_config(registry_host, username, password):
    """config.json content for DOCKER_CONFIG: basic credentials for one registry."""
    auth = base64.b64encode(("%s:%s" % (username, password)).encode("utf-8")).decode("ascii")
    return {"auths": {registry_host: {"auth": auth}}}


def auth_config_key(registry):
    """The key Docker clients look up in config.json for ``registry`` (Docker Hub has a historic one)."""
    if registry in (None, "docker.io", "index.docker.io", "registry-1.docker.io"):
        return "https://index.docker.io/v1/"
    return registry


def tail(text, lines=LOG_TAIL_LINES, secrets=()):
    out = [line for line in text.splitlines() if line.strip()][-lines:]
    for secret in secrets:
        if secret:
            out = [line.replace(secret, "********") for line in out]
    return out


def checkout(repo, resolved_ref, dest, runner=run, timeout=1800):
    """Clone ``repo`` into ``dest`` and check out ``resolved_ref`` (with submodules)."""
    source = os.path.abspath(os.path.expanduser(repo)) if is_local_repo(repo) else repo
    rc, out, err = runner(["git", "clone", "--quiet", "--no-checkout", "--", source, dest], timeout=timeout)
    if rc != 0:
        raise Repo2DockerError("unreachable", "git clone of %s failed: %s" % (repo, _first_line(err)),
                               tail(err))
    rc, out, err = runner(["git", "-C", dest, "checkout", "--quiet", "--detach", resolved_ref], timeout=timeout)
    if rc != 0:
        raise Repo2DockerError("ref_not_found", "commit %s not found in repo %s: %s"
                               % (resolved_ref, repo, _first_line(err)))
    if os.path.exists(os.path.join(dest, ".gitmodules")):
        rc, out, err = runner(["git", "-C", dest, "submodule", "update", "--init", "--recursive", "--quiet"],
                              timeout=timeout)
        if rc != 0:
            raise Repo2DockerError("unreachable", "submodules of %s failed: %s" % (repo, _first_line(err)),
                                   tail(err))


# --------------------------------------------------------------------------------------------------
# The whole decision
# --------------------------------------------------------------------------------------------------

def ensure_image(params, check_mode=False, runner=run, log=None):
    """Build ``params['repo']`` at ``params['ref']`` unless its image exists. Returns the result dict.

    params: repo, ref, image_name | image_prefix, binder_provider, push, force, registry_url,
    registry_username, registry_password, registry_insecure, engine_host, user_id, user_name, labels,
    target_repo_dir, extra_args, repo2docker_command, build_timeout, log_lines.
    """
    repo = params["repo"]
    problem = target_repo_dir_error(params.get("target_repo_dir"))
    if problem:
        raise Repo2DockerError("bad_input", problem)
    ref = params.get("ref") or "HEAD"
    # Bad naming input fails before any network or git call (a placeholder commit stands in for the tag).
    target_image("0" * 40, repo, params.get("image_name"), params.get("image_prefix"),
                 params.get("binder_provider") or "auto")
    resolved = resolve_ref(repo, ref, runner)
    image = target_image(resolved, repo, params.get("image_name"), params.get("image_prefix"),
                         params.get("binder_provider") or "auto")
    registry, repository, tag = split_image(image)
    push = bool(params.get("push"))
    username = params.get("registry_username")
    password = params.get("registry_password")
    result = {"image": image, "name": image.rsplit(":", 1)[0], "tag": image.rsplit(":", 1)[1],
              "resolved_ref": resolved, "digest": None, "image_id": None, "built": False, "pushed": False,
              "exists": False, "checked": "registry" if push else "engine"}

    def registry_digest():
        return registry_manifest(image, username, password, params.get("registry_insecure", False),
                                 params.get("registry_url"))

    engine_host = None
    if push:
        digest = registry_digest()
        result["exists"] = digest is not None
        result["digest"] = digest
    else:
        engine_host = find_engine_host(params.get("engine_host"))
        found = engine_image(engine_host, image)
        result["exists"] = found is not None
        if found:
            result["image_id"] = found["Id"]
            result["digest"] = found["Id"]

    result["changed"] = bool(params.get("force")) or not result["exists"]
    if not result["changed"] or check_mode:
        return with_summary(result)

    engine_host = engine_host or find_engine_host(params.get("engine_host"))
    engine_ping(engine_host)
    workdir = tempfile.mkdtemp(prefix="vj-repo2docker-")
    try:
        os.chmod(workdir, 0o700)
        source = os.path.join(workdir, "src")
        checkout(repo, resolved, source, runner)
        env = {"DOCKER_HOST": engine_host}
        if push and username:
            config_dir = os.path.join(workdir, "docker-config")
            os.mkdir(config_dir, 0o700)
            fd = os.open(os.path.join(config_dir, "config.json"), os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as handle:
                json.dump(docker_auth_config(auth_config_key(registry), username, password or ""), handle)
            env["DOCKER_CONFIG"] = config_dir
        argv = build_argv(
            repo2docker_command(params.get("repo2docker_command")), source,
            image=image, user_id=params.get("user_id", 1000), user_name=params.get("user_name", "jovyan"),
            labels=build_labels(repo, ref, resolved, params.get("labels")), push=push,
            target_repo_dir=params.get("target_repo_dir"), extra_args=params.get("extra_args"))
        result["cmd"] = argv
        rc, out, err = runner(argv, env=env, cwd=workdir, timeout=params.get("build_timeout") or 3600)
        if rc != 0:
            raise Repo2DockerError(
                "build_failed", "repo2docker failed (exit %s) building %s" % (rc, image),
                tail(out + "\n" + err, params.get("log_lines") or LOG_TAIL_LINES, (password,)))
    finally:
        shutil.rmtree(workdir, ignore_errors=True)

    result["built"] = True
    found = engine_image(engine_host, image)
    if found is None:
        raise Repo2DockerError("build_failed", "repo2docker reported success but the engine has no image %s" % image)
    result["image_id"] = found["Id"]
    result["digest"] = found["Id"]
    if push:
        digest = registry_digest()
        if digest is None:
            raise Repo2DockerError("build_failed", "the push of %s did not reach the registry" % image)
        result["digest"] = digest
        result["pushed"] = True
    return with_summary(result)


SUMMARY_KEYS = ("image", "name", "tag", "digest", "resolved_ref", "built")


def with_summary(result):
    """Add ``summary``: the keys a hub needs (image, name, tag, digest, resolved_ref, built)."""
    result["summary"] = dict((key, result.get(key)) for key in SUMMARY_KEYS)
    return result


# --------------------------------------------------------------------------------------------------
# A list of images in one call
# --------------------------------------------------------------------------------------------------

# What an item of ``images`` may set, and the type each must have. Everything else (registry, engine,
# user, command, timeouts) is the task's: one build host and one registry per call.
ITEM_TYPES = collections.OrderedDict([
    ("name", "str"), ("repo", "str"), ("ref", "str"), ("image_name", "str"), ("image_prefix", "str"),
    ("binder_provider", "str"), ("push", "bool"), ("force", "bool"), ("labels", "dict"),
    ("target_repo_dir", "str"), ("extra_args", "list"),
])
NAMING_KEYS = ("image_name", "image_prefix")
SECRET_KEYS = ("registry_username", "registry_password")
TRUE_WORDS = ("true", "yes", "on", "1", "y", "t")
FALSE_WORDS = ("false", "no", "off", "0", "n", "f")
CHECK_WORKERS = 8


def _label(index, item):
    name = item.get("name") if isinstance(item, dict) else None
    return "images[%d]%s" % (index, " (%s)" % name if isinstance(name, str) and name else "")


def _describe(value):
    if isinstance(value, bool):
        return "the boolean %s" % value
    if isinstance(value, str):
        return "the string %r" % value
    return "%s %r" % (type(value).__name__, value)


def _coerce(kind, value):
    """``value`` as ``kind`` (str, bool, dict, list of str), or raise ValueError with what was expected."""
    if kind == "str":
        if isinstance(value, (str, int, float)) and not isinstance(value, bool):
            return str(value)
        raise ValueError("a string")
    if kind == "bool":
        if isinstance(value, bool):
            return value
        if isinstance(value, (str, int)) and str(value).lower() in TRUE_WORDS + FALSE_WORDS:
            return str(value).lower() in TRUE_WORDS
        raise ValueError("a boolean (true or false)")
    if kind == "dict":
        if isinstance(value, dict):
            return dict((str(key), str(val)) for key, val in value.items())
        raise ValueError("a mapping of label names to values")
    if isinstance(value, (list, tuple)) and all(isinstance(arg, str) for arg in value):
        return list(value)
    raise ValueError("a list of strings")


def image_items(images, defaults):
    """Each item of ``images`` merged over the task's ``defaults`` (the single-image parameters), as the
    parameters of ``ensure_image``. Every problem of every item is found before anything runs; they are
    raised together as one Repo2DockerError(bad_input), each naming the item (index and name) and the key.

    An item's own image_name or image_prefix replaces the task's naming (a task-level image_prefix is the
    default for items that set neither). Credentials are the task's only: an item may not carry them.
    """
    if not isinstance(images, (list, tuple)):
        raise Repo2DockerError("bad_input", "images must be a list of mappings (repo, ref, image_prefix...); "
                                            "it is %s" % _describe(images))
    problems = []
    items = []
    names = {}
    for index, item in enumerate(images):
        label = _label(index, item)
        if not isinstance(item, dict):
            problems.append("%s must be a mapping with at least repo; it is %s" % (label, _describe(item)))
            continue
        params = dict(defaults)
        params.pop("images", None)
        if any(item.get(key) not in (None, "") for key in NAMING_KEYS):
            for key in NAMING_KEYS:
                params[key] = None
        for key, value in item.items():
            if key in SECRET_KEYS:
                problems.append("%s: %s is not an item setting: set the registry credentials once, on the task "
                                "(registry_username, registry_password)" % (label, key))
                continue
            if key not in ITEM_TYPES:
                problems.append("%s: unknown key %r; an image takes %s" % (label, key, ", ".join(ITEM_TYPES)))
                continue
            if value is None or (value == "" and key != "name"):
                continue  # unset: the task's value
            try:
                params[key] = _coerce(ITEM_TYPES[key], value)
            except ValueError as exc:
                problems.append("%s: %s must be %s; it is %s" % (label, key, exc, _describe(value)))
        params["ref"] = params.get("ref") or "HEAD"
        params["binder_provider"] = params.get("binder_provider") or "auto"
        if not params.get("repo"):
            problems.append("%s: repo is missing (a git URL or a path on the build host)" % label)
        if bool(params.get("image_name")) == bool(params.get("image_prefix")):
            problems.append("%s: set exactly one of image_name and image_prefix (on the item, or image_prefix "
                            "on the task for every item)" % label)
        if params.get("binder_provider") not in PROVIDERS:
            problems.append("%s: binder_provider must be one of %s; it is %s"
                            % (label, ", ".join(PROVIDERS), _describe(params.get("binder_provider"))))
        problem = target_repo_dir_error(params.get("target_repo_dir"))
        if problem:
            problems.append("%s: %s" % (label, problem))
        name = params.get("name")
        if name is not None:
            if name in names:
                problems.append("%s: name %s is also images[%d]'s; names must be unique" % (label, name, names[name]))
            names.setdefault(name, index)
        items.append((label, params))
    for label, params in items:
        if params.get("repo") and bool(params.get("image_name")) != bool(params.get("image_prefix")):
            try:  # naming problems, with a placeholder commit, before any git or network call
                target_image("0" * 40, params["repo"], params.get("image_name"), params.get("image_prefix"),
                             params.get("binder_provider") or "auto")
            except Repo2DockerError as exc:
                problems.append("%s: %s" % (label, exc.message))
    if problems:
        raise Repo2DockerError("bad_input", "; ".join(problems))
    return items


def ensure_images(images, defaults, check_mode=False, runner=run, workers=CHECK_WORKERS):
    """``ensure_image`` for every item of ``images`` (see ``image_items``) in one call.

    The items' existence checks (ref resolution, registry or engine look-up) run side by side on up to
    ``workers`` threads: they wait on git and the network, not on this process. Builds then run one at a time
    (each re-checks its own image first). A failing item does not stop the others. Returns (results in the
    items' order, failures): each result has ``index`` and ``item_name`` (the item's name); failed ones carry
    ``failed``, ``msg``, ``error_kind`` and ``log_tail``; ``failures`` is the list of those.
    """
    items = image_items(images, defaults)

    def check(entry):
        label, params = entry
        try:
            return ensure_image(params, check_mode=True, runner=runner)
        except Repo2DockerError as exc:
            return exc

    if items:
        with ThreadPoolExecutor(max_workers=max(1, min(workers, len(items)))) as pool:
            checked = list(pool.map(check, items))
    else:
        checked = []
    results = []
    for index, ((label, params), outcome) in enumerate(zip(items, checked)):
        if not check_mode and isinstance(outcome, dict) and outcome["changed"]:
            try:
                outcome = ensure_image(params, check_mode=False, runner=runner)
            except Repo2DockerError as exc:
                outcome = exc
        if isinstance(outcome, Repo2DockerError):
            outcome = {"failed": True, "changed": False, "msg": "%s: %s" % (label, outcome.message),
                       "error_kind": outcome.kind, "log_tail": outcome.log_tail}
        outcome["index"] = index
        outcome["item_name"] = params.get("name")
        results.append(outcome)
    return results, [result for result in results if result.get("failed")]
