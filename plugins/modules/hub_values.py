#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) versatile.jupyter contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
---
module: hub_values
short_description: Merge layered Helm values exactly as Helm does, validate them, write one values file
version_added: 0.1.0
description:
  - Merges the I(layers) in order with the semantics of C(helm -f layer1 -f layer2 ...) (maps merge key by
    key, lists and scalars are replaced, a C(null) is kept so that Helm deletes the chart default).
  - Optionally coalesces the result with a chart's default values like Helm and validates it against the
    chart's values schema (JSON Schema draft 7), subcharts included (BinderHub's C(jupyterhub) subtree
    against the z2jh schema). Every error names the dotted path and the layer that set it.
  - Checks C(hub.config.<Class>.<trait>) against the real JupyterHub, OAuthenticator, NativeAuthenticator,
    LTIAuthenticator and KubeSpawner classes where they are importable, with a "did you mean" hint.
  - Writes I(dest) only when its content changes, with Ansible's atomic move, and sets its mode (C(0600) by
    default), owner and group like M(ansible.builtin.file). Secret values never appear in the module's
    output, its diff or its logs.
author:
  - versatile.jupyter contributors (@versatile)
options:
  layers:
    description:
      - The values layers, in order; a later layer wins.
      - Their content is not logged and never returned; errors name paths and layer names only.
    type: list
    elements: dict
    required: true
    suboptions:
      name:
        description:
          - Label of the layer in provenance and errors (for example the file it came from).
          - Defaults to I(path), or C(layers[N]).
        type: str
      values:
        description:
          - The layer's values, a mapping or a YAML string (YAML errors name the layer and line).
          - Exactly one of I(values) and I(path).
        type: raw
      path:
        description:
          - A YAML file on the host where the module runs.
        type: path
      secret:
        description:
          - Every value this layer sets is masked in the output, the diff and C(explain).
        type: bool
        default: false
  chart_dir:
    description:
      - An unpacked chart (as C(helm pull --untar) leaves it) with C(Chart.yaml), C(values.yaml),
        C(values.schema.json) (or C(values.schema.yaml)) and its subcharts under C(charts/).
    type: path
  chart_values:
    description: The chart's default values file (instead of I(chart_dir)).
    type: path
  chart_schema:
    description: The chart's values schema, JSON or YAML (instead of I(chart_dir)).
    type: path
  subchart_key:
    description:
      - The key of a subchart whose subtree must satisfy the subchart's schema too (C(jupyterhub) for
        BinderHub); C(hub.config) is then looked for under it.
    type: str
  subchart_dir:
    description: The subchart, unpacked (when it is not under I(chart_dir)/charts).
    type: path
  subchart_values:
    description: The subchart's default values file.
    type: path
  subchart_schema:
    description: The subchart's values schema, JSON or YAML.
    type: path
  traitlets:
    description:
      - C(auto) checks C(hub.config) where jupyterhub is importable by the module's Python and warns
        otherwise; C(always) fails when it is not; C(never) skips the check.
    type: str
    choices: [auto, always, never]
    default: auto
  dest:
    description:
      - The values file to write, for C(helm -f). It is deterministic YAML of the merged layers, nulls kept.
      - Without I(dest) the module only merges and validates.
    type: path
  mode:
    description:
      - File mode of I(dest), octal (C('0600')) or symbolic (C(u=rw,g=,o=)) as M(ansible.builtin.file) takes it.
      - The file holds the secrets of the secret layers; the default keeps it to its owner.
    type: raw
    default: '0600'
  explain:
    description:
      - Return C(explain), one line per value the layers set with the layer that set it (secrets masked).
    type: bool
    default: false
extends_documentation_fragment:
  - ansible.builtin.files
attributes:
  check_mode:
    support: full
    description: Nothing is written; C(changed) tells whether I(dest) (content, mode, owner) would change.
  diff_mode:
    support: full
    description: The diff of I(dest), with every secret value masked.
notes:
  - I(dest) holds the secrets of the secret layers. The new content is written to a private temporary file
    (mode C(0600)) and moved over I(dest) with Ansible's atomic move; an existing I(dest) gets the wanted
    mode and owner before the move, a new one is created private, so the content is never readable by
    more than I(mode) allows.
  - Chart C(import-values) are not supported (z2jh and BinderHub use none).
seealso:
  - name: Helm values files
    description: How Helm merges values files and chart defaults.
    link: https://helm.sh/docs/chart_template_guide/values_files/
'''

EXAMPLES = r'''
- name: Merge and validate the values of hub physics
  versatile.jupyter.hub_values:
    layers:
      - name: "defaults:jupyterhub"
        values: {hub: {db: {type: sqlite-pvc}}}
      - name: files/hubs/physics.values.yaml
        values: "{{ lookup('ansible.builtin.file', 'files/hubs/physics.values.yaml') }}"
      - name: "hubs[physics].values"
        values: {singleuser: {image: {name: quay.io/lab/physics, tag: "2026.11"}}}
      - name: secrets
        secret: true
        values:
          hub: {config: {GitHubOAuthenticator: {client_secret: "{{ vault_physics_secret }}"}}}
    chart_dir: /var/lib/versatile-jupyter/charts/jupyterhub-4.4.0
    dest: /etc/versatile-jupyter/hubs/physics.values.yaml

- name: A BinderHub, its jupyterhub subtree checked against the z2jh chart too
  versatile.jupyter.hub_values:
    layers:
      - name: files/hubs/binder.values.yaml
        path: /etc/versatile-jupyter/src/binder.values.yaml
    chart_values: /var/lib/versatile-jupyter/charts/binderhub/values.yaml
    chart_schema: /var/lib/versatile-jupyter/charts/binderhub/values.schema.json
    subchart_key: jupyterhub
    subchart_dir: /var/lib/versatile-jupyter/charts/jupyterhub-4.4.0
    dest: /etc/versatile-jupyter/hubs/binder.values.yaml
    explain: true
