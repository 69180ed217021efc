# -*- coding: utf-8 -*-
# Copyright (c) versatile.jupyter contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""How the k3s role names a node and the API, in one place for the role (filters k3s_node_names, k3s_api_url) and
for the inventory check run before it (action inventory_check).

Plain functions, no Ansible import: unit-tested in tests/unit/test_k3s_names.py.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type


def node_name(host, k3s_node_name=None):
    """The Kubernetes name of the inventory host ``host``: its ``k3s_node_name`` when set and not empty, else the
    inventory name. Returned as given (the inventory check refuses a name that is not a string)."""
    return k3s_node_name or host


def node_names(hosts, hostvars):
    """The node names (strings) of the inventory hosts ``hosts``, in order (``hostvars``: Ansible's hostvars)."""
    return [str(node_name(host, (hostvars[host] if host in hostvars else {}).get("k3s_node_name")))
            for host in hosts or []]


def api_url(address, port):
    """``https://ADDRESS:PORT`` for the k3s API at ``address`` (a name or an IP address), an IPv6 address in
    brackets."""
    address = str(address)
    host = "[%s]" % address if ":" in address else address
    return "https://%s:%s" % (host, port)
