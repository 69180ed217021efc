# -*- coding: utf-8 -*-
# Copyright (c) versatile.jupyter contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Helm-compatible handling of values layers: parsing, merging, coalescing, provenance.

Everything here mirrors what Helm 3.17 does (read from helm's pkg/cli/values/options.go `mergeMaps`,
pkg/chartutil/coalesce.go and pkg/chartutil/dependencies.go), re-implemented as plain functions:

* ``merge_layers``: ``helm -f a -f b``. Maps merge key by key, anything else (lists, scalars, null) in a
  later layer replaces what was there, and a ``null`` is *kept* so that the chart default is deleted later.
* ``coalesce``: the user's merged values against the chart's defaults (``CoalesceValues``): the user
  wins; a user ``null`` deletes the key where the chart has a default; a user scalar where the default is
  a map (or the reverse) keeps the user's value (Helm only prints a warning); subcharts get their own
  defaults and the parent's ``global`` map.
* ``render_values``: the full path of ``helm template``/``helm install``: dependency conditions and tags,
  the parent's defaults merged over the subcharts' defaults, then ``coalesce``.
* ``origin``: which layer set a path (the last layer that holds the path through maps).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

try:
    import yaml
    HAS_YAML = True
except ImportError:  # pragma: no cover - ansible-core depends on PyYAML
    HAS_YAML = False


class HubValuesError(Exception):
    """A user-facing error: the message names the layer/file/path and what was expected."""


# --------------------------------------------------------------------------------------------------
# YAML parsing as Helm sees it (sigs.k8s.io/yaml on top of go-yaml v2)
# --------------------------------------------------------------------------------------------------

# go-yaml v2 (under Helm's sigs.k8s.io/yaml) resolves plain scalars with its own table, not YAML 1.1's:
# y/Y/n/N are booleans, there are no base-60 numbers, numbers go through Go's strconv (0o17, 0x1F, 08),
# and timestamps stay strings. go_scalar() re-implements that table (yaml.v2 resolve.go).
_GO_MAP = {}
for _word in ('y', 'Y', 'yes', 'Yes', 'YES', 'on', 'On', 'ON', 'true', 'True', 'TRUE'):
    _GO_MAP[_word] = True
for _word in ('n', 'N', 'no', 'No', 'NO', 'off', 'Off', 'OFF', 'false', 'False', 'FALSE'):
    _GO_MAP[_word] = False
for _word in ('', '~', 'null', 'Null', 'NULL'):
    _GO_MAP[_word] = None
for _word in ('.nan', '.NaN', '.NAN'):
    _GO_MAP[_word] = float('nan')
for _word in ('.inf', '.Inf', '.INF', '+.inf', '+.Inf', '+.INF'):
    _GO_MAP[_word] = float('inf')
for _word in ('-.inf', '-.Inf', '-.INF'):
    _GO_MAP[_word] = float('-inf')
_GO_FLOAT = re.compile(r'^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$')
_GO_DOT_FLOAT = re.compile(r'^\.[0-9]+([eE][-+]?[0-9]+)?$')
_DIGITS = {2: '01', 8: '01234567', 10: '0123456789', 16: '0123456789abcdefABCDEF'}
_NOT_SPECIAL = object()


def _go_parse_int(text):
    """strconv.ParseInt(text, 0, 64), then ParseUint: the int or None."""
    body = text
    sign = 1
    if body[:1] in ('+', '-'):
        sign = -1 if body[0] == '-' else 1
        body = body[1:]
    low = body.lower()
    if low.startswith(('0x', '0o', '0b')):
        base, digits = {'x': 16, 'o': 8, 'b': 2}[low[1]], body[2:]
    elif body.startswith('0') and len(body) > 1:
        base, digits = 8, body[1:]
    else:
        base, digits = 10, body
    if not digits or any(ch not in _DIGITS[base] for ch in digits):
        return None
    value = sign * int(digits, base)
    if -2 ** 63 <= value <= 2 ** 63 - 1:
        return value
    if text[:1] not in ('+', '-') and value <= 2 ** 64 - 1:
        return value
    return None


def go_scalar(text):
    """The value go-yaml v2 gives a plain (unquoted) scalar, or _NOT_SPECIAL for a string."""
    if text in _GO_MAP:
        return _GO_MAP[text]
    first = text[0]
    if first == '.':
        if _GO_DOT_FLOAT.match(text):
            return float(text)
    elif first in '0123456789+-':
        plain = text.replace('_', '')
        value = _go_parse_int(plain) if plain else None
        if value is not None:
            return value
        if _GO_FLOAT.match(plain):
            return float(plain)
    return _NOT_SPECIAL


if HAS_YAML:
    _GO_TAG = 'tag:versatile.jupyter,2026:go-scalar'

    def _loader_class(base):
        class _HelmLikeLoader(base):  # pylint: disable=too-many-ancestors
            """A SafeLoader that reads plain scalars the way Helm's YAML library does (see go_scalar);
            mapping keys become strings, as in the JSON that Helm works on."""

            def resolve(self, kind, value, implicit):
                if kind is yaml.ScalarNode and implicit[0]:
                    if value == '<<':
                        return 'tag:yaml.org,2002:merge'
                    if go_scalar(value) is _NOT_SPECIAL:
                        return 'tag:yaml.org,2002:str'
                    return _GO_TAG
                return base.resolve(self, kind, value, implicit)
        return _HelmLikeLoader

    # libyaml's parser when PyYAML has it (about ten times faster); the pure-Python one to explain an
    # error (its marks point at the offending line and column more precisely).
    _PyLoader = _loader_class(yaml.SafeLoader)
    _HelmLikeLoader = _loader_class(getattr(yaml, 'CSafeLoader', yaml.SafeLoader))

    def _construct_go_scalar(loader, node):
        return go_scalar(loader.construct_scalar(node))

    def _construct_mapping(loader, node):
        loader.flatten_mapping(node)
        out = {}
        for key_node, value_node in node.value:
            key = loader.construct_object(key_node, deep=True)
            out[_key_string(key)] = loader.construct_object(value_node, deep=True)
        return out

    for _cls in (_PyLoader, _HelmLikeLoader):
        _cls.add_constructor(_GO_TAG, _construct_go_scalar)
        _cls.add_constructor('tag:yaml.org,2002:map', _construct_mapping)


