# -*- coding: utf-8 -*-
# Copyright: (c) 2026, versatile.jupyter contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters that keep a hub's secrets out of messages; the logic lives in module_utils/hub_secrets.py."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

# Each filter is documented in its own file beside this one (hub_helm_failure.yml, hub_scrub.yml).

from ansible_collections.versatile.jupyter.plugins.module_utils.imported_on_call import imported, imported_on_call


def hub_scrub(text, layers):
    secrets = imported("hub_secrets")
    return secrets.scrub(text, secrets.layer_secrets(layers))


class FilterModule(object):
    def filters(self):
        return {"hub_helm_failure": imported_on_call("hub_secrets", "helm_failure"), "hub_scrub": hub_scrub}
