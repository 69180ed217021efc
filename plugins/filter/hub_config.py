# -*- coding: utf-8 -*-
# Copyright: (c) 2026, versatile.jupyter contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters used by the `hub` role; the logic lives in module_utils/hub_config.py."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

# Each filter is documented in its own file beside this one (hub_entry_errors.yml, hub_values_layers.yml, ...).

from ansible.errors import AnsibleFilterError
from ansible_collections.versatile.jupyter.plugins.module_utils.imported_on_call import imported, imported_on_call


def _entry_errors(hubs, allow_dummy=False):
    return imported("hub_config").hub_entry_errors(hubs, allow_dummy=bool(allow_dummy))


def _values_layers(hub, kind_defaults, *args, **kwargs):
    """Filter hub_values_layers: module_utils/hub_config.values_layers, its arguments passed as they are."""
    try:
        return imported("hub_config").values_layers(hub, kind_defaults, *args, **kwargs)
    except (KeyError, TypeError) as exc:
        raise AnsibleFilterError("hub_values_layers: hub %r has an incomplete entry (%s); check the hubs "
                                 "entries first with hub_entry_errors" % (hub.get("name"), exc))
    except (IOError, OSError) as exc:
        raise AnsibleFilterError("hub_values_layers: hub %r: cannot read values file %s: %s"
                                 % (hub.get("name"), exc.filename, exc.strerror))


class FilterModule(object):
    def filters(self):
        return {
            "hub_entry_errors": _entry_errors,
            "hub_values_layers": _values_layers,
            "hub_urls": imported_on_call("hub_config", "hub_urls"),
            "hub_admin_hint": imported_on_call("hub_config", "admin_hint"),
            "hub_charts_needed": imported_on_call("hub_config", "charts_needed"),
            "hub_missing_values_files": imported_on_call("hub_config", "missing_values_files"),
            "hub_nfs_volume": imported_on_call("hub_config", "nfs_volume"),
            "hub_nfs_volume_mount": imported_on_call("hub_config", "nfs_volume_mount"),
            "hub_tls_errors": imported_on_call("hub_config", "tls_errors"),
            "hub_plain_http_hosts": imported_on_call("hub_config", "plain_http_hosts"),
        }
