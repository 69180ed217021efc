#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) versatile.jupyter developers
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: openstack_quota_info
short_description: Read an OpenStack project's quota and usage and check what a plan of servers needs
version_added: 0.1.0
author: versatile.jupyter developers
description:
  - Reads the current project's compute limits (instances, cores, RAM), block storage limits (volumes,
    gigabytes) and Neutron floating IP quota with usage, the way a project member may read them.
  - Given the servers that are about to be created, sums what they need (flavors are looked up in the
    cloud) and returns every resource that is short, one line each, such as C(cores: need 16, 10 available).
  - Changes nothing. The quota module of openstack.cloud sets quotas and needs admin rights; it does not
    report usage, hence this module.
options:
  servers:
    description:
      - The servers about to be created.
    type: list
    elements: dict
    default: []
    suboptions:
      flavor:
        description: Flavor name or ID.
        type: str
        required: true
      volume_size:
        description: Size in GiB of the data volume created with the server; V(0) for none.
        type: int
        default: 0
      floating_ip:
        description: Whether a new floating IP is allocated for the server.
        type: bool
        default: false
extends_documentation_fragment:
  - openstack.cloud.openstack
notes:
  - Uses openstacksdk, like every openstack.cloud module, with the same authentication options.
"""

EXAMPLES = r"""
- name: Check that three more servers fit into the project
  versatile.jupyter.openstack_quota_info:
    cloud: mycloud
    servers:
      - {flavor: m1.large, volume_size: 50, floating_ip: true}
      - {flavor: m1.large}
      - {flavor: m1.large}
  register: quota

- name: Stop when something is short
  ansible.builtin.fail:
    msg: "Quota too small: {{ quota.shortfalls | join('; ') }}"
  when: quota.shortfalls | length > 0
"""

RETURN = r"""
quota:
  description: Per resource the limit (null = unlimited), what is used and what is still available.
  returned: always
  type: dict
  sample: {"cores": {"limit": 20, "used": 10, "available": 10}}
need:
  description: What the given servers need (instances, cores, ram in MiB, volumes, gigabytes, floating_ips).
  returned: always
  type: dict
  sample: {"instances": 4, "cores": 16, "ram": 32768, "volumes": 0, "gigabytes": 0, "floating_ips": 1}
shortfalls:
  description: One line per resource that is short; empty when everything fits.
  returned: always
  type: list
  elements: str
  sample: ["cores: need 16, 10 available (limit 20, used 10)"]
"""

from ansible_collections.openstack.cloud.plugins.module_utils.openstack import OpenStackModule
from ansible_collections.versatile.jupyter.plugins.module_utils.openstack_quota import (
    plan_needs,
    quota_table,
    shortfalls,
)


class OpenStackQuotaInfoModule(OpenStackModule):
    argument_spec = dict(
        servers=dict(type="list", elements="dict", default=[], options=dict(
            flavor=dict(type="str", required=True),
            volume_size=dict(type="int", default=0),
            floating_ip=dict(type="bool", default=False),
        )),
    )
    module_kwargs = dict(supports_check_mode=True)

    def run(self):
        servers = self.params["servers"]
        flavors = {}
        for name in sorted(set(s["flavor"] for s in servers)):
            flavor = self.conn.compute.find_flavor(name, ignore_missing=True)
            if flavor is None:
                self.fail_json(msg="servers: flavor %s does not exist in this cloud" % name)
            flavors[name] = {"vcpus": flavor.vcpus, "ram": flavor.ram}

        compute = self.conn.compute.get_limits().absolute.to_dict(computed=False)
        volume = None
        if self.conn.has_service("block-storage"):
            volume = self.conn.block_storage.get_limits().absolute.to_dict(computed=False)
        floatingip = None
        if self.conn.has_service("network"):
            quota = self.conn.network.get_quota(self.conn.current_project_id, details=True)
            floatingip = quota.floating_ips

        table = quota_table(compute, volume, floatingip)
        need = plan_needs(servers, flavors)
        self.exit_json(changed=False, quota=table, need=need, shortfalls=shortfalls(need, table))


def main():
    module = OpenStackQuotaInfoModule()
    module()


if __name__ == "__main__":
    main()
