"""Shared pytest set-up: make the collection importable as ansible_collections.versatile.jupyter.

scripts/test (link_collection) links this repository into ./.ansible/collections; the same link is made
here when pytest runs on its own. Engineers may add shared fixtures below; keep this part first.
"""
import os
import sys

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
COLLECTIONS = os.path.join(REPO, ".ansible", "collections")
_LINK = os.path.join(COLLECTIONS, "ansible_collections", "versatile", "jupyter")
if not os.path.exists(_LINK):
    os.makedirs(os.path.dirname(_LINK), exist_ok=True)
    os.symlink(REPO, _LINK)
if COLLECTIONS not in sys.path:
    sys.path.insert(0, COLLECTIONS)


import subprocess  # noqa: E402

import pytest  # noqa: E402


@pytest.fixture(scope="session")
def hub_env():
    """The hub image's Python environment (tests/tools/hub-env.sh): a venv path whose bin/ holds jupyterhub
    and configurable-http-proxy. scripts/test setup exports it as VJ_HUB_ENV; run alone, pytest builds or
    reuses it. Skips when ../shared/upstream (the hub image's package list) is absent."""
    path = os.environ.get("VJ_HUB_ENV")
    if not path:
        run = subprocess.run([os.path.join(REPO, "tests", "tools", "hub-env.sh")],
                             capture_output=True, text=True, check=False)
        if run.returncode == 3:
            pytest.skip(run.stderr.strip())
        if run.returncode != 0:
            raise RuntimeError("tests/tools/hub-env.sh failed:\n" + run.stderr[-3000:])
        path = run.stdout.strip().splitlines()[-1]
    return path


# --- Rendered hubs (playbooks/render.yml) --------------------------------------------------------------------
import subprocess  # noqa: E402
from pathlib import Path  # noqa: E402

import pytest  # noqa: E402

UPSTREAM_CHARTS = os.path.join(os.path.dirname(REPO), "shared", "upstream", "charts")
# Test values for every vault variable the shipped inventories reference (never real secrets).
INVENTORY_SECRETS = os.path.join(REPO, "tests", "fixtures", "inventory-secrets.yml")
# The OpenStack example has no node before provisioning, so nothing gives its cluster_registry_address (its first
# server's address): the render is given the one that server gets, the first host of openstack_nodes_subnet_cidr.
RENDER_EXTRA_VARS = {
    "examples/openstack": ["-e", "cluster_registry_address=10.20.0.10:30500"],
}


def helm_bin():
    """The helm binary for tests: $HELM_BIN (tests/tools/install-helm.sh), else helm on PATH, else None."""
    import shutil
    helm = os.environ.get("HELM_BIN") or shutil.which("helm")
    return helm if helm and os.access(helm, os.X_OK) else None


@pytest.fixture(scope="session")
def render_inventory(tmp_path_factory):
    """``render_inventory(inventory_path, extra_vars_file=None) -> Path``: runs playbooks/render.yml on a
    shipped inventory (a path relative to the repository, or absolute) with the real charts of
    ../shared/upstream/charts (hub_chart_source), the test vault values of tests/fixtures/inventory-secrets.yml
    and the optional extra-vars file, into a fresh folder, and returns it: ``<dir>/<hub>/values.yaml`` and
    ``<dir>/<hub>/manifests.yaml`` for every hub. Cached per (inventory, extra_vars_file) for the session.
    Skips when the charts or a helm binary ($HELM_BIN) are absent; fails with the render's output otherwise.
    The run is at -vvv; its output is kept in ``render_inventory.outputs[path]``."""
    cache = {}

    def render(inventory_path, extra_vars_file=None):
        key = (os.path.abspath(os.path.join(REPO, str(inventory_path))),
               os.path.abspath(str(extra_vars_file)) if extra_vars_file else None)
        if key in cache:
            return cache[key]
        if not os.path.isdir(UPSTREAM_CHARTS):
            pytest.skip("the real charts are absent: %s (see ../shared/upstream/README.md)" % UPSTREAM_CHARTS)
        helm = helm_bin()
        if not helm:
            pytest.skip("no helm binary: set HELM_BIN (tests/tools/install-helm.sh) or put helm on PATH")
        out = tmp_path_factory.mktemp("rendered")
        relative = os.path.relpath(key[0], os.path.join(REPO, "inventories"))
        argv = ["ansible-playbook", "-i", key[0], os.path.join(REPO, "playbooks", "render.yml"),
                "-e", "@" + INVENTORY_SECRETS, "-e", "hub_chart_source=" + UPSTREAM_CHARTS,
                "-e", "render_dir=" + str(out), "-e", "hub_render_helm=" + helm,
                "-e", "hub_check_config_on_controller=false"] + RENDER_EXTRA_VARS.get(relative, [])
        if extra_vars_file:
            argv += ["-e", "@" + key[1]]
        env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=COLLECTIONS, ANSIBLE_FORCE_COLOR="0",
                   ANSIBLE_NOCOLOR="1")
        proc = subprocess.run(argv + ["-vvv"], cwd=REPO, env=env, capture_output=True, text=True)
        if proc.returncode != 0:
            pytest.fail("playbooks/render.yml failed on %s (rc %d):\n%s\n%s"
                        % (inventory_path, proc.returncode, proc.stdout[-6000:], proc.stderr[-3000:]))
        cache[key] = Path(out)
        render.outputs[cache[key]] = proc.stdout + proc.stderr
        return cache[key]

    # The render's whole output (run at -vvv) for each folder returned, for tests that check what it prints.
    render.outputs = {}
    return render
