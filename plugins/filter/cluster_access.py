# -*- coding: utf-8 -*-
# Copyright (c) versatile.jupyter contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters for who may reach the cluster's shared services; the logic lives in module_utils/cluster_access.py."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

# Each filter is documented in its own file beside this one (cluster_node_addresses.yml, ...).

from ansible_collections.versatile.jupyter.plugins.module_utils.cluster_access import (
    cluster_nodes,
    export_line,
    export_problems,
    node_addresses,
)


class FilterModule(object):
    def filters(self):
        return {
            "cluster_node_addresses": node_addresses,
            "cluster_nodes": cluster_nodes,
            "cluster_nfs_export_line": export_line,
            "cluster_nfs_client_problems": export_problems,
        }
