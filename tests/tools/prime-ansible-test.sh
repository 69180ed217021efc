#!/usr/bin/env bash
# ansible-test sanity creates a virtualenv per test and bootstraps pip in it with get-pip, downloaded from a
# host that is not reachable here ("The bootstrap script can be manually downloaded and saved to ...").
# This saves an equivalent bootstrap in that place: it installs the same pip release, from PyPI's wheel,
# by running pip out of its own wheel. Idempotent.
set -euo pipefail
version=$(python -c 'from ansible_test._internal.python_requirements import get_venv_packages as g
import inspect, re; print(re.search(r"pip=.([0-9.]+)", inspect.getsource(g)).group(1))')
cache=$HOME/.ansible/test/cache
script=$cache/get_pip_${version//./_}.py
[ -f "$script" ] && exit 0
mkdir -p "$cache/pip-$version"
pip download -q --no-deps -d "$cache/pip-$version" "pip==$version" >&2
wheel=$(ls "$cache/pip-$version"/pip-"$version"-*.whl)
cat >"$script" <<PY
# Stand-in for get-pip.py $version, written by tests/tools/prime-ansible-test.sh: installs pip $version from
# its wheel. get-pip's own options (--no-setuptools, --no-wheel) are dropped; pip==$version becomes the wheel.
import runpy, sys
wheel = "$wheel"
args = [a for a in sys.argv[1:] if a not in ("--no-setuptools", "--no-wheel")]
args = [wheel if a.startswith("pip==") else a for a in args]
sys.path.insert(0, wheel)
sys.argv = ["pip", "install", "--no-index"] + args
runpy.run_module("pip", run_name="__main__", alter_sys=True)
PY
