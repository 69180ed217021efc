"""plugins/module_utils/repo2docker_registry.py: the registry client (basic auth and the bearer-token flow against
the token-registry stand-in, registries without HEAD or without the digest header, unreachable registries) and
the push credentials as Docker clients read them."""
import base64
import os
import socket
import sys

import pytest
from repo2docker_fixtures import SHA

from ansible_collections.versatile.jupyter.plugins.module_utils import repo2docker_registry as r2d_reg
from ansible_collections.versatile.jupyter.plugins.module_utils.repo2docker_errors import Repo2DockerError

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "standins", "token_registry"))
from token_registry import TokenRegistry  # noqa: E402  (stand-in for a bearer-token registry, see its README)


@pytest.fixture
def token_registry():
    with TokenRegistry(users={"builder": "s3cret"},
                       manifests={("binder/env", SHA): "sha256:" + "d" * 64}) as reg:
        yield reg


def test_bearer_flow_finds_an_image(token_registry):
    image = "%s/binder/env:%s" % (token_registry.host, SHA)
    digest = r2d_reg.registry_manifest(image, "builder", "s3cret", insecure=True)
    assert digest == "sha256:" + "d" * 64
    assert token_registry.token_requests[-1] == {"service": "standin-registry",
                                                 "scope": "repository:binder/env:pull"}


def test_bearer_flow_missing_tag_is_none(token_registry):
    image = "%s/binder/env:%s" % (token_registry.host, "f" * 40)
    assert r2d_reg.registry_manifest(image, "builder", "s3cret", insecure=True) is None


def test_bearer_flow_wrong_password(token_registry):
    image = "%s/binder/env:%s" % (token_registry.host, SHA)
    with pytest.raises(Repo2DockerError) as err:
        r2d_reg.registry_manifest(image, "builder", "wrong", insecure=True)
    assert err.value.kind == "credentials_refused"
    assert "wrong" not in err.value.message


def test_registry_unreachable():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with pytest.raises(Repo2DockerError) as err:
        r2d_reg.registry_manifest("127.0.0.1:%d/p/x:t" % port, insecure=True)
    assert err.value.kind == "registry_unreachable"


@pytest.mark.parametrize("header,expect", [
    ('Bearer realm="https://auth.example/token",service="registry.example",scope="repository:a/b:pull"',
     ("bearer", {"realm": "https://auth.example/token", "service": "registry.example",
                 "scope": "repository:a/b:pull"})),
    ('Basic realm="basic-realm"', ("basic", {"realm": "basic-realm"})),
])
def test_parse_challenge(header, expect):
    assert r2d_reg.parse_challenge(header) == expect


def test_registry_base_url():
    assert r2d_reg.registry_base_url("127.0.0.1:5000/p/x:t", insecure=True) == "http://127.0.0.1:5000"
    assert r2d_reg.registry_base_url("r.example.org/p/x:t") == "https://r.example.org"
    assert r2d_reg.registry_base_url("jupyter/base:t") == "https://registry-1.docker.io"
    assert r2d_reg.registry_base_url("a/b:t", registry_url="reg.internal:443/") == "https://reg.internal:443"


@pytest.mark.parametrize("head,digest_header", [(False, True), (True, False), (False, False)])
def test_registry_without_head_or_digest_header(head, digest_header):
    import hashlib
    from token_registry import MANIFEST_BODY
    with TokenRegistry(users={"builder": "s3cret"}, manifests={("binder/env", SHA): "sha256:" + "d" * 64},
                       head=head, digest_header=digest_header) as reg:
        image = "%s/binder/env:%s" % (reg.host, SHA)
        digest = r2d_reg.registry_manifest(image, "builder", "s3cret", insecure=True)
        expected = "sha256:" + ("d" * 64 if digest_header else hashlib.sha256(MANIFEST_BODY).hexdigest())
        assert digest == expected
        assert r2d_reg.registry_manifest("%s/binder/env:%s" % (reg.host, "f" * 40), "builder", "s3cret",
                                         insecure=True) is None


def test_docker_auth_config():
    config = r2d_reg.docker_auth_config("127.0.0.1:5000", "builder", "s3cret")
    assert base64.b64decode(config["auths"]["127.0.0.1:5000"]["auth"]) == b"builder:s3cret"


def test_auth_config_key():
    assert r2d_reg.auth_config_key("127.0.0.1:5000") == "127.0.0.1:5000"
    assert r2d_reg.auth_config_key(None) == "https://index.docker.io/v1/"
    assert r2d_reg.auth_config_key("docker.io") == "https://index.docker.io/v1/"


class _RecordingOpener:
    """An opener that answers from a list of (status, headers) and records each request's Authorization."""

    def __init__(self, *answers):
        self.answers = list(answers)
        self.authorizations = []

    def __call__(self, request, timeout):
        from email.message import Message
        from urllib.error import HTTPError
        self.authorizations.append(request.get_header("Authorization"))
        status, fields = self.answers.pop(0)
        headers = Message()
        for key, value in fields.items():
            headers[key] = value
        if status >= 400:
            raise HTTPError(request.full_url, status, "answer", headers, None)

        class Response:
            pass
        response = Response()
        response.status, response.headers = status, headers
        return response


def test_credentials_go_with_the_first_request():
    # A basic-auth registry (the cluster's own) answers the first request: one request an image, not two.
    opener = _RecordingOpener((200, {"Docker-Content-Digest": "sha256:" + "a" * 64}))
    assert r2d_reg.registry_manifest("r.example:5000/p/x:t", "builder", "s3cret", insecure=True,
                                     opener=opener) == "sha256:" + "a" * 64
    assert opener.authorizations == [r2d_reg._basic("builder", "s3cret")]


def test_wrong_basic_credentials_are_refused_after_one_request():
    opener = _RecordingOpener((401, {"WWW-Authenticate": 'Basic realm="r"'}))
    with pytest.raises(Repo2DockerError) as err:
        r2d_reg.registry_manifest("r.example:5000/p/x:t", "builder", "wrong", insecure=True, opener=opener)
    assert err.value.kind == "credentials_refused"
    assert len(opener.authorizations) == 1


def test_no_credentials_no_authorization_header():
    opener = _RecordingOpener((404, {}))
    assert r2d_reg.registry_manifest("r.example:5000/p/x:t", insecure=True, opener=opener) is None
    assert opener.authorizations == [None]


def test_one_tls_context_for_every_https_request(monkeypatch):
    # Python 3.11's urllib makes a TLS context per connection unless given one; each loads the CA bundle again.
    import ssl
    made = []
    real = ssl.create_default_context
    counted = lambda *a, **kw: made.append(1) or real(*a, **kw)  # noqa: E731
    monkeypatch.setattr(ssl, "create_default_context", counted)
    monkeypatch.setattr(ssl, "_create_default_https_context", counted)  # what urllib uses when given none
    monkeypatch.setattr(r2d_reg, "_OPENERS", {})
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    for _ in range(3):
        with pytest.raises(Repo2DockerError):
            r2d_reg.registry_manifest("127.0.0.1:%d/p/x:t" % port, registry_url="https://127.0.0.1:%d" % port)
    assert len(made) == 1
