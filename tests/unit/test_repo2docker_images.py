"""repo2docker_image's list form (``images``): every item checked before anything runs, errors naming the item
and the key, the task's options as defaults, existence checks of real git repositories against the bearer-token
registry stand-in, one failing item not stopping the others, builds only for missing images, and the module
process itself (check mode, diff, no password in its output)."""
import json
import os
import subprocess
import sys

import pytest

from ansible_collections.versatile.jupyter.plugins.module_utils import repo2docker_images as r2d
from ansible_collections.versatile.jupyter.plugins.module_utils.repo2docker_errors import Repo2DockerError

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.abspath(os.path.join(HERE, "..", ".."))
MODULE = os.path.join(REPO, "plugins", "modules", "repo2docker_image.py")
sys.path.insert(0, os.path.join(HERE, "..", "standins", "token_registry"))
from token_registry import TokenRegistry  # noqa: E402  (stand-in for a bearer-token registry, see its README)

PASSWORD = "l1st-s3cret"
GIT_ENV = {"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.org", "GIT_COMMITTER_NAME": "t",
           "GIT_COMMITTER_EMAIL": "t@example.org", "GIT_CONFIG_GLOBAL": "/dev/null"}


def git(*args):
    env = dict(os.environ, **GIT_ENV)
    return subprocess.run(["git"] + list(args), env=env, check=True,
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE).stdout.decode().strip()


@pytest.fixture
def repos(tmp_path):
    """Three real git repositories, one commit each: {name: (file:// URL, sha)}."""
    out = {}
    for name in ("physics", "chemistry", "course"):
        path = tmp_path / name
        path.mkdir()
        git("init", "-q", "-b", "main", str(path))
        (path / "environment.yml").write_text("name: %s\n" % name)
        git("-C", str(path), "add", "environment.yml")
        git("-C", str(path), "commit", "-q", "-m", name)
        out[name] = ("file://%s" % path, git("-C", str(path), "rev-parse", "HEAD"))
    return out


def defaults(**extra):
    """The module's parameters as main() passes them (the task's options)."""
    params = {"repo": None, "ref": "HEAD", "image_name": None, "image_prefix": None, "binder_provider": "auto",
              "push": False, "force": False, "registry_url": None, "registry_username": None,
              "registry_password": None, "registry_insecure": False, "engine_host": None, "user_id": 1000,
              "user_name": "jovyan", "labels": {}, "target_repo_dir": None, "extra_args": [],
              "repo2docker_command": None, "build_timeout": 3600, "log_lines": 40}
    params.update(extra)
    return params


def never_run(*args, **kwargs):
    raise AssertionError("a command ran before the items were checked: %r" % (args,))


# ---- validation: every problem at once, each naming the item and the key ------------------------

def test_every_bad_item_is_named_before_anything_runs():
    images = [
        "physics",
        {"name": "a", "image_prefix": "r.example.org/binder/a-"},
        {"name": "b", "repo": "/x", "push": "maybe", "image_name": "r.example.org/lab/b"},
        {"name": "c", "repo": "/x", "registry_password": PASSWORD, "image_name": "r.example.org/lab/c"},
        {"name": "d", "repo": "/x", "colour": "red", "image_name": "r.example.org/lab/d"},
        {"name": "e", "repo": "/x"},
        {"name": "a", "repo": "/y", "image_name": "r.example.org/lab/a2"},
        {"repo": "/x", "image_name": "r.example.org/lab/f", "target_repo_dir": "relative"},
        {"name": "g", "repo": "/x", "image_name": "Upper/Case"},
        {"name": "h", "repo": "/x", "image_name": "r.example.org/lab/h", "binder_provider": "svn"},
        {"name": "i", "repo": "/x", "image_name": "r.example.org/lab/i", "labels": ["team"]},
    ]
    with pytest.raises(Repo2DockerError) as err:
        r2d.ensure_images(images, defaults(), runner=never_run)
    message = err.value.message
    assert err.value.kind == "bad_input"
    for needle in [
        "images[0] must be a mapping with at least repo; it is the string 'physics'",
        "images[1] (a): repo is missing",
        "images[2] (b): push must be a boolean (true or false); it is the string 'maybe'",
        "images[3] (c): registry_password is not an item setting",
        "images[4] (d): unknown key 'colour'",
        "images[5] (e): set exactly one of image_name and image_prefix",
        "images[6] (a): name a is also images[1]'s",
        "images[7]: target_repo_dir 'relative' must be an absolute folder",
        "images[8] (g): image_name 'Upper/Case' must be lower case",
        "images[9] (h): binder_provider must be one of auto, gh, gl, gist, git; it is the string 'svn'",
        "images[10] (i): labels must be a mapping",
    ]:
        assert needle in message
    assert PASSWORD not in message


