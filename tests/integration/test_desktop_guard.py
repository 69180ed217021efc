"""The desktop guard against the k3s stand-in: least privilege and the owner's comings and goings.

Real: the role's `access` entry point run by ansible-playbook with kubernetes.core (the objects, the token read
back, idempotence, nothing secret in the output), the guard program as shipped, its HTTPS calls with the token
and the cluster's CA. Stand-ins: the k3s API (tests/standins/k3s: RBAC with resourceNames as the API server
evaluates it, node merge patches with resourceVersion, the Eviction API, crictl) and logind
(tests/standins/logind: the owner's sessions). See tests/integration/desktop_guard_harness.py.
"""
import os
import shutil
import time

import pytest

from desktop_guard_harness import DESKTOP, HUB, OWNER_TAINT, SERVER, Cluster, Guard, access_playbook, wait

pytestmark = pytest.mark.skipif(shutil.which("ansible-playbook") is None, reason="ansible-playbook not installed")


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    root = str(tmp_path_factory.mktemp("desktop-guard"))
    cluster = Cluster(root)
    try:
        first = access_playbook(cluster, root)
        assert first.returncode == 0, first.stdout[-4000:] + first.stderr[-2000:]
        second = access_playbook(cluster, root)
        assert second.returncode == 0, second.stdout[-4000:] + second.stderr[-2000:]
        with open(os.path.join(root, "token"), encoding="utf-8") as f:
            token = f.read()
        yield {"cluster": cluster, "root": root, "token": token, "runs": (first, second)}
    finally:
        cluster.stop()


def recap(run):
    line = [line for line in run.stdout.splitlines() if line.startswith(DESKTOP + " ")][-1]
    return dict(part.split("=") for part in line.split(":", 1)[1].split())


def test_access_is_idempotent_and_keeps_the_token_out_of_the_output(env):
    first, second = env["runs"]
    assert int(recap(first)["changed"]) >= 2
    # The second run changes nothing in the cluster; only the test's own two copy tasks could, and they don't.
    assert recap(second)["changed"] == "0", second.stdout[-3000:]
    assert env["token"].startswith("standin-sa.")
    for run in env["runs"]:
        assert env["token"] not in run.stdout + run.stderr


def test_the_token_file_is_private(env):
    assert os.stat(os.path.join(env["root"], "token")).st_mode & 0o077 == 0


def test_the_token_reaches_its_own_node_and_nothing_else(env):
    cluster, token = env["cluster"], env["token"]
    me = "/api/v1/nodes/" + DESKTOP
    code, node = cluster.call("GET", me, token=token)
    assert code == 200 and node["metadata"]["name"] == DESKTOP
    patch = {"metadata": {"resourceVersion": node["metadata"]["resourceVersion"]},
             "spec": {"taints": node["spec"]["taints"]}}
    assert cluster.call("PATCH", me, patch, token=token, content_type="application/merge-patch+json")[0] == 200
    # Another node (resourceNames), the node list, pods, secrets, RBAC: all refused.
    refused = [("GET", "/api/v1/nodes/" + SERVER, None), ("PATCH", "/api/v1/nodes/" + SERVER, {"spec": {}}),
               ("GET", "/api/v1/nodes", None), ("DELETE", me, None),
               ("GET", "/api/v1/namespaces/%s/pods" % HUB, None),
               ("GET", "/api/v1/namespaces/versatile-desktops/secrets", None),
               ("POST", "/apis/rbac.authorization.k8s.io/v1/clusterrolebindings",
                {"metadata": {"name": "escalate"}, "roleRef": {"kind": "ClusterRole", "name": "cluster-admin"},
                 "subjects": []})]
    for method, path, body in refused:
        code, answer = cluster.call(method, path, body, token=token, content_type="application/merge-patch+json")
        assert code == 403, (method, path, code, answer)
        assert answer["reason"] == "Forbidden"
    # A wrong token is not anybody.
    assert cluster.call("GET", me, token="standin-sa.not-a-token")[0] == 401


