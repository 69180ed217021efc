# -*- coding: utf-8 -*-
# Copyright (c) versatile.jupyter contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters for who may reach the cluster's shared services; the logic lives in module_utils/cluster_access.py."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
name: cluster_node_addresses
short_description: The cluster addresses of inventory hosts
version_added: 0.1.0
author:
  - versatile.jupyter contributors (@versatile)
description:
  - Returns the sorted, unique addresses of the given inventory hosts as the cluster sees them - the IPv4
    address of each host's default route when its facts are known, else C(ansible_host), else its name.
  - Also provides C(cluster_nfs_export_line) (an exports(5) line for a path and its clients) and
    C(cluster_nfs_client_problems) (why a client list is refused).
positional: hostvars
options:
  _input:
    description: Inventory host names.
    type: list
    elements: str
    required: true
  hostvars:
    description: Ansible's C(hostvars).
    type: dict
    required: true
"""

EXAMPLES = r"""
- name: Export to the cluster's nodes
  ansible.builtin.debug:
    msg: "{{ groups['k3s_cluster'] | versatile.jupyter.cluster_node_addresses(hostvars) }}"
"""

RETURN = r"""
_value:
  description: The addresses, sorted.
  type: list
  elements: str
"""

from ansible_collections.versatile.jupyter.plugins.module_utils.cluster_access import (
    export_line,
    export_problems,
    node_addresses,
)


class FilterModule(object):
    def filters(self):
        return {
            "cluster_node_addresses": lambda hosts, hostvars: node_addresses(hosts, hostvars),
            "cluster_nfs_export_line": export_line,
            "cluster_nfs_client_problems": export_problems,
        }
