# -*- coding: utf-8 -*-
# Copyright (c) versatile.jupyter contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A Helm chart as hub_values needs it: the ``Chart`` type, loading chart folders and archives, and
coalescing values with the chart's defaults.

Mirrors Helm 3.17's pkg/chartutil/coalesce.go and pkg/chartutil/dependencies.go, re-implemented:

* ``coalesce``: the user's merged values against the chart's defaults (``CoalesceValues``): the user
  wins; a user ``null`` deletes the key where the chart has a default; a user scalar where the default is
  a map (or the reverse) keeps the user's value (Helm only prints a warning); subcharts get their own
  defaults and the parent's ``global`` map.
* ``render_values``: the full path of ``helm template``/``helm install``: dependency conditions and tags,
  the parent's defaults merged over the subcharts' defaults, then ``coalesce``.
* ``load_chart_dir``/``load_chart_archive``/``chart_from_files``: a chart's defaults, values schema and
  subcharts, read from an unpacked chart, a .tgz or two files.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os
import tarfile

from ansible_collections.versatile.jupyter.plugins.module_utils.hub_values_merge import (
    HubValuesError, copy_tree, layer_values, parse_yaml, type_name)


# --------------------------------------------------------------------------------------------------
# Coalescing with chart defaults (CoalesceValues / MergeValues)
# --------------------------------------------------------------------------------------------------

class Chart:
    """What coalescing needs from a chart: its name, default values, schema, subcharts and the
    dependency list of its Chart.yaml (name, alias, condition, tags)."""

    def __init__(self, name, values=None, schema=None, dependencies=None, requirements=None, source=None):
        self.name = name
        self.values = values or {}
        self.schema = schema
        self.dependencies = list(dependencies or [])
        self.requirements = requirements  # None when Chart.yaml has no `dependencies:` list
        self.source = source or name

    def copy(self):
        """A copy that coalescing may change (Helm changes the loaded chart in place). The values tree is
        shared: nothing here changes a chart's values in place, they are only replaced."""
        return Chart(self.name, self.values, self.schema,
                     [dep.copy() for dep in self.dependencies],
                     None if self.requirements is None else [dict(r) for r in self.requirements],
                     self.source)


def _coalesce_tables(dst, src, merge, warnings, prefix):
    """Helm's ``coalesceTablesFullKey``: ``dst`` (higher priority) is completed from ``src``."""
    if src is None:
        return dst
    if dst is None:
        return src
    for key, val in src.items():
        full = key if not prefix else prefix + '.' + key
        if key in dst and not merge and dst[key] is None:
            del dst[key]
        elif key not in dst:
            dst[key] = val
        elif isinstance(val, dict):
            if isinstance(dst[key], dict):
                _coalesce_tables(dst[key], val, merge, warnings, full)
            else:
                warnings.append('cannot overwrite table with non table for %s' % full)
        elif isinstance(dst[key], dict) and val is not None:
            warnings.append('destination for %s is a table; ignoring non-table chart default' % full)
    return dst


def _coalesce_globals(dest, src, merge, warnings, prefix):
    """Helm's ``coalesceGlobals``: the parent's ``global`` map is merged into the subchart's."""
    dg = dest.get('global', {}) if 'global' in dest else {}
    if not isinstance(dg, dict):
        warnings.append('skipping globals because destination global is not a table')
        return
    sg = src.get('global', {}) if 'global' in src else {}
    if not isinstance(sg, dict):
        warnings.append('skipping globals because source global is not a table')
        return
    for key, val in sg.items():
        if isinstance(val, dict):
            vv = dict(val)
            if key not in dg:
                dg[key] = vv
            elif not isinstance(dg[key], dict):
                warnings.append('cannot merge map onto non-map for global %s' % key)
            else:
                _coalesce_tables(vv, dg[key], True, warnings, prefix + '.' + key if prefix else key)
                dg[key] = vv
        elif key in dg and isinstance(dg[key], dict):
            warnings.append('global %s is a table; skipping' % key)
        else:
            dg[key] = val
    dest['global'] = dg


def _coalesce_values(chart, values, merge, warnings, prefix):
    """Helm's ``coalesceValues``: ``values`` (the user's) completed with the chart's defaults."""
    sub_prefix = chart.name if not prefix else prefix + '.' + chart.name
    subchart_names = set(dep.name for dep in chart.dependencies)
    for key, val in copy_tree(chart.values).items():
        if key in values:
            value = values[key]
            if value is None and not merge:
                del values[key]
            elif isinstance(value, dict):
                if isinstance(val, dict):
                    child_merge = True if key in subchart_names else merge
                    _coalesce_tables(value, val, child_merge, warnings, sub_prefix + '.' + key)
                elif val is not None:
                    warnings.append('skipped value for %s.%s: not a table' % (sub_prefix, key))
        else:
            values[key] = val


