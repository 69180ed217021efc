#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) versatile.jupyter contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
---
module: copy_files
short_description: Copy several files from the controller to a node in one module run
version_added: 0.1.0
description:
  - Puts each file of O(files) at its destination on the node, root's with its mode. Its action plugin transfers
    every file first, then runs this module once. A C(copy) task costs two module runs and a transfer a file;
    the k3s role installs the air-gap binary, images archive and install script with this module instead.
  - Meant for files that are expected to differ, such as an install that runs only when the node's version
    differs. Every file is transferred; one whose destination already has the same sha256, mode and owner is not
    touched, and its transferred copy is removed.
  - A transferred copy is checked against the sha256 before it is moved into place, through a temporary file
    beside the destination. A missing parent folder is created (root's, O(directory_mode)).
  - In check mode nothing is transferred. Each destination is compared with the sha256 of its source, given
    (O(files[].sha256)) or computed on the controller.
author:
  - versatile.jupyter contributors (@versatile)
options:
  files:
    description: The files to copy.
    type: list
    elements: dict
    required: true
    suboptions:
      src:
        description:
          - The file on the controller (the action plugin reads it; a relative path is looked for as C(copy)
            does, in a role's C(files/) first).
        type: path
      dest:
        description: Where it goes on the node (a file, not a folder).
        type: path
        required: true
      mode:
        description: Its mode (octal string).
        type: str
        default: "0644"
      sha256:
        description:
          - The source's sha256, when already known (the air-gap preflight has it); computed on the controller
            otherwise.
        type: str
      staged:
        description: Set by the action plugin, not by a task. The transferred copy on the node.
        type: path
  directory_mode:
    description: Mode of a parent folder this module creates.
    type: str
    default: "0755"
attributes:
  action:
    description: The action plugin of the same name transfers the files.
    support: full
  check_mode:
    description: Reports what it would copy; transfers nothing.
    support: full
  diff_mode:
    description: The sha256 of each destination before and after (never the content).
    support: full
'''

EXAMPLES = r'''
- name: Install the k3s binary, images archive and install script
  versatile.jupyter.copy_files:
    files:
      - src: "{{ k3s_airgap_dir }}/k3s"
        dest: /usr/local/bin/k3s
        mode: "0755"
      - src: "{{ k3s_airgap_dir }}/k3s-airgap-images-amd64.tar.zst"
        dest: /var/lib/rancher/k3s/agent/images/k3s-airgap-images-amd64.tar.zst
      - src: "{{ k3s_airgap_dir }}/install.sh"
        dest: /usr/local/lib/versatile-jupyter/k3s-install.sh
        mode: "0755"
'''

RETURN = r'''
copied:
  description: The destinations written (new, or their content, mode or owner changed), or that would be in check
    mode.
  returned: always
  type: list
  elements: str
'''

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.versatile.jupyter.plugins.module_utils.node_files import converge_copies

FILE_OPTIONS = dict(
    src=dict(type='path'),
    dest=dict(type='path', required=True),
    mode=dict(type='str', default='0644'),
    sha256=dict(type='str'),
    staged=dict(type='path'),
)


def entry_problems(entries, check_mode):
    problems = []
    for entry in entries:
        if not entry['sha256']:
            problems.append('%s: no sha256 (the action plugin gives it; run this module as a task)' % entry['dest'])
        if not check_mode and not entry['staged']:
            problems.append('%s: nothing was transferred (the action plugin does it; run this module as a task)'
                            % entry['dest'])
        try:
            if not 0 <= int(entry['mode'], 8) <= 0o7777:
                raise ValueError
        except ValueError:
            problems.append('%s: mode %r is not an octal file mode such as "0644"' % (entry['dest'], entry['mode']))
    return problems


def main():
    module = AnsibleModule(
        argument_spec=dict(
            files=dict(type='list', elements='dict', required=True, options=FILE_OPTIONS),
            directory_mode=dict(type='str', default='0755'),
        ),
        supports_check_mode=True,
    )
    entries = module.params['files']
    problems = entry_problems(entries, module.check_mode)
    if problems:
        module.fail_json(msg='; '.join(problems))
    try:
        copied, diffs = converge_copies(entries, int(module.params['directory_mode'], 8), module.check_mode)
    except (OSError, ValueError) as exc:
        module.fail_json(msg='could not copy the files: %s' % exc)
    result = dict(changed=bool(copied), copied=copied)
    if module._diff:
        result['diff'] = diffs
    module.exit_json(**result)


if __name__ == '__main__':
    main()
