# -*- coding: utf-8 -*-
# Copyright (c) versatile.jupyter contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters for the record of a Helm release this collection applied (cluster_services, hub).

After helm runs, a role writes on the first server what the release runs (the revision helm lists) and what the
role gave it (chart and a sha256 of the values). On the next run the role's look at the server lists the
releases once; where the record built from the listed revision is the file already there, nothing was changed
since by anyone, and helm's own look at the release (a round trip of several helm calls) is skipped.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

# Each filter is documented in its own file beside this one (helm_deployed_revisions.yml, helm_release_record.yml).

import hashlib
import json


def helm_deployed_revisions(answer):
    """``{"NAMESPACE/NAME": "REVISION"}`` for every deployed release in the answer of
    ``helm list --all-namespaces --output json`` as module k3s_node_info's ``commands`` returns it (``rc``,
    ``stdout``). Empty when helm could not answer (not installed yet, no cluster): nothing is then skipped."""
    if not isinstance(answer, dict) or answer.get("rc") != 0:
        return {}
    try:
        rows = json.loads(answer.get("stdout") or "[]")
    except ValueError:
        return {}
    return dict(("%s/%s" % (row["namespace"], row["name"]), str(row["revision"]))
                for row in rows or [] if isinstance(row, dict) and row.get("status") == "deployed"
                and all(row.get(key) not in (None, "") for key in ("namespace", "name", "revision")))


def helm_release_record(revision, name, namespace, chart, values):
    """The record's text: release, namespace, revision, chart and the sha256 of ``values`` (JSON with sorted keys,
    so the same values give the same text; only the hash is kept, never a value)."""
    digest = hashlib.sha256(json.dumps(values, sort_keys=True, default=str).encode("utf-8")).hexdigest()
    return json.dumps({"release": name, "namespace": namespace, "revision": str(revision), "chart": chart,
                       "values_sha256": digest}, sort_keys=True) + "\n"


class FilterModule(object):
    def filters(self):
        return {
            "helm_deployed_revisions": helm_deployed_revisions,
            "helm_release_record": helm_release_record,
        }