def _coalesce(chart, values, merge, warnings, prefix=''):
    _coalesce_values(chart, values, merge, warnings, prefix)
    for sub in chart.dependencies:
        if sub.name not in values:
            values[sub.name] = {}
        elif not isinstance(values[sub.name], dict):
            raise HubValuesError('type mismatch on %s: the key of subchart %s must be a mapping, got %s'
                                 % (sub.name, sub.name, type_name(values[sub.name])))
        sub_values = values[sub.name]
        sub_prefix = chart.name if not prefix else prefix + '.' + chart.name
        _coalesce_globals(sub_values, values, merge, warnings, sub_prefix)
        values[sub.name] = _coalesce(sub, sub_values, merge, warnings, sub_prefix)
    return values


def coalesce(chart, values, merge=False, warnings=None):
    """Helm's ``CoalesceValues`` (``merge=False``) or ``MergeValues`` (``merge=True``).

    Returns a new tree; ``values`` is not changed. ``warnings`` (a list) collects Helm's warnings.
    """
    if warnings is None:
        warnings = []
    return _coalesce(chart, copy_tree(values or {}), merge, warnings)


def _path_value(values, path):
    """Helm's ``Values.PathValue``: the non-table value at a dotted path, or raise KeyError."""
    parts = path.split('.')
    node = values
    for part in parts[:-1]:
        if not isinstance(node, dict) or not isinstance(node.get(part), dict):
            raise KeyError(path)
        node = node[part]
    if isinstance(node, dict) and parts[-1] in node and not isinstance(node[parts[-1]], dict):
        return node[parts[-1]]
    raise KeyError(path)


def _process_dependency_enabled(chart, values, path, warnings):
    """Helm's ``processDependencyEnabled``: drop subcharts turned off by their condition or tags."""
    if chart.requirements is None:
        return
    by_name = {}
    for dep in chart.dependencies:
        by_name[dep.name] = dep
    kept = []
    listed = set(req['name'] for req in chart.requirements)
    for dep in chart.dependencies:
        if dep.name not in listed:
            kept.append(dep)
    for req in chart.requirements:
        dep = by_name.get(req['name'])
        if dep is not None:
            if req.get('alias'):
                dep = dep.copy()
                dep.name = req['alias']
            kept.append(dep)
        if req.get('alias'):
            req['name'] = req['alias']
    chart.dependencies = kept
    cvals = coalesce(chart, values, False, warnings)
    tags = cvals.get('tags')
    enabled = {}
    for req in chart.requirements:
        on = True
        if isinstance(tags, dict):
            has_true = has_false = False
            for tag in req.get('tags') or []:
                if isinstance(tags.get(tag), bool):
                    has_true = has_true or tags[tag]
                    has_false = has_false or not tags[tag]
            on = has_true or not has_false
        for cond in (req.get('condition') or '').strip().split(','):
            cond = cond.strip()
            if not cond:
                continue
            try:
                found = _path_value(cvals, path + cond)
            except KeyError:
                continue
            if isinstance(found, bool):
                on = found
                break
            warnings.append("condition path '%s' for chart %s returned a non-bool value" % (cond, req['name']))
        enabled[req['name']] = on
    chart.dependencies = [dep for dep in chart.dependencies if enabled.get(dep.name, True)]
    chart.requirements = [req for req in chart.requirements if enabled.get(req['name'], True)]
    for dep in chart.dependencies:
        _process_dependency_enabled(dep, cvals, path + dep.name + '.', warnings)


def _process_import_values(chart, warnings):
    """Helm's ``processDependencyImportValues`` with merge (import-values themselves are not supported:
    the parent's defaults are merged over its subcharts' defaults, nulls kept)."""
    for dep in chart.dependencies:
        _process_import_values(dep, warnings)
    if chart.requirements is not None:
        chart.values = coalesce(chart, {}, True, warnings)


def render_values(chart, values, warnings=None):
    """The values a chart's templates see under ``helm template -f ...``: returns (values, chart) where
    chart is the processed copy (disabled subcharts removed)."""
    if warnings is None:
        warnings = []
    chart = chart.copy()
    _process_dependency_enabled(chart, values, '', warnings)
    _process_import_values(chart, warnings)
    return coalesce(chart, values, False, warnings), chart


# --------------------------------------------------------------------------------------------------
# Loading a chart's defaults and schema
# --------------------------------------------------------------------------------------------------

_FILE_CACHE = {}


def _read(path, what):
    try:
        with open(path, 'rb') as handle:
            return handle.read()
    except (IOError, OSError) as exc:
        raise HubValuesError('cannot read %s %s: %s' % (what, path, exc.strerror or exc))


