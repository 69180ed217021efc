# -*- coding: utf-8 -*-
# Copyright (c) versatile.jupyter contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Quota arithmetic for versatile.jupyter.openstack_quota_info: plain functions, no OpenStack calls.

A project's quota is read from three APIs (Nova limits, Cinder limits, Neutron quota details) and turned
into one table ``{resource: {"limit": int|None, "used": int, "available": int|None}}`` where None means
unlimited. What a plan needs is compared against that table; every resource that is short becomes one
line such as ``cores: need 16, 10 available``.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

# Resource name -> (unit shown in messages, human description)
RESOURCES = (
    ("instances", ""),
    ("cores", ""),
    ("ram", " MiB"),
    ("volumes", ""),
    ("gigabytes", " GiB"),
    ("floating_ips", ""),
)


def _entry(limit, used):
    """One quota row. OpenStack writes "unlimited" as -1 (sometimes None)."""
    used = int(used or 0)
    if limit is None or int(limit) < 0:
        return {"limit": None, "used": used, "available": None}
    limit = int(limit)
    return {"limit": limit, "used": used, "available": max(limit - used, 0)}


def quota_table(compute_absolute, volume_absolute, network_floatingip):
    """Build the quota table.

    compute_absolute: Nova absolute limits as openstacksdk names them (instances, instances_used,
        total_cores, total_cores_used, total_ram, total_ram_used).
    volume_absolute: Cinder absolute limits as openstacksdk names them (max_total_volumes,
        total_volumes_used, max_total_volume_gigabytes, total_gigabytes_used) or None when the cloud has
        no block storage service.
    network_floatingip: Neutron quota details for ``floatingip`` ({"limit", "used", "reserved"}) or None.
    """
    table = {
        "instances": _entry(compute_absolute.get("instances"), compute_absolute.get("instances_used")),
        "cores": _entry(compute_absolute.get("total_cores"), compute_absolute.get("total_cores_used")),
        "ram": _entry(compute_absolute.get("total_ram"), compute_absolute.get("total_ram_used")),
    }
    if volume_absolute is not None:
        table["volumes"] = _entry(volume_absolute.get("max_total_volumes"),
                                  volume_absolute.get("total_volumes_used"))
        table["gigabytes"] = _entry(volume_absolute.get("max_total_volume_gigabytes"),
                                    volume_absolute.get("total_gigabytes_used"))
    if network_floatingip is not None:
        used = int(network_floatingip.get("used") or 0) + int(network_floatingip.get("reserved") or 0)
        table["floating_ips"] = _entry(network_floatingip.get("limit"), used)
    return table


def plan_needs(servers, flavors):
    """What creating ``servers`` needs.

    servers: list of {"flavor": name or id, "volume_size": GiB (0 = no volume), "floating_ip": bool}.
    flavors: {name or id: {"vcpus": int, "ram": MiB}} for every flavor the servers name.
    Raises ValueError naming a flavor that is missing from ``flavors``.
    """
    need = {"instances": 0, "cores": 0, "ram": 0, "volumes": 0, "gigabytes": 0, "floating_ips": 0}
    for server in servers:
        flavor = flavors.get(server["flavor"])
        if flavor is None:
            raise ValueError("flavor %s does not exist in this cloud" % server["flavor"])
        need["instances"] += 1
        need["cores"] += int(flavor["vcpus"])
        need["ram"] += int(flavor["ram"])
        size = int(server.get("volume_size") or 0)
        if size > 0:
            need["volumes"] += 1
            need["gigabytes"] += size
        if server.get("floating_ip"):
            need["floating_ips"] += 1
    return need


def shortfalls(need, table):
    """Lines naming each resource that ``need`` exceeds, in a fixed order: ``cores: need 16, 10 available``.

    A resource missing from the table (service absent) cannot be checked and is a shortfall only when
    something of it is needed.
    """
    lines = []
    for name, unit in RESOURCES:
        wanted = int(need.get(name, 0))
        if wanted <= 0:
            continue
        row = table.get(name)
        if row is None:
            lines.append("%s: need %d%s, but the cloud offers no quota for it (service missing)" % (name, wanted, unit))
            continue
        if row["available"] is not None and wanted > row["available"]:
            lines.append("%s: need %d%s, %d%s available (limit %d, used %d)"
                         % (name, wanted, unit, row["available"], unit, row["limit"], row["used"]))
    return lines