def test_the_token_evicts_only_in_the_hubs_namespaces(env):
    cluster, token = env["cluster"], env["token"]
    cluster.user_pod("system-thing", namespace="kube-system")
    cluster.user_pod("jupyter-bob", node=SERVER)
    body = {"apiVersion": "policy/v1", "kind": "Eviction"}
    code, answer = cluster.call("POST", "/api/v1/namespaces/kube-system/pods/system-thing/eviction", body,
                                token=token)
    assert code == 403, answer
    assert cluster.pod_exists("system-thing", "kube-system")
    # In a hub's namespace the rule allows it (RBAC cannot tell which node a pod is on: the guard only picks pods
    # its own container runtime runs, see docs/desktops.md).
    assert cluster.call("POST", "/api/v1/namespaces/%s/pods/jupyter-bob/eviction" % HUB, body, token=token)[0] == 201
    wait("the evicted pod to go", lambda: not cluster.pod_exists("jupyter-bob"), timeout=15)


def test_the_guard_follows_the_owner(env):
    cluster = env["cluster"]
    cluster.user_pod("jupyter-alice")
    cluster.user_pod("jupyter-carol", node=SERVER)   # not on the desktop: never touched by its guard
    wait("the desktop's runtime to list the pod", lambda: "jupyter-alice" in cluster.local_pods(), timeout=20)
    guard = Guard(cluster, env["root"], evict_after=2, idle_after=2)
    try:
        # Nobody at the desktop: it stays lent (no owner taint), the desktops' own taint stays as the k3s role set it.
        wait("the guard's first look", lambda: (guard.status() or {}).get("owner_active") is False)
        time.sleep(1)
        assert not cluster.owner_tainted()
        assert {"key": "versatile.jupyter/desktop", "value": "true", "effect": "NoSchedule"} in cluster.taints()

        guard.owner_at_seat()
        t0 = time.monotonic()
        wait("the owner taint", cluster.owner_tainted, timeout=15, every=0.05)
        tainted = time.monotonic() - t0
        assert OWNER_TAINT in cluster.taints() and tainted < 5
        assert cluster.pod_exists("jupyter-alice")  # not before evict_after
        wait("the eviction", lambda: not cluster.pod_exists("jupyter-alice"), timeout=20, every=0.05)
        assert time.monotonic() - t0 >= 2
        assert cluster.pod_exists("jupyter-carol")
        assert "evicted pod %s/jupyter-alice" % HUB in guard.log()

        # The owner's screen locks: idle since now; lent again idle_after later, not before.
        guard.owner_at_seat(idle_since=time.time())
        t1 = time.monotonic()
        time.sleep(1)
        assert cluster.owner_tainted()
        wait("the taint to go", lambda: not cluster.owner_tainted(), timeout=15, every=0.05)
        assert time.monotonic() - t1 >= 1.5
        assert {"key": "versatile.jupyter/desktop", "value": "true", "effect": "NoSchedule"} in cluster.taints()

        # The owner comes back and logs out at once: tainted, then lent only idle_after after the logout.
        guard.owner_at_seat()
        wait("the owner taint", cluster.owner_tainted, timeout=15, every=0.05)
        guard.set_sessions([])
        t2 = time.monotonic()
        wait("the taint to go", lambda: not cluster.owner_tainted(), timeout=15, every=0.05)
        assert time.monotonic() - t2 >= 1.5
    finally:
        guard.stop()


def test_outside_the_allowed_hours_the_desktop_is_not_lent(env):
    cluster = env["cluster"]
    assert not cluster.owner_tainted()
    other_day = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")[(time.localtime().tm_wday + 3) % 7]
    guard = Guard(cluster, env["root"], allowed_hours=[other_day + " 00:00-01:00"])
    try:
        wait("the taint outside the allowed hours", cluster.owner_tainted, timeout=15)
        status = guard.status()
        assert status["allowed_hours"] is False and status["owner_active"] is False
    finally:
        guard.stop()


def test_a_bad_setting_stops_the_guard_with_its_name(env):
    guard = Guard(env["cluster"], env["root"], allowed_hours=["weekdays 18:00-08:00"])
    try:
        assert guard.proc.wait(timeout=30) == 2
        assert "unknown day in 'weekdays'" in guard.log()
    finally:
        guard.stop()
