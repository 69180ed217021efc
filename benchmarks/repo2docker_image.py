#!/usr/bin/env python
"""Benchmark: how long repo2docker_image takes when there is nothing to do, against one real build.

Real parts, as in tests/integration/test_repo2docker_image*.py: Debian's docker-registry (basic auth) and
podman's Docker API on private sockets, repo2docker (the pinned version), fixture repositories in /tmp.

1. Builds and pushes N (default 10) fixture images through playbooks/images.yml (role hub_images), timing
   the build task: the first image pays for pushing the base layer, the others do not.
2. Runs the same playbook again (nothing to build) and prints the build task's time for all N images (the
   role's one task: the module's list form, `images`, one module run whose existence checks run side by
   side), the whole playbook's wall time, check mode, and the same check at function level (ensure_image
   per image, ensure_images for the list, in this process).
3. For comparison, the single-image form in a loop (one module run per image, as the role did before the list
   form) and ansible.builtin.ping in the same loop (Ansible's own per-item cost); and two floors, each task alone
   in a run of its own as the role's task is: one ping (any module task), and this module with an empty list
   (its payload and imports, no check).
4. Prints the ratio of the no-op time per image to one real build.

Run: source scripts/lib.sh; ensure_venv requirements.txt requirements-test.txt; link_collection;
     export CONTAINERS_CONF=$PWD/tests/containers/containers.conf; python benchmarks/repo2docker_image.py [N]
"""
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

REPO = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
sys.path.insert(0, os.path.join(REPO, "tests", "fixtures", "repo2docker"))
sys.path.insert(0, os.path.join(REPO, ".ansible", "collections"))
import repo2docker_env as env  # noqa: E402

from ansible_collections.versatile.jupyter.plugins.module_utils.repo2docker import ensure_image  # noqa: E402
from ansible_collections.versatile.jupyter.plugins.module_utils.repo2docker_images import ensure_images  # noqa: E402

USER, PASSWORD = "bench", "bench-password"


