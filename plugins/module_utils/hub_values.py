# -*- coding: utf-8 -*-
# Copyright (c) versatile.jupyter contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What the hub_values module does, as plain functions: read the layers, merge them like Helm, check
them against the chart's contract and the real JupyterHub classes, and decide what to write.

``plan(params)`` merges and checks; ``compare(params, planned)`` says whether ``dest`` must change and
builds the masked diff. Neither writes: the module writes ``dest`` with Ansible's atomic move and file
arguments.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import hashlib
import os
import re

from ansible_collections.versatile.jupyter.plugins.module_utils.hub_values_chart import (
    chart_from_files, load_chart_dir, render_values)
from ansible_collections.versatile.jupyter.plugins.module_utils.hub_values_merge import (
    HubValuesError, dotted, dump_yaml, layer_values, merge_layers, origin, parse_yaml)
from ansible_collections.versatile.jupyter.plugins.module_utils.hub_values_render import (
    explain_lines, mask, read_bytes, secret_predicate, secret_strings)
from ansible_collections.versatile.jupyter.plugins.module_utils.hub_values_schema import validate_chart
from ansible_collections.versatile.jupyter.plugins.module_utils import hub_values_traitlets

TRAITLETS_MODES = ('auto', 'always', 'never')


class Layer:
    """One values layer: its label (used in provenance), values and whether it is secret."""

    def __init__(self, label, values, secret=False):
        self.label = label
        self.values = values
        self.secret = secret


def read_layers(specs):
    """Layers from the module's ``layers`` option: each has ``values`` (a mapping or YAML text) or
    ``path`` (a YAML file), an optional ``name`` and ``secret``."""
    if not isinstance(specs, list) or not specs:
        raise HubValuesError('layers: expected a non-empty list of layers')
    layers = []
    for number, spec in enumerate(specs, 1):
        if not isinstance(spec, dict):
            raise HubValuesError('layers[%d]: expected a mapping with name and values (or path)' % (number - 1))
        path = spec.get('path')
        has_values = spec.get('values') is not None
        label = spec.get('name') or path or 'layers[%d]' % (number - 1)
        where = 'layer %d %s' % (number, label)
        if path and has_values:
            raise HubValuesError('%s: give either values or path, not both' % where)
        if path:
            try:
                with open(path, 'rb') as handle:
                    text = handle.read()
            except (IOError, OSError) as exc:
                raise HubValuesError('%s: cannot read %s: %s' % (where, path, exc.strerror or exc))
            values = layer_values(where, text=text)
        else:
            values = layer_values(where, values=spec.get('values'))
        layers.append(Layer(label, values, bool(spec.get('secret'))))
    return layers


def load_contract(params):
    """The chart (with its subchart) whose defaults and schema the values must satisfy, or None."""
    chart = None
    if params.get('chart_dir'):
        if params.get('chart_values') or params.get('chart_schema'):
            raise HubValuesError('give chart_dir, or chart_values/chart_schema, not both')
        chart = load_chart_dir(params['chart_dir'])
    elif params.get('chart_values') or params.get('chart_schema'):
        chart = chart_from_files('chart', params.get('chart_values'), params.get('chart_schema'))
    key = params.get('subchart_key')
    sub = None
    if params.get('subchart_dir'):
        sub = load_chart_dir(params['subchart_dir'])
    elif params.get('subchart_values') or params.get('subchart_schema'):
        sub = chart_from_files(key or 'subchart', params.get('subchart_values'), params.get('subchart_schema'))
    if sub is not None:
        if not key:
            raise HubValuesError('subchart_dir/subchart_values/subchart_schema need subchart_key (for BinderHub: '
                                 'jupyterhub)')
        sub.name = key
        if chart is None:
            raise HubValuesError('a subchart needs its parent chart: give chart_dir or chart_values/chart_schema')
        chart.dependencies = [dep for dep in chart.dependencies if dep.name != key] + [sub]
        if chart.requirements is None:
            chart.requirements = []
        if not any(req['name'] == key for req in chart.requirements):
            chart.requirements.append({'name': key, 'alias': None, 'condition': None, 'tags': []})
    elif key and chart is not None and not any(dep.name == key for dep in chart.dependencies):
        raise HubValuesError('subchart_key %s: the chart has no subchart of that name; give subchart_dir or '
                             'subchart_values/subchart_schema' % key)
    return chart