def test_partial_task_options_take_the_module_defaults():
    (label, params), = r2d.image_items([{"repo": "/a"}], {"image_prefix": "r.example.org/binder/x-"})
    assert label == "images[0]" and params["ref"] == "HEAD" and params["binder_provider"] == "auto"


def test_images_must_be_a_list():
    with pytest.raises(Repo2DockerError, match="images must be a list of mappings"):
        r2d.image_items({"repo": "/x"}, defaults())


def test_items_take_the_task_options_as_defaults_and_override_its_naming():
    items = r2d.image_items([
        {"name": "a", "repo": "/a"},
        {"name": "b", "repo": "/b", "image_name": "r.example.org/lab/b", "push": "no", "ref": "v1",
         "force": True, "labels": {"n": 1}, "target_repo_dir": ""},
    ], defaults(image_prefix="r.example.org/binder/hub-", push=True, target_repo_dir="/srv/repo"))
    (label_a, a), (label_b, b) = items
    assert (label_a, label_b) == ("images[0] (a)", "images[1] (b)")
    assert a["image_prefix"] == "r.example.org/binder/hub-" and a["image_name"] is None
    assert a["push"] is True and a["ref"] == "HEAD" and a["target_repo_dir"] == "/srv/repo"
    assert b["image_prefix"] is None and b["image_name"] == "r.example.org/lab/b"
    assert b["push"] is False and b["force"] is True and b["ref"] == "v1" and b["labels"] == {"n": "1"}
    assert b["target_repo_dir"] == "/srv/repo"  # an empty value is unset: the task's


# ---- existence checks against a registry, in one call -------------------------------------------

@pytest.fixture
def registry(repos):
    """The bearer-token registry stand-in holding physics and chemistry at their commits, not course."""
    manifests = {("lab/%s" % name, sha): "sha256:" + (name[0] * 64) for name, (url, sha) in repos.items()
                 if name != "course"}
    with TokenRegistry(users={"builder": PASSWORD}, manifests=manifests) as reg:
        yield reg


def listed(repos, registry):
    return [{"name": name, "repo": url, "ref": "main", "image_name": "%s/lab/%s" % (registry.host, name)}
            for name, (url, sha) in repos.items()]


def registry_defaults(registry, **extra):
    return defaults(**dict({"push": True, "registry_username": "builder", "registry_password": PASSWORD,
                            "registry_insecure": True}, **extra))


def test_check_mode_reports_only_the_missing_image(repos, registry):
    results, failures = r2d.ensure_images(listed(repos, registry), registry_defaults(registry), check_mode=True)
    assert failures == []
    assert [(r["index"], r["item_name"], r["exists"], r["changed"], r["built"]) for r in results] == [
        (0, "physics", True, False, False), (1, "chemistry", True, False, False), (2, "course", False, True, False)]
    assert [r["tag"] for r in results] == [repos[name][1] for name in ("physics", "chemistry", "course")]
    assert results[0]["digest"] == "sha256:" + "p" * 64 and results[0]["summary"]["image"] == results[0]["image"]
    assert PASSWORD not in json.dumps(results)


def test_one_failing_item_does_not_stop_the_others(repos, registry, tmp_path):
    images = listed(repos, registry)[:2] + [
        {"name": "gone", "repo": "file://%s" % (tmp_path / "absent"), "image_name": registry.host + "/lab/gone"}]
    results, failures = r2d.ensure_images(images, registry_defaults(registry), check_mode=True)
    assert [r["exists"] for r in results[:2]] == [True, True]
    assert [f["index"] for f in failures] == [2] and failures[0]["error_kind"] == "unreachable"
    assert failures[0]["msg"].startswith("images[2] (gone): repo file://")


