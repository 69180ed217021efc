# -*- coding: utf-8 -*-
# Copyright: (c) 2026, versatile.jupyter contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters that keep a hub's secrets out of messages; the logic lives in module_utils/hub_secrets.py."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
name: hub_helm_failure
short_description: Why a hidden kubernetes.core.helm task failed, without the hub's secrets
description:
  - Takes the result of a failed C(kubernetes.core.helm) task (run with C(no_log)) and returns its message and
    helm's standard error with every secret of the hub's values layers and every PEM block masked.
options:
  _input:
    description: The failed task's result (C(ansible_failed_result)).
    type: dict
    required: true
  layers:
    description: The hub's values layers, as module C(versatile.jupyter.hub_values) takes them.
    type: list
    elements: dict
    required: true
"""

from ansible_collections.versatile.jupyter.plugins.module_utils.hub_secrets import helm_failure


class FilterModule(object):
    def filters(self):
        return {"hub_helm_failure": helm_failure}
