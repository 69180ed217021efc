"""Unit tests: the record of a Helm release a role applied, and the revisions one `helm list` reports."""
import json

from ansible_collections.versatile.jupyter.plugins.filter.helm_release import (
    helm_deployed_revisions,
    helm_release_record,
)

LIST = [
    {"name": "registry", "namespace": "registry", "revision": "3", "status": "deployed", "chart": "docker-registry-2.2.3"},
    {"name": "physics", "namespace": "physics", "revision": 2, "status": "deployed", "chart": "jupyterhub-4.4.0"},
    {"name": "broken", "namespace": "broken", "revision": "5", "status": "failed", "chart": "jupyterhub-4.4.0"},
]


def test_deployed_revisions_from_helm_list():
    answer = {"rc": 0, "stdout": json.dumps(LIST)}
    assert helm_deployed_revisions(answer) == {"registry/registry": "3", "physics/physics": "2"}


def test_no_revisions_when_helm_could_not_answer():
    assert helm_deployed_revisions({"rc": 127, "stdout": ""}) == {}
    assert helm_deployed_revisions({"rc": 1, "stdout": json.dumps(LIST)}) == {}
    assert helm_deployed_revisions({"rc": 0, "stdout": "Error: not json"}) == {}
    assert helm_deployed_revisions({"rc": 0, "stdout": ""}) == {}
    assert helm_deployed_revisions(None) == {}


def test_record_is_the_same_for_the_same_release_and_differs_otherwise():
    values = {"b": [1, {"y": "z"}], "a": "secret-value"}
    record = helm_release_record("3", "registry", "registry", "/charts/registry", values)
    assert record.endswith("\n")
    # Key order does not change it; a revision given as a number is the listed string.
    assert record == helm_release_record(3, "registry", "registry", "/charts/registry",
                                         {"a": "secret-value", "b": [1, {"y": "z"}]})
    for other in (helm_release_record("4", "registry", "registry", "/charts/registry", values),
                  helm_release_record("3", "registry", "other", "/charts/registry", values),
                  helm_release_record("3", "registry", "registry", "/charts/registry-2", values),
                  helm_release_record("3", "registry", "registry", "/charts/registry", dict(values, a="new"))):
        assert other != record


def test_record_keeps_no_value():
    record = helm_release_record("1", "hub", "hub", "/charts/jupyterhub", [{"values": {"password": "s3cret-pw"}}])
    assert "s3cret-pw" not in record
    assert sorted(json.loads(record)) == ["chart", "namespace", "release", "revision", "values_sha256"]
