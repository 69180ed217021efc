"""Fixtures shared by the repo2docker unit tests (tests/unit/test_repo2docker*.py): real git repositories, and a
Docker API served on a unix socket the way the engine answers the Docker SDK."""
import json
import os
import re
import socket
import subprocess
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

SHA = "0123456789abcdef0123456789abcdef01234567"
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


@pytest.fixture
def fake_engine(tmp_path):
    """A unix-socket HTTP server answering the Docker API calls the engine client makes through the Docker SDK:
    /_ping (unversioned, announcing API version 1.41 in its Api-Version header, as docker and podman do), then
    /v1.41/images/<name>/json."""
    record = {"Id": "sha256:" + "e" * 64, "RepoDigests": [], "Config": {"Labels": {"repo2docker.ref": SHA}}}
    images = {"localhost/course:%s" % SHA: record}

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def address_string(self):
            return "engine"

        def do_GET(self):
            path = re.sub(r"^/v1\.41/", "/", self.path)
            if path == "/_ping":
                body, code = b"OK", 200
            elif path.startswith("/images/") and path.endswith("/json"):
                name = path[len("/images/"):-len("/json")]
                found = images.get(name)
                body, code = (json.dumps(found).encode(), 200) if found else (b'{"message":"no such image"}', 404)
            else:
                body, code = b"", 404
            self.send_response(code)
            self.send_header("Api-Version", "1.41")
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