def parse_schema_text(text, label):
    """A schema from JSON or YAML text (z2jh keeps its source schema as YAML)."""
    if isinstance(text, bytes):
        text = text.decode('utf-8')
    try:
        schema = json.loads(text)
    except ValueError:
        schema = parse_yaml(text, label)
    if not isinstance(schema, dict):
        raise HubValuesError('%s: a values schema must be a JSON/YAML object, got %s' % (label, type_name(schema)))
    return schema


def load_values_file(path):
    """A chart's default values file (cached by path, size and mtime)."""
    return _cached(path, 'values', lambda: layer_values(path, text=_read(path, 'chart values file')))


def load_schema_file(path):
    """A chart's values schema file, JSON or YAML (cached by path, size and mtime)."""
    return _cached(path, 'schema', lambda: parse_schema_text(_read(path, 'chart schema file'), path))


def _cached(path, kind, loader):
    try:
        st = os.stat(path)
    except OSError as exc:
        raise HubValuesError('cannot read %s file %s: %s' % (kind, path, exc.strerror))
    key = (kind, os.path.abspath(path), st.st_size, st.st_mtime_ns)
    if key not in _FILE_CACHE:
        _FILE_CACHE[key] = loader()
    return _FILE_CACHE[key]


def _chart_meta(text, label):
    meta = parse_yaml(text, label) or {}
    if not isinstance(meta, dict) or not meta.get('name'):
        raise HubValuesError('%s: not a Helm Chart.yaml (no name)' % label)
    reqs = meta.get('dependencies')
    if reqs is not None:
        if not isinstance(reqs, list):
            raise HubValuesError('%s: dependencies must be a list' % label)
        reqs = [{'name': r.get('name'), 'alias': r.get('alias'), 'condition': r.get('condition'),
                 'tags': r.get('tags') or []} for r in reqs if isinstance(r, dict)]
    return str(meta['name']), reqs


def load_chart_dir(path):
    """An unpacked chart (as ``helm pull --untar`` leaves it): Chart.yaml, values.yaml,
    values.schema.json (or values.schema.yaml), and subcharts under charts/ (directories or .tgz)."""
    if not os.path.isdir(path):
        raise HubValuesError('chart_dir %s: not a directory (expected an unpacked chart, as helm pull --untar '
                             'leaves it)' % path)
    chart_yaml = os.path.join(path, 'Chart.yaml')
    if not os.path.isfile(chart_yaml):
        raise HubValuesError('chart_dir %s: no Chart.yaml' % path)
    name, reqs = _chart_meta(_read(chart_yaml, 'Chart.yaml'), chart_yaml)
    values_path = os.path.join(path, 'values.yaml')
    values = load_values_file(values_path) if os.path.isfile(values_path) else {}
    schema = None
    for candidate in ('values.schema.json', 'values.schema.yaml'):
        schema_path = os.path.join(path, candidate)
        if os.path.isfile(schema_path):
            schema = load_schema_file(schema_path)
            break
    deps = []
    charts = os.path.join(path, 'charts')
    if os.path.isdir(charts):
        for entry in sorted(os.listdir(charts)):
            full = os.path.join(charts, entry)
            if os.path.isdir(full) and os.path.isfile(os.path.join(full, 'Chart.yaml')):
                deps.append(load_chart_dir(full))
            elif entry.endswith('.tgz') and os.path.isfile(full):
                deps.append(load_chart_archive(full))
    return Chart(name, values, schema, deps, reqs, source=path)


def load_chart_archive(path):
    """A packaged chart (.tgz) with its Chart.yaml, values.yaml and values.schema.json."""
    try:
        with tarfile.open(path, 'r:gz') as tar:
            files = {}
            for member in tar.getmembers():
                parts = member.name.split('/')
                if member.isfile() and len(parts) == 2:
                    files[parts[1]] = tar.extractfile(member).read()
    except (tarfile.TarError, IOError, OSError) as exc:
        raise HubValuesError('cannot read chart archive %s: %s' % (path, exc))
    if 'Chart.yaml' not in files:
        raise HubValuesError('chart archive %s: no Chart.yaml' % path)
    name, reqs = _chart_meta(files['Chart.yaml'], path + ':Chart.yaml')
    values = layer_values(path + ':values.yaml', text=files['values.yaml']) if 'values.yaml' in files else {}
    schema = None
    if 'values.schema.json' in files:
        schema = parse_schema_text(files['values.schema.json'], path + ':values.schema.json')
    return Chart(name, values, schema, [], reqs, source=path)


def chart_from_files(name, values_path=None, schema_path=None, dependencies=None):
    """A chart described by a defaults file and a schema file (both optional)."""
    values = load_values_file(values_path) if values_path else {}
    schema = load_schema_file(schema_path) if schema_path else None
    deps = list(dependencies or [])
    reqs = [{'name': dep.name, 'alias': None, 'condition': None, 'tags': []} for dep in deps] or None
    return Chart(name, values, schema, deps, reqs, source=values_path or schema_path or name)
