"""Unit tests for plugins/module_utils/upgrades.py: which k3s upgrades are refused, and which users run an image
their hub no longer offers."""
import pytest

from ansible_collections.versatile.jupyter.plugins.filter.upgrades import k3s_upgrade_problems as upgrade_filter
from ansible_collections.versatile.jupyter.plugins.module_utils.upgrades import (
    hub_user_images,
    hub_users_on_old_images,
    k3s_installs,
    k3s_node_problems,
    k3s_upgrade_problem,
    k3s_upgrade_problems,
    k3s_version_of,
    parse_k3s_version,
    rollout_line,
)

NEW = "v1.32.1+k3s1"


def test_parse_orders_releases_like_k3s():
    order = ["v1.30.9+k3s1", "v1.31.0-rc1+k3s1", "v1.31.0+k3s1", "v1.31.0+k3s2", "v1.31.4+k3s1", "v1.32.0+k3s1",
             "v1.100.0+k3s1"]
    assert sorted(order, key=parse_k3s_version) == order
    for bad in ("1.31.4+k3s1", "v1.31", "v1.31.4", "latest", "", None):
        assert parse_k3s_version(bad) is None


def test_version_read_from_k3s_output():
    assert k3s_version_of("k3s version v1.31.4+k3s1 (a3a8f2ce)\ngo version go1.22.9\n") == "v1.31.4+k3s1"
    assert k3s_version_of("") is None
    assert k3s_version_of("bash: k3s: command not found") is None


@pytest.mark.parametrize("installed", ["v1.31.4+k3s1", "v1.32.0+k3s1", "v1.32.1-rc2+k3s1", NEW])
def test_allowed_moves(installed):
    """The same minor version (patch, k3s revision, release candidate), the next minor version, no change."""
    assert k3s_upgrade_problem("s1", installed, NEW) is None


@pytest.mark.parametrize("installed", ["v1.32.2+k3s1", "v1.32.1+k3s2", "v1.33.0+k3s1"])
def test_downgrade_refused_naming_node_versions_and_variable(installed):
    problem = k3s_upgrade_problem("pc07", installed, NEW)
    assert "pc07 runs k3s %s, newer than k3s_version %s" % (installed, NEW) in problem
    assert "cannot be downgraded" in problem


@pytest.mark.parametrize("installed,step", [("v1.30.9+k3s1", "v1.31"), ("v1.29.0+k3s1", "v1.30")])
def test_skipped_minor_refused_with_the_next_step(installed, step):
    problem = k3s_upgrade_problem("s2", installed, NEW)
    assert "s2 runs k3s %s and k3s_version is %s, which skips minor version" % (installed, NEW) in problem
    assert "set k3s_version to a %s release first" % step in problem


def test_major_change_missing_k3s_and_unknown_versions_refused():
    assert "change of major version" in k3s_upgrade_problem("s1", "v1.32.1+k3s1", "v2.0.0+k3s1")
    assert "s1 runs no k3s" in k3s_upgrade_problem("s1", None, NEW)
    assert "not a k3s release name" in k3s_upgrade_problem("s1", "v1.32-dirty", NEW)
    assert "k3s_version is '1.32'" in k3s_upgrade_problem("s1", "v1.31.4+k3s1", "1.32")


def test_every_node_checked_and_each_named_once():
    problems = k3s_upgrade_problems({"s1": "v1.31.4+k3s1", "a1": "v1.30.2+k3s1", "d1": "v1.33.0+k3s1",
                                     "a2": NEW}, NEW, "k3s_version")
    assert len(problems) == 2
    assert problems[0].startswith("a1 runs k3s v1.30.2+k3s1") and problems[1].startswith("d1 runs k3s v1.33.0")
    # A bad target is one message, not one per node.
    assert k3s_upgrade_problems({"s1": "v1.31.4+k3s1", "a1": "v1.31.4+k3s1"}, "x") == [
        "k3s_version is 'x': it must be a k3s release such as v1.31.4+k3s1."]


def test_filter_takes_k3s_output_or_the_bare_release():
    """playbooks/upgrade.yml passes `k3s --version` output, playbooks/k3s.yml the release k3s_node_info reports:
    both are read the same way."""
    output = {"s1": "k3s version v1.32.2+k3s1 (a3a8f2ce)\ngo version go1.22.9\n", "a1": "", "d1": None}
    bare = {"s1": "v1.32.2+k3s1", "a1": "", "d1": None}
    assert upgrade_filter(output, NEW) == upgrade_filter(bare, NEW) == [
        "a1 runs no k3s: playbooks/upgrade.yml only moves installed nodes to k3s_version %s; install the node "
        "with playbooks/k3s.yml." % NEW,
        "d1 runs no k3s: playbooks/upgrade.yml only moves installed nodes to k3s_version %s; install the node "
        "with playbooks/k3s.yml." % NEW,
        "s1 runs k3s v1.32.2+k3s1, newer than k3s_version %s: k3s cannot be downgraded (restore the cluster from "
        "a backup instead, see playbooks/restore.yml), or set k3s_version to v1.32.2+k3s1 or later." % NEW]
    assert upgrade_filter({"s1": "v1.31.4+k3s1"}, NEW) == upgrade_filter({"s1": "k3s version v1.31.4+k3s1"}, NEW) == []
    # A word that is not a release name is refused as such, not as a node without k3s.
    assert "not a k3s release name" in upgrade_filter({"s1": "v1.32.1+k3s1-dirty"}, NEW)[0]
    assert "s1 runs no k3s" in upgrade_filter({"s1": "bash: k3s: command not found"}, NEW)[0]


