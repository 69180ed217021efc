#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) versatile.jupyter contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
---
module: config_files
short_description: Write or remove several small root-owned configuration files in one round trip
version_added: 0.1.0
description:
  - Brings each file of O(files) and O(secret_files) to its content and mode, owned by root, or removes it
    (O(files[].state=absent)), in one module run. A C(copy) task costs two module runs and a transfer a file;
    the k3s role writes a node's join token, C(config.yaml) and C(registries.yaml) with this module instead.
  - A file whose content, mode and owner already match is not touched. A new file is written to a temporary file
    beside it and moved into place. A missing parent folder is created (root's, O(directory_mode)); an existing
    folder is left as it is.
author:
  - versatile.jupyter contributors (@versatile)
options:
  files:
    description: Files whose content may be shown (in diff mode).
    type: list
    elements: dict
    default: []
    suboptions: &file_suboptions
      path:
        description: The file.
        type: path
        required: true
      content:
        description: Its content (required unless its state is V(absent)).
        type: str
      mode:
        description: Its mode (octal string).
        type: str
        default: "0600"
      state:
        description: V(present) writes it, V(absent) removes it.
        type: str
        choices: [present, absent]
        default: present
  secret_files:
    description: Files holding secrets (a token, passwords); their content is never logged nor shown in a diff.
    type: list
    elements: dict
    default: []
    # The same entries as O(files) (FILE_OPTIONS in the code).
    suboptions: *file_suboptions
  directory_mode:
    description: Mode of a parent folder this module creates.
    type: str
    default: "0755"
attributes:
  check_mode:
    description: Reports what it would write or remove.
    support: full
  diff_mode:
    description: Before and after of O(files); only the names of O(secret_files).
    support: full
'''

EXAMPLES = r'''
- name: Write the node's k3s configuration
  versatile.jupyter.config_files:
    files:
      - path: /etc/rancher/k3s/config.yaml
        content: "{{ k3s_config_content }}"
    secret_files:
      - path: /etc/rancher/k3s/cluster-token
        content: "{{ k3s_join_token }}\n"
      - path: /etc/rancher/k3s/registries.yaml
        state: absent
'''

RETURN = r'''
written:
  description: The files written (new, or their content, mode or owner changed), or that would be in check mode.
  returned: always
  type: list
  elements: str
removed:
  description: The files removed, or that would be in check mode.
  returned: always
  type: list
  elements: str
'''

import os

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.common.text.converters import to_bytes, to_text

from ansible_collections.versatile.jupyter.plugins.module_utils.node_files import put_in_place

FILE_OPTIONS = dict(
    path=dict(type='path', required=True),
    content=dict(type='str'),
    mode=dict(type='str', default='0600'),
    state=dict(type='str', choices=['present', 'absent'], default='present'),
)


def current_state(path):
    """(content bytes, mode, uid, gid) of the file, or None when there is none."""
    try:
        with open(path, 'rb') as handle:
            content = handle.read()
        st = os.stat(path)
    except FileNotFoundError:
        return None
    return content, st.st_mode & 0o7777, st.st_uid, st.st_gid


def needs_change(entry, state):
    """What the entry asks of the file in ``state`` (current_state's answer): 'write', 'remove' or None."""
    if entry['state'] == 'absent':
        return 'remove' if state is not None else None
    if state is None:
        return 'write'
    content, mode, uid, gid = state
    if content != to_bytes(entry['content']) or mode != int(entry['mode'], 8) or uid != 0 or gid != 0:
        return 'write'
    return None


def write_file(path, content, mode, directory_mode):
    """Write ``content`` to a private temporary file beside ``path``, set owner and mode, move it into place."""
    def fill(tmp):
        with open(tmp, 'wb') as handle:
            handle.write(to_bytes(content))
            handle.flush()
            os.fsync(handle.fileno())

    put_in_place(path, mode, directory_mode, fill)


def converge(entries, directory_mode, check_mode):
    """Apply every entry (each a dict with path, content, mode, state, secret). Returns (written, removed, diffs)."""
    written, removed, diffs = [], [], []
    for entry in entries:
        state = current_state(entry['path'])
        action = needs_change(entry, state)
        if action is None:
            continue
        if entry['secret']:
            diffs.append({'before_header': entry['path'], 'after_header': entry['path'],
                          'before': '(secret, not shown)\n' if state else '',
                          'after': '' if action == 'remove' else '(secret, not shown)\n'})
        else:
            diffs.append({'before_header': entry['path'], 'after_header': entry['path'],
                          'before': to_text(state[0], errors='replace') if state else '',
                          'after': '' if action == 'remove' else entry['content']})
        if action == 'remove':
            removed.append(entry['path'])
            if not check_mode:
                os.unlink(entry['path'])
        else:
            written.append(entry['path'])
            if not check_mode:
                write_file(entry['path'], entry['content'], int(entry['mode'], 8), directory_mode)
    return written, removed, diffs


def entry_problems(entries):
    problems = []
    for entry in entries:
        if entry['state'] == 'present' and entry['content'] is None:
            problems.append('%s: content is required unless state is absent' % entry['path'])
        try:
            if not 0 <= int(entry['mode'], 8) <= 0o7777:
                raise ValueError
        except ValueError:
            problems.append('%s: mode %r is not an octal file mode such as "0600"' % (entry['path'], entry['mode']))
    return problems


def main():
    module = AnsibleModule(
        argument_spec=dict(
            files=dict(type='list', elements='dict', default=[], options=FILE_OPTIONS),
            # The list itself names files; their content (the suboption) is what is never logged.
            secret_files=dict(type='list', elements='dict', default=[], no_log=False,
                              options=dict(FILE_OPTIONS, content=dict(type='str', no_log=True))),
            directory_mode=dict(type='str', default='0755'),
        ),
        supports_check_mode=True,
    )
    entries = ([dict(entry, secret=False) for entry in module.params['files']]
               + [dict(entry, secret=True) for entry in module.params['secret_files']])
    problems = entry_problems(entries)
    if problems:
        module.fail_json(msg='; '.join(problems))
    try:
        written, removed, diffs = converge(entries, int(module.params['directory_mode'], 8), module.check_mode)
    except (OSError, ValueError) as exc:
        module.fail_json(msg='could not write the configuration files: %s' % exc)
    result = dict(changed=bool(written or removed), written=written, removed=removed)
    if module._diff:
        result['diff'] = diffs
    module.exit_json(**result)


if __name__ == '__main__':
    main()
