# -*- coding: utf-8 -*-
# Copyright (c) versatile.jupyter contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
name: openstack_nodes_plan
short_description: Plan which OpenStack servers a cluster needs
version_added: 0.1.0
author:
  - versatile.jupyter contributors (@versatile)
description:
  - Used by the role versatile.jupyter.openstack_nodes. From the node group declaration and the servers
    that exist, computes the desired servers, the ones to create, the surplus ones (highest numbers first)
    and the ingress node. Also provides C(openstack_nodes_hosts), the addresses handed to add_host.
positional: cluster, groups, existing, network
options:
  _input:
    description: Ignored (pass anything, for example V(none)).
    type: raw
    required: true
  cluster:
    description: Cluster name, prefix of every server name.
    type: str
    required: true
  groups:
    description: The node groups (see the role's defaults).
    type: list
    elements: dict
    required: true
  existing:
    description: Servers as openstack.cloud.server_info returns them.
    type: list
    elements: dict
    required: true
  network:
    description: Default network name.
    type: str
    required: true
  ingress_node:
    description: Server that gets the ingress floating IP; empty for the first one, V(none) for none.
    type: str
    default: ""
  address:
    description: V(fixed) or V(floating).
    type: str
    default: fixed
  metadata:
    description: Extra metadata for every server.
    type: dict
    default: {}
"""

EXAMPLES = r"""
- name: Plan the servers
  ansible.builtin.set_fact:
    plan: "{{ none | versatile.jupyter.openstack_nodes_plan('jupyter', groups_list, servers.servers, 'jupyter-net') }}"
"""

RETURN = r"""
_value:
  description: A dict with C(desired), C(create), C(surplus) and C(ingress).
  type: dict
"""

from ansible.errors import AnsibleFilterError
from ansible_collections.versatile.jupyter.plugins.module_utils.openstack_nodes_plan import (
    PlanError,
    host_entries,
    missing_attachments,
    missing_floating_ips,
    plan,
)


def openstack_nodes_plan(_input, cluster, groups, existing, network, ingress_node="", address="fixed",
                         metadata=None):
    try:
        return plan(cluster, groups, existing, network, ingress_node, address, metadata)
    except PlanError as error:
        raise AnsibleFilterError(str(error))


def openstack_nodes_hosts(wanted, servers, address="fixed"):
    try:
        return host_entries(wanted, servers, address)
    except PlanError as error:
        raise AnsibleFilterError(str(error))


def openstack_nodes_missing_attachments(desired, servers, volumes):
    return missing_attachments(desired, servers, volumes)


def openstack_nodes_missing_floating_ips(desired, servers):
    return missing_floating_ips(desired, servers)


class FilterModule(object):
    def filters(self):
        return {
            "openstack_nodes_plan": openstack_nodes_plan,
            "openstack_nodes_hosts": openstack_nodes_hosts,
            "openstack_nodes_missing_attachments": openstack_nodes_missing_attachments,
            "openstack_nodes_missing_floating_ips": openstack_nodes_missing_floating_ips,
        }
