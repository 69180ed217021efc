"""plugins/module_utils/repo2docker.py: ref resolution on real git repositories, naming, the registry
client (basic auth and the bearer-token flow), the Docker API client and the repo2docker command line."""
import base64
import json
import os
import socket
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from ansible_collections.versatile.jupyter.plugins.module_utils import repo2docker as r2d

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "standins", "token_registry"))
from token_registry import TokenRegistry  # noqa: E402  (stand-in for a bearer-token registry, see its README)

GIT_ENV = {"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.org", "GIT_COMMITTER_NAME": "t",
           "GIT_COMMITTER_EMAIL": "t@example.org", "GIT_CONFIG_GLOBAL": "/dev/null"}


def git(*args, cwd=None):
    env = dict(os.environ, **GIT_ENV)
    return subprocess.run(["git"] + list(args), cwd=cwd, env=env, check=True,
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE).stdout.decode().strip()


@pytest.fixture
def repo(tmp_path):
    path = tmp_path / "env.git"
    path.mkdir()
    git("init", "-q", "-b", "main", str(path))
    (path / "Dockerfile").write_text("FROM localhost/debian-systemd:bookworm\n")
    git("add", "Dockerfile", cwd=path)
    git("commit", "-q", "-m", "first", cwd=path)
    first = git("rev-parse", "HEAD", cwd=path)
    git("tag", "-a", "v1", "-m", "release 1", cwd=path)
    git("tag", "light", cwd=path)
    (path / "README").write_text("second\n")
    git("add", "README", cwd=path)
    git("commit", "-q", "-m", "second", cwd=path)
    second = git("rev-parse", "HEAD", cwd=path)
    git("branch", "old", first, cwd=path)
    return {"path": str(path), "url": "file://%s" % path, "first": first, "second": second}


# ---- ref resolution on real repositories -------------------------------------------------------

@pytest.mark.parametrize("where", ["path", "url"])
@pytest.mark.parametrize("ref,expect", [("HEAD", "second"), ("main", "second"), ("old", "first"),
                                        ("v1", "first"), ("light", "first")])
def test_resolve_ref(repo, where, ref, expect):
    assert r2d.resolve_ref(repo[where], ref) == repo[expect]


def test_annotated_tag_resolves_to_the_commit_not_the_tag_object(repo):
    tag_object = git("rev-parse", "v1", cwd=repo["path"])
    assert tag_object != repo["first"]
    assert r2d.resolve_ref(repo["url"], "v1") == repo["first"]


def test_local_paths_take_short_shas_and_expressions(repo):
    assert r2d.resolve_ref(repo["path"], repo["first"][:8]) == repo["first"]
    assert r2d.resolve_ref(repo["path"], "main~1") == repo["first"]


def test_remote_full_sha_is_taken_as_is(repo):
    assert r2d.resolve_ref(repo["url"], repo["first"]) == repo["first"]


@pytest.mark.parametrize("where", ["path", "url"])
def test_ref_not_found(repo, where):
    with pytest.raises(r2d.Repo2DockerError) as err:
        r2d.resolve_ref(repo[where], "no-such-branch")
    assert err.value.kind == "ref_not_found"
    assert "no-such-branch" in err.value.message


def test_remote_short_sha_gets_a_hint(repo):
    with pytest.raises(r2d.Repo2DockerError) as err:
        r2d.resolve_ref(repo["url"], repo["first"][:8])
    assert err.value.kind == "ref_not_found" and "full 40-hex" in err.value.message


@pytest.mark.parametrize("source", ["file:///nonexistent/repo.git", "/nonexistent/repo"])
def test_unreachable(source):
    with pytest.raises(r2d.Repo2DockerError) as err:
        r2d.resolve_ref(source, "main")
    assert err.value.kind == "unreachable"


def test_plain_directory_is_not_a_repository(tmp_path):
    with pytest.raises(r2d.Repo2DockerError) as err:
        r2d.resolve_ref(str(tmp_path), "HEAD")
    assert err.value.kind == "unreachable" and "not a git repository" in err.value.message


def test_checkout_gets_the_resolved_commit(repo, tmp_path):
    dest = str(tmp_path / "co")
    r2d.checkout(repo["url"], repo["first"], dest)
    assert git("rev-parse", "HEAD", cwd=dest) == repo["first"]
    assert not os.path.exists(os.path.join(dest, "README"))


