"""repo2docker_image's logic against real parts: repo2docker (the pinned version) building through podman's
Docker-compatible API, Debian's docker-registry with basic auth, git repositories made in a temp dir.

First run builds, second run does not, a new commit does; push reaches the registry (checked with an
independent HTTP request); check mode builds nothing; clear errors for bad credentials and failed builds.
"""
import os
import sys
import tempfile

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "fixtures", "repo2docker"))
import repo2docker_env as env  # noqa: E402

from ansible_collections.versatile.jupyter.plugins.module_utils import repo2docker as r2d  # noqa: E402
from ansible_collections.versatile.jupyter.plugins.module_utils.binder_names import binder_image_name  # noqa: E402

pytestmark = pytest.mark.skipif(bool(env.missing_parts()), reason="; ".join(env.missing_parts()))

USER, PASSWORD = "builder", "s3cret-pw"
IMAGE_BASE = "localhost/vj-r2d-test-%d" % os.getpid()


@pytest.fixture(scope="module")
def registry():
    reg = env.Registry({USER: PASSWORD})
    yield reg
    reg.stop()


@pytest.fixture(scope="module")
def engine(registry):
    service = env.PodmanService(insecure_registries=[registry.host])
    yield service
    service.remove_images(registry.host)
    service.remove_images(IMAGE_BASE)
    service.stop()


@pytest.fixture
def env_repo():
    tmp = tempfile.mkdtemp(prefix="vj-r2d-repo-")
    path = os.path.join(tmp, "env.git")
    sha = env.make_env_repo(path)
    yield {"path": path, "url": "file://" + path, "sha": sha}
    import shutil
    shutil.rmtree(tmp, ignore_errors=True)


def local_params(engine, repo, **extra):
    params = {"repo": repo, "ref": "main", "image_name": IMAGE_BASE, "engine_host": engine.host}
    params.update(extra)
    return params


def push_params(engine, registry, repo, **extra):
    params = {"repo": repo, "ref": "main", "image_prefix": registry.host + "/binder/test-", "push": True,
              "registry_username": USER, "registry_password": PASSWORD, "registry_insecure": True,
              "engine_host": engine.host}
    params.update(extra)
    return params


def test_local_engine_build_skip_rebuild(engine, env_repo):
    params = local_params(engine, env_repo["path"])
    # Check mode: a build would happen, nothing is built.
    checked = r2d.ensure_image(params, check_mode=True)
    assert checked["changed"] is True and checked["built"] is False
    assert r2d.engine_image(engine.host, checked["image"]) is None

    first = r2d.ensure_image(params)
    assert first["changed"] is True and first["built"] is True
    assert first["image"] == "%s:%s" % (IMAGE_BASE, env_repo["sha"])
    found = r2d.engine_image(engine.host, first["image"])
    assert found["Id"] == first["image_id"]
    assert found["Labels"]["repo2docker.ref"] == env_repo["sha"]
    assert found["Labels"]["repo2docker.repo"] == env_repo["path"]
    inspect = engine.podman("image", "inspect", "--format", "{{.Config.User}}", first["image"]).stdout.decode()
    assert inspect.strip() == "jovyan"          # non-root image user

    second = r2d.ensure_image(params)
    assert second["changed"] is False and second["built"] is False and second["image_id"] == first["image_id"]

    sha2 = env.new_commit(env_repo["path"], "a new commit")
    third = r2d.ensure_image(params)
    assert third["built"] is True and third["tag"] == sha2 and third["image"] != first["image"]

    forced = r2d.ensure_image(dict(params, force=True))
    assert forced["built"] is True and forced["changed"] is True