def _key_string(key):
    """A mapping key as it ends up in Helm's values (always a string)."""
    if isinstance(key, bool):
        return 'true' if key else 'false'
    if key is None:
        return 'null'
    if isinstance(key, str):
        return key
    return str(key)


def parse_yaml(text, label):
    """Parse one layer's YAML text; errors name ``label`` and the line."""
    if not HAS_YAML:  # pragma: no cover
        raise HubValuesError('PyYAML is required to read values layers')
    try:
        return yaml.load(text, Loader=_HelmLikeLoader)  # nosec B506 - a SafeLoader subclass
    except yaml.YAMLError:
        pass
    try:
        return yaml.load(text, Loader=_PyLoader)  # nosec B506 - a SafeLoader subclass
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = ' at line %d, column %d' % (mark.line + 1, mark.column + 1) if mark else ''
        problem = exc.problem or exc.context or 'invalid YAML'
        raise HubValuesError('%s: YAML error%s: %s' % (label, where, problem))
    except yaml.YAMLError as exc:
        raise HubValuesError('%s: YAML error: %s' % (label, exc))


def normalize(value):
    """Turn a value given by Ansible (or parsed) into plain JSON-like data: dict keys as strings,
    tuples as lists. Returns a new tree."""
    if isinstance(value, dict):
        return {_key_string(k): normalize(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [normalize(v) for v in value]
    return value


def layer_values(label, values=None, text=None):
    """The mapping of one layer. ``values`` is a mapping or a YAML string; ``text`` is file content.

    A layer whose top level is not a mapping is refused; an empty layer is an empty mapping (as Helm).
    """
    if text is None and isinstance(values, (str, bytes)):
        text = values
    if text is not None:
        if isinstance(text, bytes):
            try:
                text = text.decode('utf-8')
            except UnicodeDecodeError:
                raise HubValuesError('%s: not UTF-8 text' % label)
        values = parse_yaml(text, label)
    if values is None:
        return {}
    if not isinstance(values, dict):
        raise HubValuesError('%s: expected a mapping (YAML dictionary) at the top level, got %s'
                             % (label, type_name(values)))
    return normalize(values)


def type_name(value):
    """JSON-schema style name of a value's type."""
    if value is None:
        return 'null'
    if isinstance(value, bool):
        return 'boolean'
    if isinstance(value, int):
        return 'integer'
    if isinstance(value, float):
        return 'number'
    if isinstance(value, str):
        return 'string'
    if isinstance(value, dict):
        return 'mapping'
    if isinstance(value, (list, tuple)):
        return 'list'
    return type(value).__name__


# --------------------------------------------------------------------------------------------------
# helm -f a -f b
# --------------------------------------------------------------------------------------------------

def copy_tree(value):
    """Deep copy of JSON-like data (much faster than copy.deepcopy)."""
    if isinstance(value, dict):
        return {k: copy_tree(v) for k, v in value.items()}
    if isinstance(value, list):
        return [copy_tree(v) for v in value]
    return value


def merge_maps(base, over):
    """Helm's ``mergeMaps``: a new map with ``over`` merged onto ``base`` (inputs are not changed)."""
    out = dict(base)
    for key, value in over.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = merge_maps(out[key], value)
        else:
            out[key] = value
    return out


def merge_layers(layers):
    """Merge a list of mappings in order, later wins, exactly like ``helm -f l1 -f l2 ...``."""
    merged = {}
    for layer in layers:
        merged = merge_maps(merged, layer)
    return copy_tree(merged)


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
# Provenance and paths
# --------------------------------------------------------------------------------------------------

_PLAIN_KEY = re.compile(r'^[A-Za-z0-9_\-/]+$')


def dotted(path):
    """``('hub', 'config', 'A.B', 0)`` -> ``hub.config["A.B"][0]``."""
    out = ''
    for part in path:
        if isinstance(part, int):
            out += '[%d]' % part
        elif _PLAIN_KEY.match(part):
            out += ('.' if out else '') + part
        else:
            out += '["%s"]' % part.replace('"', '\\"')
    return out


def _holds(layer, path):
    node = layer
    for part in path:
        if isinstance(part, int):
            return True  # lists are replaced whole: the layer that set the list set its items
        if not isinstance(node, dict) or part not in node:
            return False
        node = node[part]
    return True


def origin(layers, path):
    """Index of the layer that set ``path`` in the merged values (the last layer holding the path
    through maps), or None when no layer holds it (then it comes from the chart's defaults)."""
    for index in range(len(layers) - 1, -1, -1):
        if _holds(layers[index], path):
            return index
    return None


def iter_leaves(value, path=()):
    """Yield (path, value) for every leaf (scalar, list, null, empty map) of a tree."""
    if isinstance(value, dict) and value:
        for key in sorted(value):
            yield from iter_leaves(value[key], path + (key,))
    else:
        yield path, value