def test_pick_ref_order():
    refs = r2d.parse_ls_remote(
        "a" * 40 + "\trefs/tags/main\n" + "b" * 40 + "\trefs/heads/main\n" + "c" * 40 + "\trefs/remotes/o/x\n"
        "not a line\n")
    assert r2d.pick_ref(refs, "main") == "b" * 40      # branches before tags, like git
    assert r2d.pick_ref(refs, "x") == "c" * 40
    assert r2d.pick_ref(refs, "y") is None


@pytest.mark.parametrize("text,local", [("/srv/env", True), ("./env", True), ("~/env", True),
                                        ("https://h/x", False), ("git@h:x.git", False),
                                        ("file:///srv/env", False)])
def test_is_local_repo(text, local):
    assert r2d.is_local_repo(text) is local


# ---- naming -----------------------------------------------------------------------------------

SHA = "0123456789abcdef0123456789abcdef01234567"


def test_target_image_explicit_name_gets_the_sha_as_tag():
    assert r2d.target_image(SHA, "/x", image_name="localhost/course") == "localhost/course:" + SHA
    assert r2d.target_image(SHA, "/x", image_name="127.0.0.1:5000/p/c:2026") == "127.0.0.1:5000/p/c:2026"


def test_target_image_binder_prefix():
    image = r2d.target_image(SHA, "https://github.com/binder-examples/requirements",
                             image_prefix="registry.example.org/binder/prod-")
    assert image == "registry.example.org/binder/prod-binder-2dexamples-2drequirements-55ab5c:" + SHA


@pytest.mark.parametrize("kwargs,needle", [
    ({}, "exactly one"),
    ({"image_name": "a/b", "image_prefix": "r.example/p/x-"}, "exactly one"),
    ({"image_name": "Registry/Upper"}, "lower case"),
    ({"image_prefix": "registry.example.org/prod-"}, "project level"),
    ({"image_name": "r.example/p/x@sha256:abc"}, "digest"),
])
def test_target_image_bad_input(kwargs, needle):
    with pytest.raises(r2d.Repo2DockerError) as err:
        r2d.target_image(SHA, "https://github.com/a/b", **kwargs)
    assert err.value.kind == "bad_input" and needle in err.value.message


# ---- registry client --------------------------------------------------------------------------

@pytest.fixture
def token_registry():
    with TokenRegistry(users={"builder": "s3cret"},
                       manifests={("binder/env", SHA): "sha256:" + "d" * 64}) as reg:
        yield reg


def test_bearer_flow_finds_an_image(token_registry):
    image = "%s/binder/env:%s" % (token_registry.host, SHA)
    digest = r2d.registry_manifest(image, "builder", "s3cret", insecure=True)
    assert digest == "sha256:" + "d" * 64
    assert token_registry.token_requests[-1] == {"service": "standin-registry",
                                                 "scope": "repository:binder/env:pull"}


def test_bearer_flow_missing_tag_is_none(token_registry):
    image = "%s/binder/env:%s" % (token_registry.host, "f" * 40)
    assert r2d.registry_manifest(image, "builder", "s3cret", insecure=True) is None


def test_bearer_flow_wrong_password(token_registry):
    image = "%s/binder/env:%s" % (token_registry.host, SHA)
    with pytest.raises(r2d.Repo2DockerError) as err:
        r2d.registry_manifest(image, "builder", "wrong", insecure=True)
    assert err.value.kind == "credentials_refused"
    assert "wrong" not in err.value.message


def test_registry_unreachable():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with pytest.raises(r2d.Repo2DockerError) as err:
        r2d.registry_manifest("127.0.0.1:%d/p/x:t" % port, insecure=True)
    assert err.value.kind == "registry_unreachable"


@pytest.mark.parametrize("header,expect", [
    ('Bearer realm="https://auth.example/token",service="registry.example",scope="repository:a/b:pull"',
     ("bearer", {"realm": "https://auth.example/token", "service": "registry.example",
                 "scope": "repository:a/b:pull"})),
    ('Basic realm="basic-realm"', ("basic", {"realm": "basic-realm"})),
])
def test_parse_challenge(header, expect):
    assert r2d.parse_challenge(header) == expect


