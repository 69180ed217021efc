#!/usr/bin/env python3
"""Build an air-gap folder for the versatile.jupyter.k3s role from the k3s STAND-IN (tests only).

    python3 tests/standins/k3s/build_airgap.py --version v1.31.4+k3s1 --out DIR

DIR gets what a real k3s release offers for an air-gapped install, laid out the same way:
  k3s                               the stand-in binary (a Python script) reporting --version
  k3s-airgap-images-amd64.tar.gz    a small archive standing in for the images archive
  install.sh                        the stand-in install script
  sha256sum-amd64.txt               checksums of k3s and the images archive, as published beside a release
"""
import argparse
import hashlib
import io
import os
import tarfile

HERE = os.path.dirname(os.path.abspath(__file__))


def sha256(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def build(version, out, arch="amd64"):
    os.makedirs(out, exist_ok=True)
    suffix = {"amd64": "", "arm64": "-arm64", "arm": "-armhf"}[arch]
    with open(os.path.join(HERE, "k3s"), encoding="utf-8") as f:
        binary = f.read().replace('VERSION = "@VERSION@"', f'VERSION = "{version}"')
    names = {"binary": "k3s" + suffix, "images": f"k3s-airgap-images-{arch}.tar.gz"}
    path = os.path.join(out, names["binary"])
    with open(path, "w", encoding="utf-8") as f:
        f.write(binary)
    os.chmod(path, 0o755)
    manifest = f"stand-in images archive for k3s {version}: no real images inside\n".encode()
    info = tarfile.TarInfo("STAND-IN.txt")
    info.size, info.mtime = len(manifest), 0
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        tar.addfile(info, io.BytesIO(manifest))
    with open(os.path.join(out, names["images"]), "wb") as f:
        f.write(buf.getvalue())
    with open(os.path.join(HERE, "install.sh"), encoding="utf-8") as f:
        script = f.read()
    with open(os.path.join(out, "install.sh"), "w", encoding="utf-8") as f:
        f.write(script)
    with open(os.path.join(out, f"sha256sum-{arch}.txt"), "w", encoding="utf-8") as f:
        for name in names.values():
            f.write(f"{sha256(os.path.join(out, name))}  {name}\n")
    return out


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--version", required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--arch", default="amd64", choices=["amd64", "arm64", "arm"])
    args = parser.parse_args()
    print(build(args.version, args.out, args.arch))


if __name__ == "__main__":
    main()