def test_user_images_from_computed_values():
    values = {"singleuser": {"image": {"name": "quay.io/lab/base", "tag": "2026.11"}, "profileList": [
        {"display_name": "default"},
        {"display_name": "R", "kubespawner_override": {"image": "quay.io/lab/r:4.4"}},
        {"display_name": "choose", "profile_options": {"image": {"choices": {
            "a": {"kubespawner_override": {"image": "quay.io/lab/a:1"}},
            "b": {"kubespawner_override": {"image": "quay.io/lab/r:4.4"}}}}}}]}}
    assert hub_user_images(values) == ["quay.io/lab/base:2026.11", "quay.io/lab/r:4.4", "quay.io/lab/a:1"]
    assert hub_user_images({"singleuser": {"image": {"name": "img"}}}) == ["img"]
    assert hub_user_images(values, "binderhub") == []
    assert hub_user_images({}) == []


def pod(name, image, user=None, server=""):
    annotations = {"hub.jupyter.org/username": user} if user else {}
    if server:
        annotations["hub.jupyter.org/servername"] = server
    return {"metadata": {"name": name, "annotations": annotations},
            "spec": {"containers": [{"name": "notebook", "image": image}]}}


def test_users_on_old_images_listed_by_user():
    pods = [pod("jupyter-zoe", "quay.io/lab/base:2026.10", "zoe"),
            pod("jupyter-alice", "quay.io/lab/base:2026.11", "alice"),
            pod("jupyter-bob-2dr", "quay.io/lab/r:4.3", "bob", "r"),
            pod("jupyter-carl", "quay.io/lab/r:4.4", "carl")]
    old = hub_users_on_old_images(pods, ["quay.io/lab/base:2026.11", "quay.io/lab/r:4.4"])
    assert old == [{"user": "bob", "server": "r", "image": "quay.io/lab/r:4.3", "pod": "jupyter-bob-2dr"},
                   {"user": "zoe", "server": "", "image": "quay.io/lab/base:2026.10", "pod": "jupyter-zoe"}]
    assert hub_users_on_old_images([], ["x"]) == []
    assert [rollout_line(row) for row in old] == ["bob (server r) on quay.io/lab/r:4.3",
                                                  "zoe on quay.io/lab/base:2026.10"]


ARCH_MAP = {"x86_64": "amd64", "aarch64": "arm64"}
UNIT_FILES = {"server": "/etc/systemd/system/k3s.service", "agent": "/etc/systemd/system/k3s-agent.service"}


def answer(architecture="x86_64", *units):
    return {"architecture": architecture, "files": {path: {"exists": path in units} for path in UNIT_FILES.values()}}


def test_node_problems_name_each_node_with_an_unknown_architecture_or_the_other_kind():
    problems = k3s_node_problems(
        {"s1": answer("x86_64", UNIT_FILES["server"]), "a1": answer("x86_64", UNIT_FILES["server"]),
         "a2": answer("riscv64"), "a3": answer("aarch64"), "s2": answer("x86_64", UNIT_FILES["agent"])},
        ["s1", "s2"], NEW, ARCH_MAP, UNIT_FILES)
    assert problems == [
        "a1 is listed as a k3s agent but runs a k3s server (/etc/systemd/system/k3s.service). An agent is never "
        "turned into a server or the reverse: remove the node first (playbooks/remove_node.yml -e "
        "'{\"k3s_remove_nodes\": [\"a1\"]}').",
        "a2: k3s has no release for the architecture 'riscv64' (releases exist for aarch64, x86_64).",
        "s2 is listed as a k3s server but runs a k3s agent (/etc/systemd/system/k3s-agent.service). An agent is "
        "never turned into a server or the reverse: remove the node first (playbooks/remove_node.yml -e "
        "'{\"k3s_remove_nodes\": [\"s2\"]}').",
    ]


def test_node_problems_accept_new_and_installed_nodes_of_their_own_kind():
    assert k3s_node_problems({"s1": answer("x86_64", UNIT_FILES["server"]), "a1": answer("aarch64"),
                              "a2": answer("x86_64", UNIT_FILES["agent"])}, ["s1"], NEW, ARCH_MAP, UNIT_FILES) == []


def test_node_problems_leave_the_architecture_of_a_node_already_on_the_version_alone():
    """Nothing is installed on it: a machine name the map does not know (armv6l) is no reason to stop a re-run."""
    installed = dict(answer("armv6l", UNIT_FILES["agent"]), version=NEW)
    assert k3s_node_problems({"a1": installed}, [], NEW, ARCH_MAP, UNIT_FILES) == []
    assert k3s_node_problems({"a1": dict(installed, version="v1.31.4+k3s1")}, [], NEW, ARCH_MAP, UNIT_FILES) == [
        "a1: k3s has no release for the architecture 'armv6l' (releases exist for aarch64, x86_64)."]


def test_node_problems_skip_nodes_not_looked_at():
    """With --tags that skip the probe, no node has an answer: none is judged."""
    assert k3s_node_problems({"s1": None, "a1": {}}, ["s1"], NEW, ARCH_MAP, UNIT_FILES) == []


def test_installs_name_each_node_without_its_unit_or_on_another_version_with_its_architecture():
    server = dict(answer("x86_64", UNIT_FILES["server"]), version=NEW)
    installs = k3s_installs(
        {"s1": server, "a1": dict(answer("aarch64", UNIT_FILES["agent"]), version=NEW),
         "a2": dict(answer("aarch64", UNIT_FILES["agent"]), version="v1.31.4+k3s1"),
         # An agent with only a server's unit has no unit of its kind.
         "a3": dict(answer("x86_64", UNIT_FILES["server"]), version=NEW),
         "a4": answer("riscv64"), "d1": None},
        ["s1"], NEW, ARCH_MAP, UNIT_FILES)
    assert installs == {"a2": "arm64", "a3": "amd64", "a4": "", "d1": ""}
