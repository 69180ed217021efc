"""The Pod Security admission stand-in (tests/standins/pod_security): levels of pod specs and the reasons."""
import os
import sys

import pytest

STANDIN = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "standins", "pod_security")
sys.path.insert(0, STANDIN)
from pod_security import (  # noqa: E402
    admits,
    baseline_problems,
    pod_level,
    pod_specs,
)

RESTRICTED_CONTAINER = {"name": "c", "securityContext": {
    "allowPrivilegeEscalation": False, "runAsNonRoot": True, "capabilities": {"drop": ["ALL"]},
    "seccompProfile": {"type": "RuntimeDefault"}}}


def spec(**changes):
    out = {"containers": [dict(RESTRICTED_CONTAINER)], "volumes": [{"name": "v", "emptyDir": {}}]}
    out.update(changes)
    return out


def test_restricted_pod():
    assert pod_level(spec()) == "restricted"


@pytest.mark.parametrize("pod, reason", [
    (spec(containers=[{"name": "c"}]), None),  # no securityContext: baseline, not restricted
    (spec(volumes=[{"name": "nfs", "nfs": {"server": "s", "path": "/p"}}]), None),
    (spec(containers=[dict(RESTRICTED_CONTAINER, securityContext={"runAsUser": 0})]), None),
])
def test_baseline_pods(pod, reason):
    assert pod_level(pod) == "baseline"


@pytest.mark.parametrize("pod, reason", [
    (spec(hostNetwork=True), "hostNetwork: true"),
    (spec(volumes=[{"name": "h", "hostPath": {"path": "/var"}}]), "hostPath volume h"),
    (spec(initContainers=[{"name": "i", "securityContext": {"privileged": True}}]), "i: privileged"),
    (spec(containers=[{"name": "c", "securityContext": {"capabilities": {"add": ["NET_ADMIN"]}}}]),
     "c: adds capabilities NET_ADMIN"),
    (spec(containers=[{"name": "c", "ports": [{"containerPort": 80, "hostPort": 80}]}]), "c: hostPort 80"),
    (spec(securityContext={"seccompProfile": {"type": "Unconfined"}}), "pod: seccomp Unconfined"),
    (spec(securityContext={"sysctls": [{"name": "kernel.msgmax", "value": "1"}]}), "pod: sysctl kernel.msgmax"),
])
def test_privileged_pods_say_why(pod, reason):
    assert pod_level(pod) == "privileged"
    assert reason in baseline_problems(pod)
    assert not admits("baseline", pod) and admits("privileged", pod)


def test_pod_specs_of_workloads():
    objects = [None, {"kind": "Deployment", "metadata": {"name": "hub"}, "spec": {"template": {"spec": spec()}}},
               {"kind": "Service", "metadata": {"name": "s"}}, {"kind": "Pod", "metadata": {"name": "p"}, "spec": {}}]
    assert [label for label, _ in pod_specs(objects)] == ["Deployment/hub", "Pod/p"]
