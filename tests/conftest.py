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