def playbook(work, inventory, vars_file, *args, path="playbooks/images.yml",
             task_name="Build the images that do not exist yet"):
    environ = dict(os.environ, ANSIBLE_STDOUT_CALLBACK="ansible.posix.json",
                   ANSIBLE_CALLBACKS_ENABLED="ansible.posix.json",
                   ANSIBLE_COLLECTIONS_PATH=os.path.join(REPO, ".ansible", "collections"),
                   ANSIBLE_CACHE_PLUGIN_CONNECTION=os.path.join(work, "facts"))
    start = time.perf_counter()
    proc = subprocess.run(["ansible-playbook", "-i", inventory, path, "-e", "@" + vars_file]
                          + list(args), cwd=REPO, env=environ, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    wall = time.perf_counter() - start
    out = proc.stdout.decode()
    if proc.returncode != 0:
        sys.exit("ansible-playbook failed:\n" + out[-4000:] + proc.stderr.decode()[-2000:])
    report = json.loads(out[out.index("{"):])
    for task in [task for play in report["plays"] for task in play["tasks"]]:
        if task["task"]["name"].endswith(task_name):
            duration = task["task"]["duration"]
            host = task["hosts"]["localhost"]
            results = host.get("results", host.get("images"))  # a loop's, the list form's (none for a ping)
            return wall, _seconds(duration["start"], duration["end"]), results
    sys.exit("the task %r did not run" % task_name)


def _seconds(start, end):
    from datetime import datetime
    fmt = "%Y-%m-%dT%H:%M:%S.%fZ"
    return (datetime.strptime(end, fmt) - datetime.strptime(start, fmt)).total_seconds()


def main():
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 10
    missing = env.missing_parts()
    if missing:
        sys.exit("cannot run here: " + "; ".join(missing))
    registry = env.Registry({USER: PASSWORD})
    engine = env.PodmanService(insecure_registries=[registry.host])
    work = tempfile.mkdtemp(prefix="vj-bench-r2d-")
    try:
        images = []
        for index in range(count):
            path = os.path.join(work, "env%02d.git" % index)
            env.make_env_repo(path)
            env.new_commit(path, "environment %d" % index)
            images.append({"name": "env%02d" % index, "repo": "file://" + path, "ref": "main"})
        inventory = os.path.join(work, "hosts.yml")
        with open(inventory, "w") as handle:
            json.dump({"all": {"children": {"k3s_servers": {"hosts": {"localhost": {
                "ansible_connection": "local", "ansible_python_interpreter": sys.executable}}}}}}, handle)
        vars_file = os.path.join(work, "vars.json")
        with open(vars_file, "w") as handle:
            # The test registry is on a free port, not a cluster NodePort: the role's own registry setting.
            # cluster_api_endpoint: the inventory check (playbooks/check.yml) asks every stage for it.
            json.dump({"hub_images": images, "hub_images_registry_address": registry.host,
                       "cluster_api_endpoint": "127.0.0.1",
                       "hub_images_image_prefix": registry.host + "/bench/env-",
                       "hub_images_registry_username": USER, "hub_images_registry_password": PASSWORD,
                       "hub_images_engine_host": engine.host, "hub_images_prepare_build_host": False,
                       "hub_images_repo2docker_command": []}, handle)

        # The first image alone (cold registry: the base layer is pushed), then the rest.
        first_vars = os.path.join(work, "vars-first.json")
        with open(first_vars, "w") as handle:
            data = json.load(open(vars_file))
            data["hub_images"] = images[:1]
            json.dump(data, handle)
        _, cold_task, results = playbook(work, inventory, first_vars)
        assert results[0]["built"], "the first image was not built"
        _, warm_task, results = playbook(work, inventory, vars_file)
        built = [r for r in results if r["built"]]
        assert len(built) == count - 1, "expected %d builds, got %d" % (count - 1, len(built))
        warm_build = warm_task / max(1, count - 1)

        # Three no-op runs, their median: one run is one task, at the mercy of a busy moment.
        noops = []
        for _ in range(3):
            noop_wall, noop_task, results = playbook(work, inventory, vars_file)
            assert not any(r["changed"] for r in results), "the no-op run changed something"
            noops.append(noop_task)
        noop_task = statistics.median(noops)
        check_wall, check_task, results = playbook(work, inventory, vars_file, "--check")
        assert not any(r["changed"] for r in results), "the check run reports a build"

        # For comparison: the single-image form once per image (the role's loop before the list form), and
        # Ansible's own cost of running a module once per item on this host right now (ping in the same loop).
        loop = os.path.join(work, "loop.yml")
        with open(loop, "w") as handle:
            json.dump([{"hosts": "k3s_servers", "gather_facts": False, "tasks": [
                {"name": "Check each image, one module run per image", "versatile.jupyter.repo2docker_image": {
                    "repo": "{{ item.repo }}", "ref": "{{ item.ref }}", "image_prefix": registry.host + "/bench/env-",
                    "push": True, "registry_username": USER, "registry_password": PASSWORD,
                    "registry_insecure": True, "engine_host": engine.host},
                 "loop": "{{ hub_images }}", "loop_control": {"label": "{{ item.name }}"}},
                {"name": "Ping once per image", "ansible.builtin.ping": {}, "loop": "{{ hub_images }}"}]}], handle)
        # Each alone in a run of its own, as the role's task is: Ansible builds a module's payload once a run, so
        # the first task of a module pays for it (about 0.25 s for ping here, more for a module with more code).
        alone = {}
        for name, task in (("Ping once", {"ansible.builtin.ping": {}}),
                           ("An empty list", {"versatile.jupyter.repo2docker_image": {
                               "images": [], "image_prefix": registry.host + "/bench/env-"}})):
            alone[name] = os.path.join(work, "alone-%d.yml" % len(alone))
            with open(alone[name], "w") as handle:
                json.dump([{"hosts": "k3s_servers", "gather_facts": False,
                            "tasks": [dict(task, name=name)]}], handle)
        _, loop_task, results = playbook(work, inventory, vars_file, path=loop,
                                         task_name="Check each image, one module run per image")
        assert not any(r["changed"] for r in results), "the single-image loop reports a build"
        _, ping_task, _ = playbook(work, inventory, vars_file, path=loop, task_name="Ping once per image")
        # Ansible's floor for a module task here: a single ping, first of its run; and this module's own floor,
        # the same with nothing to check (medians of three runs).
        ping_once, empty_list = (statistics.median(playbook(work, inventory, vars_file, path=alone[name],
                                                            task_name=name)[1] for _ in range(3))
                                 for name in ("Ping once", "An empty list"))

        params = {"image_prefix": registry.host + "/bench/env-", "push": True, "registry_username": USER,
                  "registry_password": PASSWORD, "registry_insecure": True, "engine_host": engine.host}
        timings = []
        for image in images:
            start = time.perf_counter()
            result = ensure_image(dict(params, repo=image["repo"], ref="main"))
            timings.append(time.perf_counter() - start)
            assert not result["changed"]
        start = time.perf_counter()
        results, failures = ensure_images(images, dict(params, ref="main"))
        list_function = time.perf_counter() - start
        assert not failures and not any(r["changed"] for r in results)

        per_image = noop_task / count
        print("repo2docker_image benchmark (%d images, registry %s, engine podman %s)"
              % (count, registry.host, engine.host))
        print("  one real build, cold registry (build + push of the base layer): %7.2f s" % cold_task)
        print("  one real build, warm registry (mean of %d):                      %7.2f s" % (count - 1, warm_build))
        print("  no-op, list form, %d images in one task (the role's build task): %7.2f s  = %.3f s per image"
              " (median of 3: %s)" % (count, noop_task, per_image, ", ".join("%.2f" % t for t in noops)))
        print("  baseline: one ansible.builtin.ping task, alone in its run:      %7.2f s (median of 3)" % ping_once)
        print("  baseline: this module with an empty list, alone in its run:    %7.2f s (median of 3)" % empty_list)
        print("  no-op, whole playbook wall time (ansible start-up included):    %7.2f s" % noop_wall)
        print("  check mode, list form, %d images (build task):                  %7.2f s" % (count, check_task))
        print("  no-op, single-image form in a loop, %d images:                  %7.2f s  = %.3f s per image"
              % (count, loop_task, loop_task / count))
        print("  baseline: ansible.builtin.ping once per image (same loop):      %7.2f s  = %.3f s per item"
              % (ping_task, ping_task / count))
        print("  no-op, function level (ensure_image), median per image:         %7.3f s" % statistics.median(timings))
        print("  no-op, function level (ensure_images), %d images:               %7.3f s" % (count, list_function))
        print("  load average during the run: %s" % " ".join("%.2f" % v for v in os.getloadavg()))
        print("  ratio no-op per image / one real build: %.4f (warm), %.4f (cold)"
              % (per_image / warm_build, per_image / cold_task))
        print("  target: %d existing images checked in under 1 s in all: %s"
              % (count, "met" if noop_task < 1 else "NOT met"))
    finally:
        engine.remove_images(registry.host)
        engine.stop()
        registry.stop()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
