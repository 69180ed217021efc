# Shared set-up for scripts/deploy and scripts/test: a cached virtualenv keyed by the pinned requirements,
# and this repository linked into ./.ansible/collections as versatile.jupyter (the repository root is the
# collection root).
# shellcheck shell=bash
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cache=${VJ_CACHE:-$HOME/.cache/versatile-jupyter}

say() { printf '\n==> %s\n' "$*"; }

# Python 3.11 or newer, as the pinned ansible package needs.
find_python() {
  local py
  for py in "${VJ_PYTHON:-}" python3.11 python3.12 python3; do
    [ -n "$py" ] || continue
    command -v "$py" >/dev/null 2>&1 || continue
    if "$py" -c 'import sys, venv; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
      echo "$py"; return 0
    fi
  done
  echo "no Python 3.11+ with venv found: install python3 and python3-venv, or set VJ_PYTHON" >&2
  return 1
}

# ensure_venv FILE...: a virtualenv with the given requirements files, reused until any of them changes.
ensure_venv() {
  local key venv py lock
  key=$(cat "$@" | sha256sum | cut -c1-12)
  venv=$cache/venv-$key
  mkdir -p "$cache"
  # One creator at a time: a second run waits instead of installing into a half-made venv.
  exec {lock}>"$venv.lock"
  flock "$lock"
  if [ ! -x "$venv/bin/ansible-playbook" ] || [ ! -f "$venv/.complete" ]; then
    py=$(find_python) || return 1
    say "creating the virtualenv $venv"
    rm -rf "$venv"
    local args=()
    for f in "$@"; do args+=(-r "$f"); done
    "$py" -m venv "$venv" && "$venv/bin/pip" install -q --upgrade pip \
      && "$venv/bin/pip" install -q "${args[@]}" || { echo "could not create $venv" >&2; return 1; }
    touch "$venv/.complete"
  fi
  flock -u "$lock"
  export VIRTUAL_ENV=$venv PATH=$venv/bin:$PATH
}

link_collection() {
  local dir=$repo/.ansible/collections/ansible_collections/versatile
  mkdir -p "$dir"
  [ "$(readlink "$dir/jupyter" 2>/dev/null)" = "$repo" ] || ln -sfn "$repo" "$dir/jupyter"
  export ANSIBLE_COLLECTIONS_PATH=$repo/.ansible/collections
}
