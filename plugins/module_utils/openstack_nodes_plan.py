# -*- coding: utf-8 -*-
# Copyright (c) versatile.jupyter contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Plan for the role openstack_nodes: which servers should exist, which are new, which are surplus,
and which address each hands to the next plays. Plain functions, no OpenStack calls.

Servers are named ``<cluster>-<group>-<n>`` and carry metadata that marks them as this role's
(``versatile_jupyter_cluster``, ``versatile_jupyter_node_group``, ``versatile_jupyter_index``,
``versatile_jupyter_inventory_group``); the openstack.cloud.openstack inventory plugin groups them by it.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

META_CLUSTER = "versatile_jupyter_cluster"
META_GROUP = "versatile_jupyter_node_group"
META_INDEX = "versatile_jupyter_index"
META_INVENTORY_GROUP = "versatile_jupyter_inventory_group"

NAME_RE = re.compile(r"^[a-z0-9]([a-z0-9-]*[a-z0-9])?$")
INVENTORY_GROUPS = ("k3s_servers", "k3s_agents", "desktops")


class PlanError(ValueError):
    """Bad input, with a message naming the variable."""


def server_name(cluster, group, index):
    return "%s-%s-%d" % (cluster, group, index)


def group_errors(cluster, groups, var="openstack_nodes_groups"):
    """Every problem with the node group declaration, one message each (empty list: fine)."""
    errors = []
    if not isinstance(cluster, str) or not NAME_RE.match(cluster):
        errors.append("openstack_nodes_cluster_name: %r must be lowercase letters, digits and dashes" % (cluster,))
    if not isinstance(groups, list):
        return errors + ["%s must be a list of node groups, got %s" % (var, type(groups).__name__)]
    seen = set()
    servers = 0
    for position, group in enumerate(groups):
        where = "%s[%d]" % (var, position)
        if not isinstance(group, dict):
            errors.append("%s must be a dict, got %r" % (where, group))
            continue
        name = group.get("name")
        if not isinstance(name, str) or not NAME_RE.match(name):
            errors.append("%s.name: %r must be lowercase letters, digits and dashes" % (where, name))
        elif name in seen:
            errors.append("%s.name: %s is declared twice" % (where, name))
        seen.add(name)
        if group.get("inventory_group") not in INVENTORY_GROUPS:
            errors.append("%s.inventory_group: %r must be one of %s"
                          % (where, group.get("inventory_group"), ", ".join(INVENTORY_GROUPS)))
        count = group.get("count")
        if isinstance(count, bool) or not isinstance(count, int) or count < 0:
            errors.append("%s.count: %r must be a whole number >= 0" % (where, count))
        elif group.get("inventory_group") == "k3s_servers":
            servers += count
        for key in ("flavor", "image"):
            if not isinstance(group.get(key), str) or not group.get(key):
                errors.append("%s.%s is required (a name or ID in your cloud)" % (where, key))
        size = group.get("volume_size", 0)
        if isinstance(size, bool) or not isinstance(size, int) or size < 0:
            errors.append("%s.volume_size: %r must be a whole number of GiB >= 0" % (where, size))
        metadata = group.get("metadata", {})
        if not isinstance(metadata, dict):
            errors.append("%s.metadata must be a dict" % where)
    if not errors and servers % 2 == 0 and servers:
        errors.append("%s: %d k3s servers declared; embedded etcd needs an odd number (1, 3 or 5)"
                      % (var, servers))
    return errors


def _index(server):
    try:
        return int((server.get("metadata") or {}).get(META_INDEX, ""))
    except ValueError:
        return None


def cluster_servers(cluster, servers):
    """The servers (as openstack.cloud.server_info returns them) that this role created for ``cluster``."""
    return [s for s in servers if (s.get("metadata") or {}).get(META_CLUSTER) == cluster]


