# -*- coding: utf-8 -*-
# Copyright (c) versatile.jupyter contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
name: k3s_upgrade_problems
short_description: Why nodes cannot move to a k3s release
version_added: 0.1.0
author:
  - versatile.jupyter contributors (@versatile)
description:
  - Used by playbooks/upgrade.yml before any node is changed. Takes a mapping of inventory names to the
    C(k3s --version) output of each node and returns one message per node that cannot move to O(target)
    (not installed, a downgrade, a skipped minor version), naming the node, both versions and the variable.
  - The same file provides, for the hub role, C(hub_user_images) (the user images in a hub's computed values),
    C(hub_users_on_old_images) (the users whose servers run another image), C(hub_rollout_line) (one of them
    as a line) and C(hub_scrub) (a text, such as a helm diff, with every secret of a hub's layers masked).
positional: target, variable
options:
  _input:
    description: Inventory name -> the node's C(k3s --version) output (empty when k3s is missing).
    type: dict
    required: true
  target:
    description: The release to move to (C(k3s_version)).
    type: str
    required: true
  variable:
    description: The variable's name, for the messages.
    type: str
    default: k3s_version
"""

EXAMPLES = r"""
- name: Refuse downgrades and skipped minor versions
  ansible.builtin.assert:
    that: problems | length == 0
    fail_msg: "{{ problems | join(' ') }}"
  vars:
    problems: "{{ {'s1': 'k3s version v1.31.4+k3s1 (abc)'} | versatile.jupyter.k3s_upgrade_problems('v1.32.1+k3s1') }}"
"""

RETURN = r"""
_value:
  description: The problems, one sentence each; empty when every node can move.
  type: list
  elements: str
"""

from ansible_collections.versatile.jupyter.plugins.module_utils.hub_secrets import layer_secrets, scrub
from ansible_collections.versatile.jupyter.plugins.module_utils.upgrades import (
    hub_user_images,
    hub_users_on_old_images,
    k3s_upgrade_problems as upgrade_problems,
    k3s_version_of,
    rollout_line,
)


def k3s_upgrade_problems(outputs, target, variable="k3s_version"):
    return upgrade_problems(dict((node, k3s_version_of(text)) for node, text in (outputs or {}).items()),
                            target, variable)


def hub_scrub(text, layers):
    return scrub(text, layer_secrets(layers))


class FilterModule(object):
    def filters(self):
        return {
            "k3s_upgrade_problems": k3s_upgrade_problems,
            "hub_user_images": hub_user_images,
            "hub_users_on_old_images": hub_users_on_old_images,
            "hub_rollout_line": rollout_line,
            "hub_scrub": hub_scrub,
        }
