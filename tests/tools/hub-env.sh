#!/usr/bin/env bash
# The hub image's Python environment for the tests that boot the real JupyterHub: a virtualenv with the
# frozen packages of the z2jh hub image (../shared/upstream/z2jh-4.4.0-hub-image-requirements.txt:
# jupyterhub, kubespawner, the authenticators, pycurl, the idle culler) plus configurable-http-proxy from
# npm at the version the chart's proxy image runs. Cached under $cache, keyed by the requirements file and
# the proxy version; one creator at a time (flock). Prints the venv path; configurable-http-proxy is
# <venv>/bin/configurable-http-proxy.
# Exits 3 with the reason when ../shared/upstream is absent (the tests that need it then skip).
set -euo pipefail
source "$(dirname "$0")/../../scripts/lib.sh"
chp_version=5.2.0   # quay.io/jupyterhub/configurable-http-proxy tag in the z2jh 4.4.0 chart's values.yaml
upstream=${VJ_UPSTREAM:-$(cd "$repo/.." && pwd)/shared/upstream}
reqs=$upstream/z2jh-4.4.0-hub-image-requirements.txt
if [ ! -f "$reqs" ]; then
  echo "hub-env: $reqs is absent: the hub image's packages are unknown, the real-hub tests cannot run" >&2
  exit 3
fi

# The hub image runs Python 3.12 (its requirements were compiled with 3.12); any 3.11+ works.
hub_python() {
  local py
  for py in "${VJ_HUB_PYTHON:-}" python3.12 "$(pyenv root 2>/dev/null)"/versions/3.12*/bin/python3.12; do
    [ -n "$py" ] && "$py" -c 'import venv' >/dev/null 2>&1 && { echo "$py"; return 0; }
  done
  find_python
}

key=$( (cat "$reqs"; echo "configurable-http-proxy $chp_version") | sha256sum | cut -c1-12)
venv=$cache/hub-env-$key
mkdir -p "$cache"
exec {lock}>"$venv.lock"
flock "$lock"
if [ ! -f "$venv/.complete" ]; then
  py=$(hub_python)
  say "creating the hub environment $venv (hub image packages, configurable-http-proxy $chp_version)" >&2
  rm -rf "$venv"
  "$py" -m venv "$venv"
  command -v npm >/dev/null || { echo "hub-env: npm is missing (Debian package nodejs, 20 or newer)" >&2; exit 1; }
  # --no-deps: the file is the image's complete frozen set; pip check proves it is consistent.
  { "$venv/bin/pip" install -q --upgrade pip && "$venv/bin/pip" install -q --no-deps -r "$reqs" \
      && "$venv/bin/pip" check; } 2>&1 | { grep -v "^WARNING: Location 'file://" || true; } >&2
  npm install --silent --no-audit --no-fund --prefix "$venv/node" "configurable-http-proxy@$chp_version" >&2
  ln -sfn ../node/node_modules/.bin/configurable-http-proxy "$venv/bin/configurable-http-proxy"
  touch "$venv/.complete"
fi
flock -u "$lock"
echo "$venv"
