# -*- coding: utf-8 -*-
# Copyright (c) versatile.jupyter contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters for the k3s role's names; the logic lives in module_utils/k3s_names.py."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

# Each filter is documented in its own file beside this one (k3s_node_names.yml, k3s_api_url.yml).

from ansible_collections.versatile.jupyter.plugins.module_utils.imported_on_call import imported_on_call


class FilterModule(object):
    def filters(self):
        return {
            "k3s_node_names": imported_on_call("k3s_names", "node_names"),
            "k3s_api_url": imported_on_call("k3s_names", "api_url"),
        }
