#!/usr/bin/env python3
"""STAND-IN air-gap folder for the cluster_services role, for tests only (molecule `hubs`).

Lays out what a real air-gap folder holds (see docs/cluster_services.md), each file with a `.sha256sum`:
  helm-diff-linux-<arch>.tgz         a stand-in helm-diff plugin (plugin.yaml with the pinned version; the helm
                                     stand-in implements `helm diff upgrade` itself when it is installed)
  charts/<chart>-<version>.tgz       chart archives: a chart whose REAL source is in --upstream/charts/
                                     <chart>-<version>/ (../shared/upstream: the JupyterHub and BinderHub charts,
                                     never committed) is packed whole, templates and subcharts included, as
                                     `helm pull` would fetch it, so that `helm template` of the archive renders
                                     the real objects; the other charts (cert-manager, registry, NFS provisioner)
                                     get only a Chart.yaml and empty values, and render nothing.

Usage: build_airgap.py --out DIR --upstream DIR --chart NAME=VERSION ... --helm-diff-version V [--arch amd64]
"""
import argparse
import hashlib
import io
import json
import os
import sys
import tarfile

import yaml

UPSTREAM = {
    # chart name: (values file, schema file) in ../shared/upstream
    "jupyterhub": ("z2jh-4.4.0-values.yaml", "z2jh-4.4.0-values.schema.yaml"),
    "binderhub": ("binderhub-values.yaml", "binderhub-values.schema.yaml"),
}


def add(tar, name, data):
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mode = 0o644
    info.mtime = 0
    tar.addfile(info, io.BytesIO(data))


def chart_files(name, version, upstream, prefix):
    files = {}
    meta = {"apiVersion": "v2", "name": name, "version": version,
            "description": "STAND-IN chart for tests (no templates)", "appVersion": "standin"}
    values, schema = b"{}\n", None
    if name in UPSTREAM and upstream:
        values_file, schema_file = (os.path.join(upstream, f) for f in UPSTREAM[name])
        with open(values_file, "rb") as fd:
            values = fd.read()
        with open(schema_file) as fd:
            schema = json.dumps(yaml.safe_load(fd), indent=1).encode()
    files[prefix + "Chart.yaml"] = yaml.safe_dump(meta).encode()
    files[prefix + "values.yaml"] = values
    if schema is not None:
        files[prefix + "values.schema.json"] = schema
    return files, meta


def real_chart_files(name, version, upstream, prefix):
    """Every file of the real chart source upstream/charts/<name>-<version>/, under ``prefix``; None when absent."""
    source = os.path.join(upstream, "charts", "%s-%s" % (name, version)) if upstream else ""
    if not source or not os.path.isfile(os.path.join(source, "Chart.yaml")):
        return None
    files = {}
    for folder, _dirs, names in os.walk(source):
        for filename in names:
            path = os.path.join(folder, filename)
            with open(path, "rb") as fd:
                files[prefix + os.path.relpath(path, source)] = fd.read()
    return files


def write_with_sum(path, data):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as fd:
        fd.write(data)
    with open(path + ".sha256sum", "w") as fd:
        fd.write("%s  %s\n" % (hashlib.sha256(data).hexdigest(), os.path.basename(path)))


def tgz(files):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        for name in sorted(files):
            add(tar, name, files[name])
    return buf.getvalue()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", required=True)
    parser.add_argument("--upstream", default="")
    parser.add_argument("--chart", action="append", default=[], help="NAME=VERSION")
    parser.add_argument("--helm-diff-version", required=True)
    parser.add_argument("--arch", default="amd64")
    args = parser.parse_args()
    upstream = args.upstream if args.upstream and os.path.isdir(args.upstream) else ""
    if not upstream:
        sys.stderr.write("build_airgap.py: no upstream chart data at %r: hub charts get empty values and no "
                         "schema\n" % args.upstream)
    plugin = {"name": "diff", "version": args.helm_diff_version.lstrip("v"),
              "usage": "STAND-IN helm-diff for tests", "command": "$HELM_PLUGIN_DIR/bin/diff"}
    write_with_sum(os.path.join(args.out, "helm-diff-linux-%s.tgz" % args.arch), tgz({
        "diff/plugin.yaml": yaml.safe_dump(plugin).encode(),
        "diff/bin/diff": b"#!/bin/sh\necho 'helm-diff stand-in: the helm stand-in implements diff itself' >&2\nexit 1\n",
    }))
    for spec in args.chart:
        name, version = spec.split("=", 1)
        real = real_chart_files(name, version, upstream, name + "/")
        if real is not None:
            write_with_sum(os.path.join(args.out, "charts", "%s-%s.tgz" % (name, version)), tgz(real))
            continue
        if name in UPSTREAM and upstream:
            sys.stderr.write("build_airgap.py: no real chart %s-%s under %s/charts: values and schema only, no "
                             "templates\n" % (name, version, upstream))
        files, _ = chart_files(name, version, upstream, name + "/")
        if name == "binderhub":
            sub, _ = chart_files("jupyterhub", "4.4.0", upstream, name + "/charts/jupyterhub/")
            files.update(sub)
            meta = yaml.safe_load(files[name + "/Chart.yaml"])
            meta["dependencies"] = [{"name": "jupyterhub", "version": "4.4.0",
                                     "repository": "https://jupyterhub.github.io/helm-chart"}]
            files[name + "/Chart.yaml"] = yaml.safe_dump(meta).encode()
        write_with_sum(os.path.join(args.out, "charts", "%s-%s.tgz" % (name, version)), tgz(files))
    print(args.out)


if __name__ == "__main__":
    main()
