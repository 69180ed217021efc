#!/usr/bin/env python3
"""Check the values each hub release got against the REAL upstream chart contracts.

Reads the helm stand-in's release state (releases.json fetched from the first server), coalesces each hub
release's values with the upstream chart defaults exactly as Helm does (module_utils of hub_values) and
validates them with the upstream schemas (JSON Schema draft 7); for a BinderHub the `jupyterhub:` subtree is
validated against the z2jh schema too. Exit 0 when all hold, 1 with the errors, 77 (skip) when the upstream
data is absent. Usage: verify_values.py RELEASES_JSON UPSTREAM_DIR NAMESPACE/RELEASE=KIND ...
"""
import json
import os
import sys

from ansible_collections.versatile.jupyter.plugins.module_utils.hub_values_chart import (
    chart_from_files,
    render_values,
)
from ansible_collections.versatile.jupyter.plugins.module_utils.hub_values_schema import validate_chart


def main(argv):
    releases_file, upstream = argv[0], argv[1]
    if not os.path.isfile(os.path.join(upstream, "z2jh-4.4.0-values.schema.yaml")):
        print("SKIP: no upstream chart data at %s; schema validation not run" % upstream)
        return 77
    with open(releases_file) as handle:
        state = json.load(handle)["releases"]
    z2jh = chart_from_files("jupyterhub", os.path.join(upstream, "z2jh-4.4.0-values.yaml"),
                            os.path.join(upstream, "z2jh-4.4.0-values.schema.yaml"))
    charts = {
        "jupyterhub": z2jh,
        "binderhub": chart_from_files("binderhub", os.path.join(upstream, "binderhub-values.yaml"),
                                      os.path.join(upstream, "binderhub-values.schema.yaml"), dependencies=[z2jh]),
    }
    failed = False
    for spec in argv[2:]:
        key, kind = spec.split("=", 1)
        release = state.get(key)
        if release is None:
            print("FAIL %s: no such release" % key)
            failed = True
            continue
        values, chart = render_values(charts[kind], release["values"])
        errors, checked = validate_chart(chart, values)
        if kind == "binderhub" and "jupyterhub" not in checked:
            errors.append(("jupyterhub", "the z2jh schema was not applied to the jupyterhub subtree", kind))
        for path, message, name in errors:
            print("FAIL %s: %s: %s (chart %s)" % (key, path, message, name))
            failed = True
        if not errors:
            print("ok %s: values valid against %s" % (key, ", ".join(checked)))
        # the merged values must not be trivially empty: the role's defaults are there
        if kind == "jupyterhub" and release["values"].get("hub", {}).get("db", {}).get("type") != "sqlite-pvc":
            print("FAIL %s: hub.db.type is not sqlite-pvc" % key)
            failed = True
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