def _describe(path, layers, merged):
    """Where a path's value came from: ", set by layer N label", ", deleted by null in layer N label",
    ", under <ancestor> set by layer N label" or ", a chart default (no layer sets it)"."""
    values = [layer.values for layer in layers]
    probe = tuple(path)
    while probe:
        index = origin(values, probe)
        if index is not None:
            where = 'layer %d %s' % (index + 1, layers[index].label)
            if _is_null(merged, probe):
                return ', deleted by null in %s' % where
            if probe == tuple(path):
                return ', set by %s' % where
            return ', under %s set by %s' % (dotted(probe), where)
        probe = probe[:-1]
    return ', a chart default (no layer sets it)'


def _is_null(tree, path):
    node = tree
    for part in path[:-1]:
        if not isinstance(node, dict) or not isinstance(node.get(part), dict):
            return False
        node = node[part]
    return isinstance(node, dict) and path[-1] in node and node[path[-1]] is None


def _hub_config(values, key):
    node = values.get(key) if key else values
    hub = node.get('hub') if isinstance(node, dict) else None
    if not isinstance(hub, dict):
        return None, None
    return hub.get('config'), hub.get('extraConfig')


def plan(params):
    """Merge and check. Returns a dict with ``content`` (the YAML to write; it holds the secrets) and
    what the module reports. Raises HubValuesError with every problem found."""
    layers = read_layers(params.get('layers'))
    values = [layer.values for layer in layers]
    labels = [layer.label for layer in layers]
    merged = merge_layers(values)
    is_secret = secret_predicate(merged, values, [i for i, layer in enumerate(layers) if layer.secret])
    warnings = []
    problems = []

    chart = load_contract(params)
    key = params.get('subchart_key')
    checked = values_for_checks = merged
    if chart is not None:
        helm_warnings = []
        try:
            checked, processed = render_values(chart, merged, helm_warnings)
        except HubValuesError as exc:
            raise HubValuesError('the values do not fit the chart: %s' % exc)
        errors, schemas = validate_chart(processed, checked, is_secret)
        for path, message, _chart in errors:
            problems.append('%s: %s%s' % (dotted(path) or '(top level)', message, _describe(path, layers, merged)))
        if not schemas:
            warnings.append('the chart has no values schema: only merged, not validated')
        values_for_checks = checked

    mode = params.get('traitlets') or 'auto'
    if mode not in TRAITLETS_MODES:
        raise HubValuesError('traitlets: expected one of %s, got %s' % (', '.join(TRAITLETS_MODES), mode))
    config, extra = _hub_config(values_for_checks, key)
    if mode != 'never' and config is not None:
        registry = hub_values_traitlets.load_registry()
        if 'jupyterhub' in registry.missing:
            if mode == 'always':
                problems.append('traitlets: always, but jupyterhub cannot be imported by %s' % _python())
            else:
                warnings.append('hub.config not checked: jupyterhub cannot be imported here (traitlets: auto)')
        else:
            base = ((key,) if key else ()) + ('hub', 'config')
            errors, notes = hub_values_traitlets.check_hub_config(config, extra, registry, base)
            warnings.extend(notes)
            for path, message in errors:
                problems.append('%s: %s%s' % (dotted(path), message, _describe(path, layers, merged)))
    if problems:
        raise HubValuesError('the values of %d layer(s) (%s) are invalid:\n- %s'
                             % (len(layers), ', '.join(labels), '\n- '.join(problems)))

    content = dump_yaml(merged)
    result = {
        'content': content,
        'sha256': hashlib.sha256(content.encode('utf-8')).hexdigest(),
        'warnings': warnings,
        'merged': merged,
        'is_secret': is_secret,
        'no_log_values': secret_strings(merged, is_secret),
    }
    if params.get('explain'):
        result['explain'] = explain_lines(merged, values, labels, is_secret)
    return result