'''

RETURN = r'''
dest:
  description: The values file.
  returned: when I(dest) is given
  type: str
sha256:
  description: SHA-256 of the values file's content.
  returned: success
  type: str
explain:
  description: One line per value set by the layers, C(path = value  <- layer N name), secrets masked.
  returned: when I(explain=true)
  type: list
  elements: str
  sample: ['singleuser.image.tag = "2026.11"  <- layer 3 hubs[physics].values']
diff:
  description: Before and after texts of I(dest), secrets masked.
  returned: in diff mode, when I(dest) is given
  type: dict
'''

import os
import tempfile

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.versatile.jupyter.plugins.module_utils.hub_values import compare, plan
from ansible_collections.versatile.jupyter.plugins.module_utils.hub_values_merge import HubValuesError


def _masked_args(params):
    """The module's arguments as returned in ``invocation``: layer contents left out."""
    args = dict(params)
    args['layers'] = [
        {'name': layer.get('name'), 'path': layer.get('path'), 'secret': layer.get('secret'),
         'values': 'NOT_SHOWN' if layer.get('values') is not None else None}
        for layer in (params.get('layers') or []) if isinstance(layer, dict)
    ]
    return {'module_args': args}


def _reason(exc):
    """An exception's message with its cause (atomic_move raises ``Exception(...) from OSError``)."""
    cause = exc.__cause__
    if cause is not None and str(cause) not in str(exc):
        return '%s (%s)' % (exc, getattr(cause, 'strerror', None) or cause)
    return str(exc)


def write_dest(module, dest, content, content_changed):
    """Put ``content`` (bytes) into ``dest`` when it changed and give the file its mode and owner. Returns
    whether anything changed (or would, in check mode)."""
    file_args = module.load_file_common_arguments(module.params, path=dest)
    exists = os.path.exists(dest)
    if module.check_mode:
        return module.set_fs_attributes_if_different(file_args, content_changed) if exists else content_changed
    changed = content_changed
    # Mode and owner first: the move keeps an existing file's attributes, so new secrets never sit in a
    # file readable by more than `mode` allows.
    if exists:
        changed = module.set_fs_attributes_if_different(file_args, changed)
        if not content_changed:
            return changed
    if content_changed:
        tmp = None
        umask = os.umask(0o077)  # a new dest is created private, then given `mode`
        try:
            fd, tmp = tempfile.mkstemp(prefix='hub_values.', suffix='.yaml', dir=module.tmpdir)
            with os.fdopen(fd, 'wb') as handle:
                handle.write(content)
            module.atomic_move(tmp, dest, unsafe_writes=module.params['unsafe_writes'])
        except Exception as exc:  # pylint: disable=broad-except  # atomic_move raises Exception
            module.fail_json(msg='cannot write dest %s: %s' % (dest, _reason(exc)))
        finally:
            os.umask(umask)
            if tmp is not None and os.path.exists(tmp):
                os.unlink(tmp)
    return module.set_fs_attributes_if_different(file_args, changed)


def main():
    module = AnsibleModule(
        argument_spec=dict(
            # no_log: the layers are not logged to the host's journal. The module then replaces the
            # values Ansible would scrub from its output (every string of every layer) by the secret
            # ones only, so that paths and layer names in errors stay readable.
            layers=dict(type='list', elements='dict', required=True, no_log=True, options=dict(
                name=dict(type='str'),
                values=dict(type='raw'),
                path=dict(type='path'),
                secret=dict(type='bool', default=False),
            ), mutually_exclusive=[('values', 'path')], required_one_of=[('values', 'path')]),
            chart_dir=dict(type='path'),
            chart_values=dict(type='path'),
            chart_schema=dict(type='path'),
            subchart_key=dict(type='str', no_log=False),
            subchart_dir=dict(type='path'),
            subchart_values=dict(type='path'),
            subchart_schema=dict(type='path'),
            traitlets=dict(type='str', default='auto', choices=['auto', 'always', 'never']),
            dest=dict(type='path'),
            mode=dict(type='raw', default='0600'),
            explain=dict(type='bool', default=False),
        ),
        mutually_exclusive=[('chart_dir', 'chart_values'), ('chart_dir', 'chart_schema'),
                            ('subchart_dir', 'subchart_values'), ('subchart_dir', 'subchart_schema')],
        supports_check_mode=True,
        add_file_common_args=True,
    )
    invocation = _masked_args(module.params)
    every_layer_string = set(module.no_log_values)
    module.no_log_values.clear()
    try:
        planned = plan(module.params)
        module.no_log_values.update(value for value in planned['no_log_values'] if len(value) >= 3)
        result = compare(module.params, planned, module._diff, module.check_mode)
    except HubValuesError as exc:
        module.fail_json(msg=str(exc), invocation=invocation)
    except Exception as exc:  # pylint: disable=broad-except  # a bug: fail without echoing any layer value
        module.no_log_values.update(every_layer_string)
        module.fail_json(msg='hub_values failed unexpectedly (%s: %s); please report it'
                         % (type(exc).__name__, exc), invocation=invocation)
    if result.get('dest'):
        result['changed'] = write_dest(module, result['dest'], planned['content'].encode('utf-8'),
                                       result['changed'])
    for warning in planned['warnings']:
        module.warn(warning)
    module.exit_json(invocation=invocation, **result)


if __name__ == '__main__':
    main()
