# -*- coding: utf-8 -*-
# Copyright (c) versatile.jupyter contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters for k3s upgrades and hub roll-outs; the logic lives in module_utils/upgrades.py."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

# Each filter is documented in its own file beside this one (k3s_upgrade_problems.yml, ...).

from ansible_collections.versatile.jupyter.plugins.module_utils.imported_on_call import imported, imported_on_call


def installed_release(text):
    """What a node runs, given either as its ``k3s --version`` output or as the bare release that module
    k3s_node_info reports (``v1.32.1+k3s1``, one word); None when neither names one. A word that is not a
    release name (``v1.32.1+k3s1-dirty``) is kept too: k3s_upgrade_problem refuses it as such, not as a node
    without k3s."""
    text = (text or "").strip()
    if len(text.split()) == 1:
        return text
    return imported("upgrades").k3s_version_of(text)


def k3s_upgrade_problems(installed, target, variable="k3s_version"):
    installed_releases = dict((node, installed_release(text)) for node, text in (installed or {}).items())
    return imported("upgrades").k3s_upgrade_problems(installed_releases, target, variable)


class FilterModule(object):
    def filters(self):
        return {
            "k3s_upgrade_problems": k3s_upgrade_problems,
            "k3s_node_problems": imported_on_call("upgrades", "k3s_node_problems"),
            "k3s_installs": imported_on_call("upgrades", "k3s_installs"),
            "hub_user_images": imported_on_call("upgrades", "hub_user_images"),
            "hub_users_on_old_images": imported_on_call("upgrades", "hub_users_on_old_images"),
            "hub_rollout_line": imported_on_call("upgrades", "rollout_line"),
        }