def test_registry_base_url():
    assert r2d.registry_base_url("127.0.0.1:5000/p/x:t", insecure=True) == "http://127.0.0.1:5000"
    assert r2d.registry_base_url("r.example.org/p/x:t") == "https://r.example.org"
    assert r2d.registry_base_url("jupyter/base:t") == "https://registry-1.docker.io"
    assert r2d.registry_base_url("a/b:t", registry_url="reg.internal:443/") == "https://reg.internal:443"


# ---- Docker API client over a unix socket -----------------------------------------------------

@pytest.fixture
def fake_engine(tmp_path):
    """A unix-socket HTTP server answering the two Docker API calls the module makes."""
    images = {"localhost/course:%s" % SHA: {"Id": "sha256:" + "e" * 64, "RepoDigests": [],
                                          "Config": {"Labels": {"repo2docker.ref": SHA}}}}

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def address_string(self):
            return "engine"

        def do_GET(self):
            if self.path == "/_ping":
                body, code = b"OK", 200
            elif self.path.startswith("/images/") and self.path.endswith("/json"):
                name = self.path[len("/images/"):-len("/json")]
                found = images.get(name)
                body, code = (json.dumps(found).encode(), 200) if found else (b'{"message":"no such image"}', 404)
            else:
                body, code = b"", 404
            self.send_response(code)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    class UnixServer(ThreadingHTTPServer):
        address_family = socket.AF_UNIX

        def server_bind(self):
            self.socket.bind(self.server_address)
            self.server_name, self.server_port = "engine", 0

    path = str(tmp_path / "engine.sock")
    server = UnixServer(path, Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield "unix://" + path
    server.shutdown()
    server.server_close()


def test_engine_image(fake_engine):
    r2d.engine_ping(fake_engine)
    found = r2d.engine_image(fake_engine, "localhost/course:" + SHA)
    assert found["Id"] == "sha256:" + "e" * 64 and found["Labels"] == {"repo2docker.ref": SHA}
    assert r2d.engine_image(fake_engine, "localhost/course:other") is None


def test_no_engine(tmp_path):
    with pytest.raises(r2d.Repo2DockerError) as err:
        r2d.engine_image("unix://%s/absent.sock" % tmp_path, "x:y")
    assert err.value.kind == "no_engine"


def test_find_engine_host_order(tmp_path, monkeypatch):
    assert r2d.find_engine_host("unix:///given.sock", {"DOCKER_HOST": "tcp://x:1"}) == "unix:///given.sock"
    assert r2d.find_engine_host(None, {"DOCKER_HOST": "tcp://x:1"}) == "tcp://x:1"
    monkeypatch.setattr(r2d, "DEFAULT_SOCKETS", (str(tmp_path / "absent.sock"),))
    with pytest.raises(r2d.Repo2DockerError) as err:
        r2d.find_engine_host(None, {})
    assert err.value.kind == "no_engine"


def test_ensure_image_skips_an_image_the_engine_has(repo, fake_engine, monkeypatch):
    calls = []
    monkeypatch.setattr(r2d, "checkout", lambda *a, **k: calls.append(a))
    params = {"repo": repo["path"], "ref": "main", "image_name": "localhost/course", "engine_host": fake_engine}
    monkeypatch.setattr(r2d, "resolve_ref", lambda *a, **k: SHA)
    result = r2d.ensure_image(params)
    assert result["changed"] is False and result["built"] is False and result["exists"] is True
    assert result["image"] == "localhost/course:" + SHA and calls == []


def test_ensure_image_check_mode_reports_a_build(repo, fake_engine):
    params = {"repo": repo["path"], "ref": "main", "image_name": "localhost/course", "engine_host": fake_engine}
    result = r2d.ensure_image(params, check_mode=True)
    assert result["changed"] is True and result["built"] is False and result["exists"] is False
    assert result["tag"] == repo["second"]


# ---- command line -----------------------------------------------------------------------------

def test_build_argv_is_described_once():
    argv = r2d.build_argv(["repo2docker"], "/tmp/src", image="r/p/x:t", user_id=1000, user_name="jovyan",
                          labels={"b": "2", "a": "1"}, push=True, extra_args=["--appendix", "RUN true"])
    assert argv == ["repo2docker", "--no-run", "--image-name", "r/p/x:t", "--user-id", "1000",
                    "--user-name", "jovyan", "--label", "a=1", "--label", "b=2", "--push",
                    "--appendix", "RUN true", "/tmp/src"]
    assert "--push" not in r2d.build_argv(["r2d"], "/s", image="x:y", push=False)
    assert r2d.build_argv(["r2d"], "/s", image="x:y", target_repo_dir="/srv/repo")[-3:] == [
        "--target-repo-dir", "/srv/repo", "/s"]
    assert "--target-repo-dir" not in r2d.build_argv(["r2d"], "/s", image="x:y", target_repo_dir="")


@pytest.mark.parametrize("path", ["srv/repo", "/", "/srv/../home/jovyan", "~/repo"])
def test_bad_target_repo_dir_fails_before_touching_the_repository(path):
    calls = []

    def runner(argv, **kwargs):
        calls.append(argv)
        return 0, "", ""

    params = {"repo": "https://git.example.org/lab/env.git", "image_name": "localhost/env",
              "target_repo_dir": path}
    with pytest.raises(r2d.Repo2DockerError) as err:
        r2d.ensure_image(params, runner=runner)
    assert err.value.kind == "bad_input" and "target_repo_dir" in err.value.message and calls == []
    assert r2d.target_repo_dir_error("/srv/repo") is None and r2d.target_repo_dir_error(None) is None


def test_build_labels_record_repo_and_commit():
    labels = r2d.build_labels("https://h/x.git", "main", SHA, {"team": "physics"})
    assert labels["repo2docker.repo"] == "https://h/x.git" and labels["repo2docker.ref"] == SHA
    assert labels["org.opencontainers.image.revision"] == SHA and labels["team"] == "physics"


def test_repo2docker_command_resolution(monkeypatch):
    assert r2d.repo2docker_command(["python3", "-m", "repo2docker"]) == ["python3", "-m", "repo2docker"]
    monkeypatch.setattr(r2d.sys, "executable", "/nonexistent/bin/python")
    assert r2d.repo2docker_command(which=lambda name: "/usr/bin/repo2docker") == ["/usr/bin/repo2docker"]
    assert r2d.repo2docker_command(which=lambda name: None) == ["/nonexistent/bin/python", "-m", "repo2docker"]


def test_docker_auth_config():
    config = r2d.docker_auth_config("127.0.0.1:5000", "builder", "s3cret")
    assert base64.b64decode(config["auths"]["127.0.0.1:5000"]["auth"]) == b"builder:s3cret"


def test_tail_hides_secrets():
    text = "\n".join("line %d" % i for i in range(100)) + "\npassword s3cret leaked\n"
    out = r2d.tail(text, 5, ("s3cret",))
    assert out == ["line 96", "line 97", "line 98", "line 99", "password ******** leaked"]


@pytest.mark.parametrize("head,digest_header", [(False, True), (True, False), (False, False)])
def test_registry_without_head_or_digest_header(head, digest_header):
    import hashlib
    from token_registry import MANIFEST_BODY
    with TokenRegistry(users={"builder": "s3cret"}, manifests={("binder/env", SHA): "sha256:" + "d" * 64},
                       head=head, digest_header=digest_header) as reg:
        image = "%s/binder/env:%s" % (reg.host, SHA)
        digest = r2d.registry_manifest(image, "builder", "s3cret", insecure=True)
        expected = "sha256:" + ("d" * 64 if digest_header else hashlib.sha256(MANIFEST_BODY).hexdigest())
        assert digest == expected
        assert r2d.registry_manifest("%s/binder/env:%s" % (reg.host, "f" * 40), "builder", "s3cret",
                                     insecure=True) is None


def test_auth_config_key():
    assert r2d.auth_config_key("127.0.0.1:5000") == "127.0.0.1:5000"
    assert r2d.auth_config_key(None) == "https://index.docker.io/v1/"
    assert r2d.auth_config_key("docker.io") == "https://index.docker.io/v1/"


def test_bad_naming_fails_before_touching_the_repository():
    calls = []

    def runner(argv, **kwargs):
        calls.append(argv)
        return 128, "", "should not run"

    params = {"repo": "https://git.example.org/lab/env.git", "image_prefix": "registry.example.org/noproject-"}
    with pytest.raises(r2d.Repo2DockerError) as err:
        r2d.ensure_image(params, runner=runner)
    assert err.value.kind == "bad_input" and calls == []
