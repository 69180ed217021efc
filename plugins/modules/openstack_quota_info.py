#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) versatile.jupyter contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: openstack_quota_info
short_description: Read an OpenStack project's quota and usage and check what a plan of servers needs
version_added: 0.1.0
author:
  - versatile.jupyter contributors (@versatile)
description:
  - Reads the current project's compute limits (instances, cores, RAM), block storage limits (volumes,
    gigabytes) and Neutron floating IP quota with usage, the way a project member may read them.
  - "Given the servers that are about to be created, sums what they need (flavors are looked up in the
    cloud) and returns every resource that is short, one line each, such as C(cores: need 16, 10 available)."
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
  cloud:
    description:
      - Name of the cloud in C(clouds.yaml), as for the openstack.cloud modules.
      - Without it, openstacksdk uses E(OS_CLOUD) or the E(OS_*) environment variables.
    type: str
  auth:
    description:
      - Authentication parameters (C(auth_url), C(username), C(password), C(project_name), ...) when no
        C(clouds.yaml) entry is used.
    type: dict
  region_name:
    description: Region to use.
    type: str
  interface:
    description: Endpoint interface to use.
    type: str
    choices: [public, internal, admin]
    default: public
  validate_certs:
    description: Whether to verify TLS certificates; unset keeps the C(clouds.yaml) setting.
    type: bool
  ca_cert:
    description: CA bundle to verify the endpoints with.
    type: path
attributes:
  check_mode:
    support: full
    description: Reads only.
  diff_mode:
    support: none
    description: Changes nothing, so there is no diff.
requirements:
  - openstacksdk
notes:
  - The openstack.cloud collection has no module that reports quota usage (its quota module sets quotas
    and needs admin rights), hence this module. It uses openstacksdk directly, like the openstack.cloud
    modules, with the same C(clouds.yaml).
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

import traceback

from ansible.module_utils.basic import AnsibleModule, missing_required_lib
from ansible_collections.versatile.jupyter.plugins.module_utils.openstack_quota import (
    plan_needs,
    quota_table,
    shortfalls,
)

try:
    import openstack
    HAS_OPENSTACKSDK = True
    OPENSTACKSDK_ERROR = None
except ImportError:
    HAS_OPENSTACKSDK = False
    OPENSTACKSDK_ERROR = traceback.format_exc()


def read_quota(conn, servers):
    """Ask the cloud for flavors, limits and the floating IP quota; return (table, need)."""
    flavors = {}
    for name in sorted(set(s["flavor"] for s in servers)):
        flavor = conn.compute.find_flavor(name, ignore_missing=True)
        if flavor is None:
            raise ValueError("servers: flavor %s does not exist in this cloud" % name)
        flavors[name] = {"vcpus": flavor.vcpus, "ram": flavor.ram}
    compute = conn.compute.get_limits().absolute.to_dict(computed=False)
    volume = None
    if conn.has_service("block-storage"):
        volume = conn.block_storage.get_limits().absolute.to_dict(computed=False)
    floatingip = None
    if conn.has_service("network"):
        floatingip = conn.network.get_quota(conn.current_project_id, details=True).floating_ips
    return quota_table(compute, volume, floatingip), plan_needs(servers, flavors)


def main():
    module = AnsibleModule(
        argument_spec=dict(
            servers=dict(type="list", elements="dict", default=[], options=dict(
                flavor=dict(type="str", required=True),
                volume_size=dict(type="int", default=0),
                floating_ip=dict(type="bool", default=False),
            )),
            cloud=dict(type="str"),
            auth=dict(type="dict", no_log=True),
            region_name=dict(type="str"),
            interface=dict(type="str", default="public", choices=["public", "internal", "admin"]),
            validate_certs=dict(type="bool"),
            ca_cert=dict(type="path"),
        ),
        supports_check_mode=True,
    )
    if not HAS_OPENSTACKSDK:
        module.fail_json(msg=missing_required_lib("openstacksdk"), exception=OPENSTACKSDK_ERROR)
    params = module.params
    kwargs = dict((k, params[k]) for k in ("cloud", "auth", "region_name", "interface") if params[k])
    if params["validate_certs"] is not None:
        kwargs["verify"] = params["validate_certs"]
    if params["ca_cert"]:
        kwargs["cacert"] = params["ca_cert"]
    try:
        conn = openstack.connect(**kwargs)
        table, need = read_quota(conn, params["servers"])
    except ValueError as error:
        module.fail_json(msg=str(error))
    except openstack.exceptions.SDKException as error:
        module.fail_json(msg="OpenStack: %s" % error)
    module.exit_json(changed=False, quota=table, need=need, shortfalls=shortfalls(need, table))


if __name__ == "__main__":
    main()