def test_push_to_registry_and_skip(engine, registry, env_repo):
    params = push_params(engine, registry, env_repo["url"])
    expected = binder_image_name(registry.host + "/binder/test-", env_repo["url"], env_repo["sha"])

    checked = r2d.ensure_image(params, check_mode=True)
    assert checked["image"] == expected and checked["changed"] is True and checked["checked"] == "registry"

    first = r2d.ensure_image(params)
    assert first["built"] is True and first["pushed"] is True
    repository = expected.split("/", 1)[1].rsplit(":", 1)[0]
    independent = registry.manifest_digest(repository, env_repo["sha"], USER, PASSWORD)
    assert independent is not None and independent == first["digest"]
    assert "s3cret" not in " ".join(first["cmd"])

    second = r2d.ensure_image(params)
    assert second["changed"] is False and second["built"] is False and second["exists"] is True
    assert second["digest"] == independent

    # A new commit: the registry lacks the new tag, so it builds and pushes again.
    sha2 = env.new_commit(env_repo["path"], "second environment")
    third = r2d.ensure_image(params)
    assert third["built"] is True and third["tag"] == sha2
    assert registry.manifest_digest(repository, sha2, USER, PASSWORD) == third["digest"]


def test_registry_refuses_bad_credentials_before_building(engine, registry, env_repo):
    params = push_params(engine, registry, env_repo["url"], registry_password="wrong")
    with pytest.raises(r2d.Repo2DockerError) as err:
        r2d.ensure_image(params)
    assert err.value.kind == "credentials_refused" and "wrong" not in err.value.message
    with pytest.raises(r2d.Repo2DockerError) as err:
        r2d.ensure_image(dict(params, registry_username=None, registry_password=None))
    assert err.value.kind == "credentials_refused" and "needs credentials" in err.value.message


def test_build_failure_returns_the_log_tail(engine, env_repo):
    tmp = tempfile.mkdtemp(prefix="vj-r2d-bad-")
    bad = os.path.join(tmp, "bad.git")
    env.make_env_repo(bad, "FROM {base}\nRUN echo broken-step-marker && false\n")
    with pytest.raises(r2d.Repo2DockerError) as err:
        r2d.ensure_image(local_params(engine, bad, image_name=IMAGE_BASE + "-bad"))
    assert err.value.kind == "build_failed"
    assert any("broken-step-marker" in line for line in err.value.log_tail)


def test_no_engine(env_repo):
    params = {"repo": env_repo["path"], "image_name": IMAGE_BASE, "engine_host": "unix:///nonexistent/e.sock"}
    with pytest.raises(r2d.Repo2DockerError) as err:
        r2d.ensure_image(params)
    assert err.value.kind == "no_engine"


def test_unreachable_and_missing_ref(engine, env_repo):
    with pytest.raises(r2d.Repo2DockerError) as err:
        r2d.ensure_image(local_params(engine, "file:///nonexistent/x.git"))
    assert err.value.kind == "unreachable"
    with pytest.raises(r2d.Repo2DockerError) as err:
        r2d.ensure_image(local_params(engine, env_repo["url"], ref="no-such-branch"))
    assert err.value.kind == "ref_not_found"


def test_bearer_token_registry(env_repo):
    """The real registry in token mode (its token service is the token_issuer stand-in): podman pushes
    through the token flow, the module's existence check follows the Bearer challenge."""
    registry = env.Registry({USER: PASSWORD}, token=True)
    engine = env.PodmanService(insecure_registries=[registry.host])
    try:
        params = push_params(engine, registry, env_repo["url"])
        first = r2d.ensure_image(params)
        assert first["built"] is True and first["pushed"] is True
        repository = first["name"].split("/", 1)[1]
        assert registry.manifest_digest(repository, env_repo["sha"], USER, PASSWORD) == first["digest"]
        second = r2d.ensure_image(params)
        assert second["changed"] is False and second["digest"] == first["digest"]
        scopes = [q.get("scope") for q in registry.issuer.requests]
        assert ["repository:%s:pull" % repository] in scopes       # the module's token request
        with pytest.raises(r2d.Repo2DockerError) as err:
            r2d.ensure_image(dict(params, registry_password="wrong"))
        assert err.value.kind == "credentials_refused"
    finally:
        engine.remove_images(registry.host)
        engine.stop()
        registry.stop()
