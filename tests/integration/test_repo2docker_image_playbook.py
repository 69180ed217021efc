"""playbooks/images.yml (role hub_images, module repo2docker_image) through ansible-playbook on this host,
against real repo2docker, podman's Docker API and Debian's docker-registry: check mode builds nothing, the
first run builds and pushes, the second run and a second check run change nothing (one module run for every
image: the role's build task returns one result per entry under `images`), the facts for the hubs hold
BinderHub's names, bad input stops before anything is built, the password never reaches the output.
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile

import pytest
import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.abspath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, os.path.join(HERE, "..", "fixtures", "repo2docker"))
import repo2docker_env as env  # noqa: E402

from ansible_collections.versatile.jupyter.plugins.module_utils.binder_names import binder_image_name  # noqa: E402

pytestmark = pytest.mark.skipif(bool(env.missing_parts()), reason="; ".join(env.missing_parts()))

USER, PASSWORD = "hubbuilder", "pl4ybook-secret"


@pytest.fixture(scope="module")
def parts():
    registry = env.Registry({USER: PASSWORD})
    engine = env.PodmanService(insecure_registries=[registry.host])
    work = tempfile.mkdtemp(prefix="vj-images-pb-")
    repos = {}
    for name in ("physics", "course"):
        path = os.path.join(work, name + ".git")
        repos[name] = {"path": path, "url": "file://" + path, "sha": env.make_env_repo(path)}
    inventory = os.path.join(work, "hosts.yml")
    with open(inventory, "w") as handle:
        yaml.safe_dump({"all": {"children": {"k3s_cluster": {"children": {
            "k3s_servers": {"hosts": {"localhost": {"ansible_connection": "local",
                                                    "ansible_python_interpreter": sys.executable}}},
            "k3s_agents": {"hosts": {}}}}}}}, handle)
    yield {"registry": registry, "engine": engine, "work": work, "repos": repos, "inventory": inventory}
    engine.remove_images(registry.host)
    engine.stop()
    registry.stop()
    shutil.rmtree(work, ignore_errors=True)


def write_vars(parts, images, **extra):
    # The test registry is on a free port, not a NodePort of a cluster: it is the role's own registry setting.
    # cluster_api_endpoint: the inventory check (playbooks/check.yml) asks every stage for it.
    data = {"hub_images_registry_address": parts["registry"].host, "cluster_api_endpoint": "127.0.0.1",
            "hub_images_registry_username": USER, "hub_images_registry_password": PASSWORD,
            "hub_images_engine_host": parts["engine"].host, "hub_images": images,
            # This host has no systemd: the test brings its own podman socket and repo2docker (the venv's).
            "hub_images_prepare_build_host": False, "hub_images_repo2docker_command": []}
    data.update(extra)
    path = os.path.join(parts["work"], "vars-%d.yml" % len(os.listdir(parts["work"])))
    with open(path, "w") as handle:
        yaml.safe_dump(data, handle)
    return path


def images_of(parts):
    prefix = parts["registry"].host + "/binder/test-"
    return [
        {"name": "physics", "repo": parts["repos"]["physics"]["url"], "ref": "main", "image_prefix": prefix},
        # No image_name / image_prefix: hub_images_image_prefix from hub_images_registry_address.
        {"name": "course", "repo": parts["repos"]["course"]["path"], "labels": {"team": "teaching"}},
    ]


def play(parts, vars_file, *args):
    environ = dict(os.environ, ANSIBLE_STDOUT_CALLBACK="ansible.posix.json", ANSIBLE_CALLBACKS_ENABLED="ansible.posix.json",
                   ANSIBLE_COLLECTIONS_PATH=os.path.join(REPO, ".ansible", "collections"),
                   ANSIBLE_CACHE_PLUGIN_CONNECTION=os.path.join(parts["work"], "facts"),
                   ANSIBLE_NOCOLOR="1", ANSIBLE_FORCE_COLOR="0")
    proc = subprocess.run(["ansible-playbook", "-i", parts["inventory"], "playbooks/images.yml",
                           "-e", "@" + vars_file] + list(args), cwd=REPO, env=environ,
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=600)
    out = proc.stdout.decode()
    assert PASSWORD not in out and PASSWORD not in proc.stderr.decode()
    report = json.loads(out[out.index("{"):])
    return proc.returncode, report, out


def task_result(report, name):
    for play_ in report["plays"]:
        for task in play_["tasks"]:
            if task["task"]["name"].split(" : ", 1)[-1] == name:
                return task["hosts"]["localhost"]
    raise AssertionError("task %r did not run" % name)


def registry_digest(parts, image):
    name, tag = image.rsplit(":", 1)
    return parts["registry"].manifest_digest(name.split("/", 1)[1], tag, USER, PASSWORD)


def test_check_build_idempotent_and_facts(parts):
    registry = parts["registry"]
    vars_file = write_vars(parts, images_of(parts))
    expected = {
        "physics": binder_image_name(registry.host + "/binder/test-", parts["repos"]["physics"]["url"],
                                     parts["repos"]["physics"]["sha"]),
        "course": binder_image_name(registry.host + "/hub-images/", parts["repos"]["course"]["path"],
                                    parts["repos"]["course"]["sha"]),
    }

    rc, report, out = play(parts, vars_file, "--check", "--diff")
    assert rc == 0, out
    build = task_result(report, "Build the images that do not exist yet")
    assert [(item["changed"], item["built"]) for item in build["images"]] == [(True, False), (True, False)]
    assert all(registry_digest(parts, image) is None for image in expected.values())   # nothing built

    rc, report, out = play(parts, vars_file)
    assert rc == 0, out
    build = task_result(report, "Build the images that do not exist yet")
    assert [(item["changed"], item["built"]) for item in build["images"]] == [(True, True), (True, True)]
    facts = task_result(report, "Hand the image references to the hubs")["ansible_facts"]
    assert facts["hub_images_built"] == expected
    for name, image in expected.items():
        digest = registry_digest(parts, image)
        assert digest is not None and facts["hub_images_details"][name]["digest"] == digest
        assert facts["hub_images_details"][name]["tag"] == parts["repos"][name]["sha"]

    rc, report, out = play(parts, vars_file)
    assert rc == 0, out
    assert report["stats"]["localhost"]["changed"] == 0
    build = task_result(report, "Build the images that do not exist yet")
    assert [item["built"] for item in build["images"]] == [False, False]
    assert task_result(report, "Hand the image references to the hubs")["ansible_facts"]["hub_images_built"] == expected

    rc, report, out = play(parts, vars_file, "--check")
    assert rc == 0 and report["stats"]["localhost"]["changed"] == 0

    # A new commit on physics: only physics builds.
    sha2 = env.new_commit(parts["repos"]["physics"]["path"], "new physics environment")
    rc, report, out = play(parts, vars_file)
    assert rc == 0, out
    build = task_result(report, "Build the images that do not exist yet")
    assert [item["built"] for item in build["images"]] == [True, False]
    built = task_result(report, "Hand the image references to the hubs")["ansible_facts"]["hub_images_built"]
    assert built["physics"].endswith(":" + sha2) and built["course"] == expected["course"]


@pytest.mark.parametrize("images,needle", [
    # Refused by the inventory check that every stage runs first (playbooks/check.yml).
    ([{"name": "a", "repo": "/x"}, {"name": "a", "repo": "/y"}], "name a is used twice"),
    ([{"name": "a"}], "repo is missing"),
    ([{"name": "a", "repo": "/x", "image_prefix": "127.0.0.1:5000/noproject-"}], "project level"),
    ([{"name": "a", "repo": "/x", "image_name": "Upper/Case"}], "image_name Upper/Case has uppercase letters"),
])
def test_bad_input_stops_before_building(parts, images, needle):
    vars_file = write_vars(parts, images)
    rc, report, out = play(parts, vars_file)
    assert rc != 0
    assert needle in out
    assert "Build the images that do not exist yet" not in [
        task["task"]["name"].split(" : ", 1)[-1] for play_ in report["plays"] for task in play_["tasks"]]


def test_refused_credentials_are_reported_without_the_password(parts):
    vars_file = write_vars(parts, images_of(parts)[:1], hub_images_registry_password="wrong-" + PASSWORD[:3])
    rc, report, out = play(parts, vars_file)
    assert rc != 0
    build = task_result(report, "Build the images that do not exist yet")
    assert build["failed"] is True and build["error_kind"] == "credentials_refused"
    item = build["images"][0]
    assert item["failed"] is True and item["error_kind"] == "credentials_refused"
    assert "images[0] (physics): " in item["msg"] and "refused the credentials" in item["msg"]
