# -*- coding: utf-8 -*-
# Copyright (c) versatile.jupyter contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Jinja tests on the file states k3s_node_info reports, so that a role skips a write whose result is already
on the node without a round trip. Loaded in every task's worker that uses a test: standard library only."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import hashlib

# Each test is documented in its own file beside this one (same_file.yml, root_folder.yml).


def file_holds(state, sha256, mode):
    """A k3s_node_info file entry: the file exists, its content has this sha256 (not empty), it has this mode and
    root (uid 0) owns it."""
    return (isinstance(state, dict) and bool(state.get('exists')) and bool(sha256)
            and state.get('sha256') == sha256 and state.get('mode') == mode and state.get('uid') == 0)


def same_file(state, content, mode):
    """A k3s_node_info file entry against the content, mode and root ownership (uid and gid 0) a role would
    write."""
    digest = hashlib.sha256(content.encode('utf-8')).hexdigest()
    return file_holds(state, digest, mode) and state.get('gid') == 0


def root_folder(state, mode):
    """A k3s_node_info folder entry: it exists, root owns it and has this mode."""
    return (isinstance(state, dict) and bool(state.get('exists')) and state.get('mode') == mode
            and state.get('uid') == 0 and state.get('gid') == 0)


class TestModule(object):
    def tests(self):
        return {'same_file': same_file, 'file_holds': file_holds, 'root_folder': root_folder}
