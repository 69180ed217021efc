"""plugins/module_utils/repo2docker_engine.py: the engine client (the Docker SDK) against a Docker API served on a
unix socket, a missing engine, and where the engine is looked for."""
import pytest
from repo2docker_fixtures import SHA, fake_engine  # noqa: F401  (pytest fixture)

from ansible_collections.versatile.jupyter.plugins.module_utils import repo2docker_engine as r2d_engine
from ansible_collections.versatile.jupyter.plugins.module_utils.repo2docker_errors import Repo2DockerError


def test_engine_image(fake_engine):
    r2d_engine.engine_ping(fake_engine)
    found = r2d_engine.engine_image(fake_engine, "localhost/course:" + SHA)
    assert found["Id"] == "sha256:" + "e" * 64 and found["Labels"] == {"repo2docker.ref": SHA}
    assert r2d_engine.engine_image(fake_engine, "localhost/course:other") is None


def test_no_engine(tmp_path):
    with pytest.raises(Repo2DockerError) as err:
        r2d_engine.engine_image("unix://%s/absent.sock" % tmp_path, "x:y")
    assert err.value.kind == "no_engine"


def test_find_engine_host_order(tmp_path, monkeypatch):
    assert r2d_engine.find_engine_host("unix:///given.sock", {"DOCKER_HOST": "tcp://x:1"}) == "unix:///given.sock"
    assert r2d_engine.find_engine_host(None, {"DOCKER_HOST": "tcp://x:1"}) == "tcp://x:1"
    monkeypatch.setattr(r2d_engine, "DEFAULT_SOCKETS", (str(tmp_path / "absent.sock"),))
    with pytest.raises(Repo2DockerError) as err:
        r2d_engine.find_engine_host(None, {})
    assert err.value.kind == "no_engine"
