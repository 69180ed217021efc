"""Loading the collection's filter plugins stays cheap.

Ansible loads every filter plugin file of a collection to find one filter (a file holds several), in a fresh worker
process for every task that templates one: an import there is paid by every such task on every host. It once was:
module_utils/hub_render imported jsonschema, whose format checkers compile grammars at import (9.9 s at load 4.5),
so a skipped task or an argument-spec check templating cluster_node_addresses cost 10-17 s. Then the hub values
modules, about 18 ms a worker: filter files now import their logic at its first call
(module_utils/imported_on_call.py).
"""
import os
import subprocess
import sys

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
# Test plugins (plugins/test) are loaded the same way.
FILTERS = sorted("%s.%s" % (kind, name[:-3]) for kind in ("filter", "test")
                 for name in os.listdir(os.path.join(REPO, "plugins", kind))
                 if name.endswith(".py") and not name.startswith("_"))
# Imported only where they are used (validation, cloud calls, the hub's configuration), never by a filter file.
HEAVY = ("jsonschema", "kubernetes_validate", "referencing", "openstack", "jupyterhub", "traitlets", "docker")


@pytest.mark.parametrize("name", FILTERS)
def test_filter_plugin_imports_no_heavy_package(name):
    code = (
        "import sys\n"
        f"sys.path.insert(0, {os.path.join(REPO, '.ansible', 'collections')!r})\n"
        f"import ansible_collections.versatile.jupyter.plugins.{name}\n"
        f"print(' '.join(sorted(m for m in {HEAVY!r} if m in sys.modules)))\n"
    )
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert run.returncode == 0, run.stderr[-2000:]
    assert run.stdout.strip() == "", f"plugins/{name.replace('.', '/')}.py imports {run.stdout.strip()}"


@pytest.mark.parametrize("name", [name for name in FILTERS if name.startswith("filter.")])
def test_filter_file_imports_its_logic_only_when_called(name):
    """Loading a filter file imports no module_utils but imported_on_call; calling a filter imports its own."""
    code = (
        "import sys\n"
        f"sys.path.insert(0, {os.path.join(REPO, '.ansible', 'collections')!r})\n"
        f"import ansible_collections.versatile.jupyter.plugins.{name} as plugin\n"
        "prefix = 'ansible_collections.versatile.jupyter.plugins.module_utils.'\n"
        "print(' '.join(sorted(m[len(prefix):] for m in sys.modules if m.startswith(prefix))))\n"
    )
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert run.returncode == 0, run.stderr[-2000:]
    assert run.stdout.split() in ([], ["imported_on_call"]), \
        f"plugins/{name.replace('.', '/')}.py imports module_utils {run.stdout.strip()} when loaded"


def test_a_filter_imports_its_logic_at_its_first_call():
    code = (
        "import sys\n"
        f"sys.path.insert(0, {os.path.join(REPO, '.ansible', 'collections')!r})\n"
        "from ansible_collections.versatile.jupyter.plugins.filter.k3s import FilterModule\n"
        "api_url = FilterModule().filters()['k3s_api_url']\n"
        "loaded = 'ansible_collections.versatile.jupyter.plugins.module_utils.k3s_names' in sys.modules\n"
        "print(loaded, api_url('fd00::1', 6443), "
        "'ansible_collections.versatile.jupyter.plugins.module_utils.k3s_names' in sys.modules)\n"
    )
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert run.returncode == 0, run.stderr[-2000:]
    assert run.stdout.split() == ["False", "https://[fd00::1]:6443", "True"]
