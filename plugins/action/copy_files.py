# -*- coding: utf-8 -*-
# Copyright (c) versatile.jupyter contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugin of copy_files: transfer every file into the task's temporary folder on the node, then run the
module once to check each copy and move it into place (a C(copy) task costs two module runs a file)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible.errors import AnsibleError
from ansible.plugins.action import ActionBase

from ansible_collections.versatile.jupyter.plugins.module_utils.node_files import file_sha256


class ActionModule(ActionBase):

    TRANSFERS_FILES = True

    def run(self, tmp=None, task_vars=None):
        result = super(ActionModule, self).run(tmp, task_vars)
        args = dict(self._task.args)
        files = args.get("files")
        if not isinstance(files, list) or not files:
            raise AnsibleError("copy_files: files must be a non-empty list of {src, dest, mode} mappings")
        tmpdir = self._connection._shell.tmpdir
        entries, staged = [], []
        try:
            for index, item in enumerate(files):
                if not isinstance(item, dict) or not item.get("src") or not item.get("dest"):
                    raise AnsibleError("copy_files: files[%d] needs src (a file on the controller) and dest" % index)
                source = self._find_needle("files", item["src"])
                entry = dict(item, sha256=item.get("sha256") or file_sha256(source))
                entry.pop("src")
                if not self._task.check_mode:
                    entry["staged"] = self._connection._shell.join_path(tmpdir, "source-%d" % index)
                    self._transfer_file(source, entry["staged"])
                    staged.append(entry["staged"])
                entries.append(entry)
            if staged:
                self._fixup_perms2([tmpdir] + staged)
            module_args = dict(args, files=entries)
            result.update(self._execute_module(module_name="versatile.jupyter.copy_files", module_args=module_args,
                                               task_vars=task_vars))
        finally:
            self._remove_tmp_path(tmpdir)
        return result
