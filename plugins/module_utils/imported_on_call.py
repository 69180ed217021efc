# -*- coding: utf-8 -*-
# Copyright (c) versatile.jupyter contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters whose logic is imported at their first call, not when Ansible loads the filter file.

Ansible finds a collection's filter by loading every filter file of the collection, in the fresh worker process
of each task that templates one of them (a task on ten hosts: ten processes). A filter file that imports its
module_utils at load time makes each of those tasks pay for the imports of every file: the hub values modules
alone took about 18 ms a worker. The filter files import only this module; each filter's logic is imported where
it is called. tests/unit/test_filter_plugin_imports.py keeps it so.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import importlib

PACKAGE = "ansible_collections.versatile.jupyter.plugins.module_utils."


def imported(module):
    """module_utils/<module>, imported now (Python keeps it for the rest of the process)."""
    return importlib.import_module(PACKAGE + module)


def imported_on_call(module, name):
    """The function <name> of module_utils/<module>, imported at its first call."""

    def call(*args, **kwargs):
        return getattr(imported(module), name)(*args, **kwargs)

    call.__name__ = name
    call.__doc__ = "module_utils/%s.%s, imported at its first call." % (module, name)
    return call
