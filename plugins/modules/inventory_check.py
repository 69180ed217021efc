#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) versatile.jupyter contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
---
module: inventory_check
short_description: Check the whole inventory on the controller before any host is contacted
version_added: 0.1.0
description:
  - Reads the inventory's variables (the roles' defaults where the inventory sets nothing), templates them on the
    controller and reports every problem at once, each naming the variable to change and what to set instead
    (see docs/inventory-checks.md).
  - Checks the k3s topology (an odd number of servers, a node in one group only), k3s_version and the air-gap
    folder (complete, matching its checksums, holding that very release), node names (unique Kubernetes names of
    at most 63 characters), addresses (one inventory name per machine), the cluster services, the hubs entries
    with their values files and C(hub.config) names (against the JupyterHub packages installed on the
    controller), the hub images and the OpenStack declaration.
  - Before facts exist, templates that read them (C(ansible_facts.default_ipv4) of a node) see a placeholder
    address (the node's C(ansible_host) when it is an IP address, else 192.0.2.1); nodes that
    C(openstack_nodes_groups) will create are in their groups with placeholder addresses.
  - Runs on the controller only (an action plugin); no host is contacted. Secret values are never returned.
author:
  - versatile.jupyter contributors (@versatile)
options:
  sections:
    description: The parts to check; all of them by default.
    type: list
    elements: str
    choices: [k3s, nodes, cluster_services, hubs, hub_images, openstack]
  stage:
    description:
      - The playbook's action. The k3s air-gap folder is checked for C(install) (site.yml, playbooks/k3s.yml)
        and C(upgrade) only; C(deploy) is every other stage.
    type: str
    default: install
    choices: [install, upgrade, deploy, remove_node, reset]
attributes:
  check_mode:
    description: Checks only; the same in check mode.
    support: full
  diff_mode:
    description: Nothing to show a difference for.
    support: none
  action:
    description: Runs on the controller as an action plugin.
    support: full
'''

EXAMPLES = r'''
- name: Check the inventory
  versatile.jupyter.inventory_check:

- name: Check only what the k3s role reads
  versatile.jupyter.inventory_check:
    sections: [k3s]
    stage: upgrade
'''

RETURN = r'''
problems:
  description: Every problem found, one plain-language message each (empty when the inventory is good).
  returned: always
  type: list
  elements: str
'''
