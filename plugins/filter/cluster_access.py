# -*- coding: utf-8 -*-
# Copyright (c) versatile.jupyter contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters for who may reach the cluster's shared services; the logic lives in module_utils/cluster_access.py."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

# Each filter is documented in its own file beside this one (cluster_node_addresses.yml, ...).

from ansible_collections.versatile.jupyter.plugins.module_utils.imported_on_call import imported_on_call


class FilterModule(object):
    def filters(self):
        return {
            "cluster_node_addresses": imported_on_call("cluster_access", "node_addresses"),
            "cluster_nodes": imported_on_call("cluster_access", "cluster_nodes"),
            "cluster_nfs_export_line": imported_on_call("cluster_access", "export_line"),
            "cluster_nfs_client_problems": imported_on_call("cluster_access", "export_problems"),
        }
