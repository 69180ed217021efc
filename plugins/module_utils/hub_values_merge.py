# -*- coding: utf-8 -*-
# Copyright (c) versatile.jupyter contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Values as Helm reads and merges them: the YAML dialect, ``helm -f`` merging and provenance.

Everything here mirrors what Helm 3.17 does (read from helm's pkg/cli/values/options.go `mergeMaps`,
go-yaml v2's resolve.go and sigs.k8s.io/yaml's YAML-to-JSON conversion), re-implemented as plain functions:

* ``parse_yaml``/``layer_values``: a layer's YAML read the way Helm's go-yaml reads it (``go_scalar``),
  its mapping keys turned into the strings Helm's JSON conversion makes of them; ``dump_yaml`` writes
  values back so that Helm reads exactly them again.
* ``merge_layers``: ``helm -f a -f b``. Maps merge key by key, anything else (lists, scalars, null) in a
  later layer replaces what was there, and a ``null`` is *kept* so that the chart default is deleted later.
* ``origin``: which layer set a path (the last layer that holds the path through maps).

Coalescing with a chart's defaults lives in hub_values_chart, validation in hub_values_schema.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import math
import re
import struct

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
            return _go_float(text)
    elif first in '0123456789+-':
        plain = text.replace('_', '')
        value = _go_parse_int(plain) if plain else None
        if value is not None:
            return value
        if _GO_FLOAT.match(plain):
            return _go_float(plain)
    return _NOT_SPECIAL


def _go_float(text):
    """strconv.ParseFloat(text, 64) as go-yaml v2 uses it: a number beyond float64 (``1e400``) is a range
    error, and go-yaml then keeps the scalar as a string."""
    value = float(text)
    return _NOT_SPECIAL if math.isinf(value) else value


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
            if not isinstance(key_node, yaml.ScalarNode):
                raise yaml.constructor.ConstructorError(
                    None, None, 'helm refuses a %s as a mapping key (keys must be strings, numbers or booleans)'
                    % ('sequence' if isinstance(key_node, yaml.SequenceNode) else 'mapping'), key_node.start_mark)
            key = loader.construct_object(key_node, deep=True)
            try:
                out[helm_key(key)] = loader.construct_object(value_node, deep=True)
            except ValueError as exc:
                raise yaml.constructor.ConstructorError(None, None, str(exc), key_node.start_mark)
        return out

    for _cls in (_PyLoader, _HelmLikeLoader):
        _cls.add_constructor(_GO_TAG, _construct_go_scalar)
        _cls.add_constructor('tag:yaml.org,2002:map', _construct_mapping)


def helm_key(key):
    """A mapping key as it ends up in Helm's values (sigs.k8s.io/yaml turns every key into a string):
    ``true``, ``16`` for ``0x10``, and a float in Go's shortest 32-bit form (``1.0`` -> ``1``, ``1e3`` ->
    ``1000``, ``1e7`` -> ``1e+07``). Raises ValueError for the keys Helm refuses: null, integers beyond int64,
    sequences and mappings."""
    if isinstance(key, bool):
        return 'true' if key else 'false'
    if isinstance(key, str):
        return key
    if key is None:
        raise ValueError('helm refuses a null mapping key (~ or null); quote it to mean the string')
    if isinstance(key, int):
        if -2 ** 63 <= key <= 2 ** 63 - 1:
            return str(key)
        raise ValueError('helm refuses the mapping key %d: an integer beyond int64' % key)
    if isinstance(key, float):
        return go_float32_text(key)
    if isinstance(key, (list, tuple, dict)):
        raise ValueError('helm refuses a %s as a mapping key (keys must be strings, numbers or booleans)'
                         % ('mapping' if isinstance(key, dict) else 'sequence'))
    return str(key)


def _float32(value):
    """Go's float32(value): rounded to single precision, infinite beyond its range."""
    try:
        return struct.unpack('<f', struct.pack('<f', value))[0]
    except OverflowError:
        return math.copysign(math.inf, value)


def go_float32_text(value):
    """Go's strconv.FormatFloat(value, 'g', -1, 32), with sigs.k8s.io/yaml's names for the infinities
    and NaN: how Helm writes a float mapping key."""
    if math.isnan(value):
        return '.nan'
    single = _float32(value)
    if math.isinf(single):
        return '.inf' if single > 0 else '-.inf'
    sign = '-' if math.copysign(1.0, single) < 0 else ''
    single = abs(single)
    if single == 0:
        return sign + '0'
    for precision in range(1, 10):  # the fewest digits that read back as the same float32
        text = '%.*e' % (precision - 1, single)
        if _float32(float(text)) == single:
            break
    mantissa, exponent = text.split('e')
    digits = mantissa.replace('.', '').rstrip('0') or '0'
    exponent = int(exponent)
    if exponent < -4 or exponent >= 6:  # %e, as 'g' does with the shortest precision
        text = digits[0] + ('.' + digits[1:] if len(digits) > 1 else '')
        return '%s%se%s%02d' % (sign, text, '-' if exponent < 0 else '+', abs(exponent))
    if exponent >= 0:
        whole, fraction = digits[:exponent + 1].ljust(exponent + 1, '0'), digits[exponent + 1:]
    else:
        whole, fraction = '0', '0' * (-exponent - 1) + digits
    return sign + whole + ('.' + fraction if fraction else '')


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


def normalize(value, path=()):
    """Turn a value given by Ansible (or parsed) into plain JSON-like data: dict keys as the strings Helm
    makes of them (``helm_key``), tuples as lists. Returns a new tree; a key Helm refuses raises
    ValueError naming its path."""
    if isinstance(value, dict):
        out = {}
        for key, item in value.items():
            try:
                name = helm_key(key)
            except ValueError as exc:
                raise ValueError('%s: %s' % (dotted(path) or '(top level)', exc))
            out[name] = normalize(item, path + (name,))
        return out
    if isinstance(value, (list, tuple)):
        return [normalize(item, path + (index,)) for index, item in enumerate(value)]
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
    try:
        return normalize(values)
    except ValueError as exc:
        raise HubValuesError('%s: %s' % (label, exc))


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
# YAML output
# --------------------------------------------------------------------------------------------------

if HAS_YAML:
    class _Dumper(getattr(yaml, 'CSafeDumper', yaml.SafeDumper)):  # pylint: disable=too-many-ancestors
        """SafeDumper that quotes every string Helm's YAML library would read as something else."""

    # Line breaks other than \n and non-printable characters: always double-quoted with escapes.
    _SPECIAL_CHARS = re.compile(u'[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\ufeff]')

    def _represent_str(dumper, data):
        style = None
        if _SPECIAL_CHARS.search(data):
            style = '"'
        elif data == '<<' or (data and go_scalar(data) is not _NOT_SPECIAL):
            style = "'"
        elif '\n' in data and not re.search(r'[ \t]\n|[ \t]$|^\s', data):
            style = '|'
        return dumper.represent_scalar('tag:yaml.org,2002:str', data, style=style)

    _Dumper.add_representer(str, _represent_str)


def dump_yaml(values):
    """Deterministic YAML (sorted keys, block style, multi-line strings as literal blocks)."""
    if not HAS_YAML:  # pragma: no cover
        raise HubValuesError('PyYAML is required to write values')
    if not values:
        return '{}\n'
    return yaml.dump(values, Dumper=_Dumper, sort_keys=True, default_flow_style=False, allow_unicode=True,
                     width=10000)


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
