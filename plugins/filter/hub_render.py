# -*- coding: utf-8 -*-
# Copyright: (c) 2026, versatile.jupyter contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filter of playbooks/render.yml; the logic lives in module_utils/hub_render.py."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
name: hub_render_table
short_description: The closing table of playbooks/render.yml
description:
  - Lines of a table (hub, kind, chart, objects, images, URLs) from the registered results of module
    C(versatile.jupyter.hub_manifests) looped over the hub names (loop_var C(hub_name)), then each hub's images.
options:
  _input:
    description: The C(results) of the registered loop.
    type: list
    required: true
  hubs:
    description: The C(hubs) list.
    type: list
    required: true
  charts:
    description: The pinned charts (C(hub_charts)).
    type: dict
    required: true
  render_dir:
    description: The render folder, named in the last line.
    type: str
"""

EXAMPLES = r"""
- name: Summarise
  ansible.builtin.debug:
    msg: "{{ rendered.results | versatile.jupyter.hub_render_table(hubs, hub_charts, 'rendered/lab') }}"
"""

RETURN = r"""
_value:
  description: The table's lines.
  type: list
  elements: str
"""

from ansible_collections.versatile.jupyter.plugins.module_utils.imported_on_call import imported_on_call


class FilterModule(object):
    def filters(self):
        return {"hub_render_table": imported_on_call("hub_render", "summary_table")}
