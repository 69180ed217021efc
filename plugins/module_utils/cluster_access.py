# -*- coding: utf-8 -*-
# Copyright (c) versatile.jupyter contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Who may reach the cluster's shared services: the nodes' own addresses, and the NFS export line for them.

Plain functions, no Ansible import: unit-tested in tests/unit/test_cluster_access.py.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

# exports(5) client: an IPv4/IPv6 address or network, or a host name (no wildcard, no space, no parenthesis).
_CLIENT_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9.:_-]*(/[0-9]{1,3})?$")


def known_node_address(hostvars):
    """The address a node uses on the cluster network as far as the inventory and facts tell (``hostvars``: that
    host's variables); ``""`` when neither does.

    The inventory's ``cluster_node_address`` for the node when set (the address node_prep's firewall opens to),
    else the IPv4 address of its default route when its facts were gathered (what k3s takes as the node IP).
    """
    if hostvars.get("cluster_node_address"):
        return hostvars.get("cluster_node_address")
    facts = hostvars.get("ansible_facts") or {}
    address = (facts.get("default_ipv4") or {}).get("address")
    if not address:
        address = (hostvars.get("ansible_default_ipv4") or {}).get("address")
    return address or ""


def node_address(host, hostvars):
    """The address the node ``host`` uses on the cluster network (``hostvars``: that host's variables).

    known_node_address when known, else ``ansible_host``, else the inventory name (the NFS server then resolves
    the name when it exports).
    """
    return known_node_address(hostvars) or hostvars.get("ansible_host") or host


def node_addresses(hosts, hostvars):
    """Sorted, unique addresses of the inventory hosts ``hosts`` (``hostvars``: Ansible's hostvars)."""
    out = set()
    for host in hosts or []:
        out.add(node_address(host, hostvars[host] if host in hostvars else {}))
    return sorted(a for a in out if a)


def cluster_nodes(hosts, hostvars, servers=()):
    """The inventory hosts ``hosts`` as node_prep's firewall sees them: ``{"name", "address", "server"}`` each, in
    order. ``address`` is known_node_address as a string, ``""`` when unknown (node_prep leaves such a node out,
    with a warning); ``server`` whether the host is one of ``servers`` (``hostvars``: Ansible's hostvars)."""
    servers = list(servers or [])
    return [{"name": host,
             "address": str(known_node_address(hostvars[host] if host in hostvars else {})),
             "server": host in servers}
            for host in hosts or []]


def export_problems(clients, variable="cluster_services_nfs_clients"):
    """Messages for an export client list that is not a non-empty list of exact clients (no ``*``)."""
    if isinstance(clients, str) or not isinstance(clients, (list, tuple)):
        return ["%s must be a list of node addresses, networks or host names; it is %r." % (variable, clients)]
    if not clients:
        return ["%s is empty: the NFS export would reach no node. List the cluster nodes' addresses "
                "(or leave it unset: the nodes of k3s_cluster)." % variable]
    bad = [c for c in clients if not isinstance(c, str) or not _CLIENT_RE.match(c)]
    if bad:
        return ["%s: %s is not an address, a network (address/prefix) or a host name; wildcards such as * "
                "would export the homes to machines outside the cluster." % (variable, ", ".join(map(repr, bad)))]
    return []


def export_line(path, clients, root_squash=True):
    """One exports(5) line: ``path`` to each client, read-write, synchronous, root squashed unless told."""
    options = "rw,sync,no_subtree_check," + ("root_squash" if root_squash else "no_root_squash")
    return " ".join([path] + ["%s(%s)" % (c, options) for c in clients])