def plan(cluster, groups, existing, network, ingress_node="", address="fixed", metadata=None):
    """Compute what the cloud should hold.

    Returns a dict:
      desired  every server that should exist, ordered by group then index, each
               {name, group, inventory_group, index, flavor, image, volume_size, volume_name, network,
                floating_ip, metadata, exists}
      create   names of desired servers that do not exist yet
      surplus  servers of this cluster that should not exist (count lowered, or group removed), highest
               index first: {name, id, group, index, inventory_group}
      ingress  name of the server that gets the ingress floating IP, or None
      quota_request  what the new servers need, as openstack_quota_info's ``servers`` option
    """
    errors = group_errors(cluster, groups)
    if errors:
        raise PlanError("; ".join(errors))
    if address not in ("fixed", "floating"):
        raise PlanError("openstack_nodes_address: %r must be fixed or floating" % (address,))
    mine = cluster_servers(cluster, existing)
    by_name = dict((s["name"], s) for s in mine)
    desired = []
    for group in groups:
        for index in range(1, group["count"] + 1):
            name = server_name(cluster, group["name"], index)
            meta = dict((str(k), str(v)) for k, v in (metadata or {}).items())
            meta.update((str(k), str(v)) for k, v in (group.get("metadata") or {}).items())
            meta.update({
                META_CLUSTER: cluster,
                META_GROUP: group["name"],
                META_INDEX: str(index),
                META_INVENTORY_GROUP: group["inventory_group"],
            })
            size = group.get("volume_size", 0) or 0
            desired.append({
                "name": name,
                "group": group["name"],
                "inventory_group": group["inventory_group"],
                "index": index,
                "flavor": group["flavor"],
                "image": group["image"],
                "volume_size": size,
                "volume_name": "%s-data" % name if size else "",
                "network": group.get("network") or network,
                "floating_ip": address == "floating",
                "metadata": meta,
                "exists": name in by_name,
            })
    names = [d["name"] for d in desired]
    ingress = None
    if ingress_node != "none" and desired:
        ingress = ingress_node or desired[0]["name"]
        if ingress not in names:
            raise PlanError("openstack_nodes_ingress_node: %s is not one of the declared servers (%s)"
                            % (ingress, ", ".join(names)))
        for server in desired:
            if server["name"] == ingress:
                server["floating_ip"] = True
    surplus = []
    for server in mine:
        if server["name"] in names:
            continue
        meta = server.get("metadata") or {}
        surplus.append({
            "name": server["name"],
            "id": server.get("id"),
            "group": meta.get(META_GROUP),
            "index": _index(server),
            "inventory_group": meta.get(META_INVENTORY_GROUP),
        })
    surplus.sort(key=lambda s: (s["group"] or "", -(s["index"] or 0)))
    return {
        "desired": desired,
        "create": [d["name"] for d in desired if not d["exists"]],
        "surplus": surplus,
        "ingress": ingress,
        "quota_request": [{"flavor": d["flavor"], "volume_size": d["volume_size"], "floating_ip": d["floating_ip"]}
                          for d in desired if not d["exists"]],
    }


def _addresses(server, network=None):
    """(fixed, floating) IPv4 addresses of a server, preferring those on ``network``."""
    fixed = floating = None
    nets = server.get("addresses") or {}
    order = [network] if network in nets else []
    order += sorted(n for n in nets if n != network)
    for net in order:
        for entry in nets[net]:
            if entry.get("version", 4) != 4:
                continue
            kind = entry.get("OS-EXT-IPS:type")
            if kind == "floating" and floating is None:
                floating = entry.get("addr")
            elif kind != "floating" and fixed is None:
                fixed = entry.get("addr")
    return fixed, floating


def host_entries(wanted, servers, address="fixed"):
    """What add_host gets for each server: {name, inventory_group, ansible_host, fixed_ip, floating_ip}.

    wanted: plan entries (desired or surplus; each with name, inventory_group and optionally network).
    servers: servers as openstack.cloud.server_info returns them.
    Raises PlanError naming a server that is missing or has no usable address.
    """
    by_name = dict((s["name"], s) for s in servers)
    hosts = []
    for entry in wanted:
        server = by_name.get(entry["name"])
        if server is None:
            raise PlanError("server %s was not found in the cloud after creation" % entry["name"])
        fixed, floating = _addresses(server, entry.get("network"))
        host = floating if address == "floating" else fixed
        if not host:
            raise PlanError("server %s has no %s IPv4 address (addresses: %s)"
                            % (entry["name"], address, server.get("addresses")))
        hosts.append({
            "name": entry["name"],
            "inventory_group": entry.get("inventory_group"),
            "ansible_host": host,
            "fixed_ip": fixed,
            "floating_ip": floating,
        })
    return hosts


def missing_attachments(desired, servers, volumes):
    """Data volumes that exist but are not attached to their server: [{server, volume}].

    desired: plan entries; servers / volumes: as openstack.cloud.server_info / volume_info return them.
    """
    servers_by_name = dict((s["name"], s) for s in servers)
    volumes_by_name = dict((v["name"], v) for v in volumes)
    missing = []
    for entry in desired:
        if not entry.get("volume_name"):
            continue
        server = servers_by_name.get(entry["name"])
        volume = volumes_by_name.get(entry["volume_name"])
        if server is None or volume is None:
            continue
        if not any(a.get("server_id") == server.get("id") for a in volume.get("attachments") or []):
            missing.append({"server": entry["name"], "volume": entry["volume_name"]})
    return missing


def missing_floating_ips(desired, servers):
    """Plan entries that should have a floating IP but whose server has none yet."""
    servers_by_name = dict((s["name"], s) for s in servers)
    missing = []
    for entry in desired:
        server = servers_by_name.get(entry["name"])
        if entry.get("floating_ip") and server is not None and _addresses(server)[1] is None:
            missing.append(entry)
    return missing


def servers_in_error(desired, servers):
    """The planned servers that exist in status ERROR, in plan order: [{name, fault}], fault being the message Nova
    gives (its ``fault.message``), or "" when it gives none.

    desired: plan entries; servers: as openstack.cloud.server_info returns them.
    """
    by_name = dict((s.get("name"), s) for s in servers)
    found = []
    for entry in desired:
        server = by_name.get(entry["name"])
        if server is None or str(server.get("status") or "").upper() != "ERROR":
            continue
        fault = server.get("fault")
        message = fault.get("message") if isinstance(fault, dict) else None
        found.append({"name": entry["name"], "fault": str(message or "")})
    return found
