# -*- coding: utf-8 -*-
# Copyright (c) versatile.jupyter contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

# Each filter is documented in its own file beside this one (openstack_nodes_plan.yml, ...).

from ansible.errors import AnsibleFilterError
from ansible_collections.versatile.jupyter.plugins.module_utils.imported_on_call import imported


def openstack_nodes_plan(_input, cluster, groups, existing, network, ingress_node="", address="fixed",
                         metadata=None):
    planner = imported("openstack_nodes_plan")
    try:
        return planner.plan(cluster, groups, existing, network, ingress_node, address, metadata)
    except planner.PlanError as error:
        raise AnsibleFilterError(str(error))


def openstack_nodes_hosts(wanted, servers, address="fixed"):
    planner = imported("openstack_nodes_plan")
    try:
        return planner.host_entries(wanted, servers, address)
    except planner.PlanError as error:
        raise AnsibleFilterError(str(error))


def openstack_nodes_missing_attachments(desired, servers, volumes):
    return imported("openstack_nodes_plan").missing_attachments(desired, servers, volumes)


def openstack_nodes_missing_floating_ips(desired, servers):
    return imported("openstack_nodes_plan").missing_floating_ips(desired, servers)


def openstack_nodes_in_error(desired, servers):
    return imported("openstack_nodes_plan").servers_in_error(desired, servers)


class FilterModule(object):
    def filters(self):
        return {
            "openstack_nodes_plan": openstack_nodes_plan,
            "openstack_nodes_hosts": openstack_nodes_hosts,
            "openstack_nodes_missing_attachments": openstack_nodes_missing_attachments,
            "openstack_nodes_missing_floating_ips": openstack_nodes_missing_floating_ips,
            "openstack_nodes_in_error": openstack_nodes_in_error,
        }
