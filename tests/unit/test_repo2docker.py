"""plugins/module_utils/repo2docker.py: the build decision for one image: naming (an explicit name, or BinderHub's
under an image_prefix), bad input refused before any git or network call, an image the engine has skipped, check
mode reporting a build."""
import pytest
from repo2docker_fixtures import SHA, fake_engine, repo  # noqa: F401  (pytest fixtures)

from ansible_collections.versatile.jupyter.plugins.module_utils import repo2docker as r2d
from ansible_collections.versatile.jupyter.plugins.module_utils.repo2docker_command import target_repo_dir_error
from ansible_collections.versatile.jupyter.plugins.module_utils.repo2docker_errors import Repo2DockerError


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
    with pytest.raises(Repo2DockerError) as err:
        r2d.target_image(SHA, "https://github.com/a/b", **kwargs)
    assert err.value.kind == "bad_input" and needle in err.value.message


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


@pytest.mark.parametrize("path", ["srv/repo", "/", "/srv/../home/jovyan", "~/repo"])
def test_bad_target_repo_dir_fails_before_touching_the_repository(path):
    calls = []

    def runner(argv, **kwargs):
        calls.append(argv)
        return 0, "", ""

    params = {"repo": "https://git.example.org/lab/env.git", "image_name": "localhost/env",
              "target_repo_dir": path}
    with pytest.raises(Repo2DockerError) as err:
        r2d.ensure_image(params, runner=runner)
    assert err.value.kind == "bad_input" and "target_repo_dir" in err.value.message and calls == []
    assert target_repo_dir_error("/srv/repo") is None and target_repo_dir_error(None) is None


def test_bad_naming_fails_before_touching_the_repository():
    calls = []

    def runner(argv, **kwargs):
        calls.append(argv)
        return 128, "", "should not run"

    params = {"repo": "https://git.example.org/lab/env.git", "image_prefix": "registry.example.org/noproject-"}
    with pytest.raises(Repo2DockerError) as err:
        r2d.ensure_image(params, runner=runner)
    assert err.value.kind == "bad_input" and calls == []