def test_refused_credentials_name_the_item_without_the_password(repos, registry):
    params = registry_defaults(registry, registry_password="wrong-" + PASSWORD)
    results, failures = r2d.ensure_images(listed(repos, registry)[:1], params, check_mode=True)
    assert failures[0]["error_kind"] == "credentials_refused"
    assert failures[0]["msg"].startswith("images[0] (physics): ") and "refused the credentials" in failures[0]["msg"]
    assert PASSWORD not in json.dumps(results)


def test_only_missing_images_are_built(monkeypatch):
    """Outside check mode each item whose check says 'build' goes through ensure_image once more, one at a time;
    the others are not touched again."""
    calls = []

    def fake_ensure(params, check_mode=False, runner=None):
        calls.append((params["name"], check_mode))
        missing = params["name"] in ("b", "c") or params.get("force")
        return {"image": "r/%s:t" % params["name"], "exists": not missing, "built": bool(missing and not check_mode),
                "changed": bool(missing), "summary": {}}

    monkeypatch.setattr(r2d, "ensure_image", fake_ensure)
    images = [{"name": n, "repo": "/" + n} for n in "abcd"] + [{"name": "e", "repo": "/e", "force": True}]
    results, failures = r2d.ensure_images(images, defaults(image_prefix="r.example.org/binder/x-"))
    assert failures == []
    assert sorted(c for c in calls if c[1]) == [(n, True) for n in "abcde"]
    assert [c for c in calls if not c[1]] == [("b", False), ("c", False), ("e", False)]
    assert [r["built"] for r in results] == [False, True, True, False, True]


# ---- the module process (as Ansible runs it) -----------------------------------------------------

def run_module(tmp_path, args, check=False, diff=False):
    path = tmp_path / "args.json"
    path.write_text(json.dumps({"ANSIBLE_MODULE_ARGS": dict(args, _ansible_check_mode=check, _ansible_diff=diff)}))
    env = dict(os.environ, PYTHONPATH=os.path.join(REPO, ".ansible", "collections"))
    proc = subprocess.run([sys.executable, MODULE, str(path)], capture_output=True, text=True, env=env,
                          timeout=120, check=False)
    assert PASSWORD not in proc.stdout + proc.stderr
    return json.loads(proc.stdout)


def test_module_list_form_check_mode_and_diff(repos, registry, tmp_path):
    args = {"images": listed(repos, registry), "push": True, "registry_username": "builder",
            "registry_password": PASSWORD, "registry_insecure": True}
    result = run_module(tmp_path, args, check=True, diff=True)
    assert result.get("failed") is not True, result
    assert result["changed"] is True and [r["built"] for r in result["images"]] == [False, False, False]
    assert [i["present"] for i in result["diff"]["before"]["images"]] == [True, True, False]
    assert "image" not in result  # the single-image keys are per item only

    result = run_module(tmp_path, dict(args, images=listed(repos, registry)[:2]), check=True)
    assert result["changed"] is False and [r["exists"] for r in result["images"]] == [True, True]


def test_module_refuses_repo_and_images_together_and_bad_items(tmp_path):
    result = run_module(tmp_path, {"repo": "/x", "images": [], "image_name": "r.example.org/a/b"})
    assert result["failed"] is True and "mutually exclusive" in result["msg"]
    result = run_module(tmp_path, {"images": [{"name": "x", "repo": "/x", "push": "perhaps",
                                               "image_name": "r.example.org/a/b"}]})
    assert result["failed"] is True and result["error_kind"] == "bad_input"
    assert "images[0] (x): push must be a boolean" in result["msg"]


def test_module_single_image_form_still_needs_a_name(tmp_path):
    result = run_module(tmp_path, {"repo": "/x"})
    assert result["failed"] is True and result["msg"] == "set exactly one of image_name and image_prefix"