def _python():
    import sys
    return sys.executable


# Ansible's symbolic modes (as the file module takes them): clauses such as u=rw,g=r,o= or a-x.
_SYMBOLIC_MODE = re.compile(r'^[ugoa]*[-+=]([rwxXst]*|[ugo])$')


def check_mode_arg(mode):
    """Refuse a file mode that is neither octal (0600, 384) nor symbolic (u=rw,g=,o=), before anything is
    written (Ansible itself would only notice after the file has been replaced)."""
    if mode is None or isinstance(mode, int):
        return
    text = str(mode).strip()
    if re.match(r'^0?[0-7]{3,4}$', text):
        return
    if text and all(_SYMBOLIC_MODE.match(clause) for clause in text.split(',')):
        return
    raise HubValuesError('mode: expected an octal file mode such as 0600 (or a symbolic one such as u=rw,g=,o=), '
                         'got %s' % text)


def compare(params, planned, diff_mode=False, check_mode=False):
    """Whether ``dest``'s content must change, and the result to report (no secret in it: the diff is
    masked). Refuses a destination that cannot be a file before anything is written. In check mode a
    missing directory is not refused: the task that creates it did not run either, so the file is new.
    The file's mode and owner are compared by the module (Ansible's file arguments)."""
    dest = params.get('dest')
    result = {'changed': False, 'sha256': planned['sha256']}
    if planned.get('explain') is not None:
        result['explain'] = planned['explain']
    if not dest:
        return result
    check_mode_arg(params.get('mode'))
    directory = os.path.dirname(os.path.abspath(dest))
    if not os.path.exists(directory) and not check_mode:
        raise HubValuesError('dest %s: directory %s does not exist' % (dest, directory))
    if os.path.exists(directory) and not os.path.isdir(directory):
        raise HubValuesError('dest %s: %s is not a directory' % (dest, directory))
    if os.path.isdir(dest):
        raise HubValuesError('dest %s: is a directory; expected the path of the values file' % dest)
    result['dest'] = dest
    before = read_bytes(dest)
    result['changed'] = before != planned['content'].encode('utf-8')
    if diff_mode:
        result['diff'] = masked_diff(dest, before, planned)
    return result


def _has_path(tree, path):
    node = tree
    for part in path:
        if isinstance(node, dict) and part in node:
            node = node[part]
        elif isinstance(node, list) and isinstance(part, int) and part < len(node):
            node = node[part]
        else:
            return False
    return True


def masked_diff(dest, before, planned):
    """Ansible's diff (before/after texts) with every secret masked on both sides. In the current file,
    a value at a path the new values no longer have is masked too (it may have come from a secret
    layer); a secret that changes shows as '******** (changed)' on the after side only."""
    merged = planned['merged']
    is_secret = planned['is_secret']
    old = {}
    before_text = ''
    if before is not None and before.strip():
        try:
            old = parse_yaml(before.decode('utf-8', 'replace'), dest)
        except HubValuesError:
            old = None
        if isinstance(old, dict):
            def old_secret(path):
                return is_secret(path) or not _has_path(merged, path)
            before_text = dump_yaml(mask(old, old_secret))
        else:
            old = {}
            before_text = '(the current file is not a YAML mapping; not shown)\n'
    after_text = dump_yaml(mask(merged, is_secret, other=old))
    return {'before': before_text, 'after': after_text,
            'before_header': '%s (secrets masked)' % dest, 'after_header': '%s (secrets masked)' % dest}
