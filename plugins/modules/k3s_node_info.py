#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) versatile.jupyter contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
---
module: k3s_node_info
short_description: Report, in one round trip, what a k3s node holds
version_added: 0.1.0
description:
  - Reads the node's architecture, the installed k3s release (C(k3s --version)), the state of the k3s units,
    the sha256, mode and owner of the files named in O(files), the entries of the folders in
    O(directories), the state of the Debian packages in O(packages) and the answers of the read-only
    queries in O(commands). The k3s role, and cluster_services and hub on the first server, compare these
    with what they would write and skip whatever already matches.
  - Changes nothing; file contents are never returned, only their sha256.
author:
  - versatile.jupyter contributors (@versatile)
options:
  bin_dir:
    description: Folder of the k3s binary; empty to skip C(k3s --version).
    type: str
    default: /usr/local/bin
  units:
    description: systemd units to report (C(LoadState), C(ActiveState), C(UnitFileState), C(InvocationID)).
    type: list
    elements: str
    default: [k3s, k3s-agent]
  files:
    description: Files to report (exists, sha256, mode, uid, gid).
    type: list
    elements: path
    default: []
  directories:
    description: Folders whose entries to list.
    type: list
    elements: path
    default: []
  packages:
    description: Debian packages to report (installed or not, version), in one C(dpkg-query).
    type: list
    elements: str
    default: []
  commands:
    description:
      - Read-only queries to run, by name (an argv list each), for example a tool's version. Their exit
        status and standard output are returned. Never give a command that changes anything or prints a secret.
    type: dict
    default: {}
attributes:
  check_mode:
    description: Runs in check mode (it changes nothing in any mode).
    support: full
  diff_mode:
    description: Nothing changes, so there is no diff.
    support: none
'''

EXAMPLES = r'''
- name: Look at the node's k3s
  versatile.jupyter.k3s_node_info:
    files: [/etc/rancher/k3s/config.yaml, /etc/systemd/system/k3s.service]
    directories: [/var/lib/rancher/k3s/agent/images]
  register: k3s_node
'''

RETURN = r'''
architecture:
  description: The machine's architecture as C(uname -m) names it.
  returned: always
  type: str
  sample: x86_64
version:
  description: The installed k3s release, empty when there is none.
  returned: always
  type: str
  sample: v1.31.4+k3s1
units:
  description: For each unit, its systemd C(LoadState), C(ActiveState), C(UnitFileState) and C(InvocationID).
  returned: always
  type: dict
  sample: {k3s: {LoadState: loaded, ActiveState: active, UnitFileState: enabled, InvocationID: 4f0c}}
files:
  description: For each file, exists, sha256, mode (octal string), uid and gid.
  returned: always
  type: dict
  sample: {/etc/rancher/k3s/config.yaml: {exists: true, sha256: 9f86d0, mode: "0600", uid: 0, gid: 0}}
packages:
  description: For each package of O(packages), installed (true when dpkg says C(ii)) and version.
  returned: always
  type: dict
  sample: {python3-kubernetes: {installed: true, version: 22.6.0-2}}
commands:
  description: For each query of O(commands), its exit status (rc, 127 when it cannot run), stdout and stderr
    (stripped).
  returned: always
  type: dict
  sample: {helm: {rc: 0, stdout: v3.16.4, stderr: ""}}
directories:
  description: For each folder, whether it exists, the sorted names it holds (entries), its mode (octal string),
    uid and gid.
  returned: always
  type: dict
  sample: {/var/lib/rancher/k3s/agent/images: {exists: true, entries: [k3s-airgap-images-amd64.tar.zst], mode: "0755",
                                               uid: 0, gid: 0}}
'''

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.versatile.jupyter.plugins.module_utils.k3s_node import node_state


def main():
    module = AnsibleModule(
        argument_spec=dict(
            bin_dir=dict(type='str', default='/usr/local/bin'),
            units=dict(type='list', elements='str', default=['k3s', 'k3s-agent']),
            files=dict(type='list', elements='path', default=[]),
            directories=dict(type='list', elements='path', default=[]),
            packages=dict(type='list', elements='str', default=[]),
            commands=dict(type='dict', default={}),
        ),
        supports_check_mode=True,
    )
    params = module.params
    for name, argv in params['commands'].items():
        if not isinstance(argv, list) or not argv or not all(isinstance(arg, str) for arg in argv):
            module.fail_json(msg='commands.%s: expected a non-empty list of strings (an argv), got %r' % (name, argv))
    module.exit_json(changed=False, **node_state(params['bin_dir'], params['units'], params['files'],
                                                 params['directories'], params['packages'], params['commands']))


if __name__ == '__main__':
    main()
