# -*- coding: utf-8 -*-
# Copyright (c) versatile.jupyter contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Validating coalesced values against a chart's values schema (and nothing else).

Validation is JSON Schema draft 7 (the ``jsonschema`` package), as Helm does with the chart's
``values.schema.json`` after coalescing; every subchart's schema is applied to its own subtree.
Charts are loaded by hub_values_chart.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import difflib
import json
import re

from ansible_collections.versatile.jupyter.plugins.module_utils.hub_values_merge import (
    HubValuesError, dotted, type_name)

_JSONSCHEMA = {}


def _jsonschema():
    """The jsonschema package, or None when it is missing. Imported on first use: it takes seconds to
    import (its format checkers compile grammars), and a run without a chart schema never needs it."""
    if 'module' not in _JSONSCHEMA:
        try:
            import jsonschema  # pylint: disable=import-outside-toplevel
        except ImportError:
            jsonschema = None
        _JSONSCHEMA['module'] = jsonschema
    return _JSONSCHEMA['module']


# --------------------------------------------------------------------------------------------------
# Validation
# --------------------------------------------------------------------------------------------------

_VALIDATORS = {}
_FAST = {}


# --------------------------------------------------------------------------------------------------
# A fast yes/no pre-check. jsonschema (pure Python) takes tens of milliseconds on z2jh's 3000-line
# schema; most values are valid, so a closure-compiled check of the draft 7 keywords these charts use
# answers "valid" first, and jsonschema, the authority, only runs to explain what is wrong. A schema
# with any other keyword gets no pre-check. tests/unit/test_hub_values_schema.py checks that both agree.
# --------------------------------------------------------------------------------------------------

_ANNOTATIONS = frozenset(('description', 'default', 'title', '$schema', '$comment', 'examples', 'format',
                          'readOnly', 'writeOnly', '$id'))


class _Unsupported(Exception):
    pass


def _json_equal(one, two):
    """jsonschema's equality: booleans are not numbers, containers compare item by item."""
    if isinstance(one, bool) or isinstance(two, bool):
        return isinstance(one, bool) and isinstance(two, bool) and one == two
    if isinstance(one, dict) and isinstance(two, dict):
        return set(one) == set(two) and all(_json_equal(one[k], two[k]) for k in one)
    if isinstance(one, list) and isinstance(two, list):
        return len(one) == len(two) and all(_json_equal(a, b) for a, b in zip(one, two))
    if isinstance(one, (dict, list)) or isinstance(two, (dict, list)):
        return False
    if isinstance(one, str) != isinstance(two, str):
        return False
    return one == two


def _is_number(value):
    return isinstance(value, (int, float)) and not isinstance(value, bool)


_TYPE_CHECKS = {
    'null': lambda v: v is None,
    'boolean': lambda v: isinstance(v, bool),
    'integer': lambda v: (isinstance(v, int) and not isinstance(v, bool)) or (isinstance(v, float) and v.is_integer()),
    'number': _is_number,
    'string': lambda v: isinstance(v, str),
    'array': lambda v: isinstance(v, list),
    'object': lambda v: isinstance(v, dict),
}


def _draft7_keywords():
    jsonschema = _jsonschema()
    return frozenset(jsonschema.Draft7Validator.VALIDATORS) if jsonschema is not None else frozenset()


def _compile(schema):
    """A function instance -> bool for a (sub)schema, or raise _Unsupported."""
    if schema is True or schema == {}:
        return lambda _v: True
    if schema is False:
        return lambda _v: False
    if not isinstance(schema, dict):
        raise _Unsupported()
    checks = []
    for key, arg in schema.items():
        if key in _ANNOTATIONS or key in ('then', 'else', 'properties', 'patternProperties'):
            continue
        if key == 'type':
            names = arg if isinstance(arg, list) else [arg]
            if any(name not in _TYPE_CHECKS for name in names):
                raise _Unsupported()
            tests = [_TYPE_CHECKS[name] for name in names]
            checks.append(lambda v, tests=tests: any(test(v) for test in tests))
        elif key == 'additionalProperties':
            checks.append(_compile_object(schema))
        elif key == 'required':
            names = list(arg)
            checks.append(lambda v, names=names: not isinstance(v, dict) or all(n in v for n in names))
        elif key == 'enum':
            options = list(arg)
            checks.append(lambda v, options=options: any(_json_equal(o, v) for o in options))
        elif key == 'const':
            checks.append(lambda v, const=arg: _json_equal(const, v))
        elif key in ('minimum', 'maximum', 'exclusiveMinimum', 'exclusiveMaximum'):
            compare = {'minimum': lambda v, a: v >= a, 'maximum': lambda v, a: v <= a,
                       'exclusiveMinimum': lambda v, a: v > a, 'exclusiveMaximum': lambda v, a: v < a}[key]
            checks.append(lambda v, a=arg, compare=compare: not _is_number(v) or compare(v, a))
        elif key in ('minLength', 'maxLength'):
            low = key == 'minLength'
            checks.append(lambda v, a=arg, low=low: not isinstance(v, str) or (len(v) >= a if low else len(v) <= a))
        elif key in ('minItems', 'maxItems'):
            low = key == 'minItems'
            checks.append(lambda v, a=arg, low=low: not isinstance(v, list) or (len(v) >= a if low else len(v) <= a))
        elif key == 'pattern':
            rx = re.compile(arg)
            checks.append(lambda v, rx=rx: not isinstance(v, str) or rx.search(v) is not None)
        elif key == 'items':
            if not isinstance(arg, (dict, bool)):
                raise _Unsupported()
            item = _compile(arg)
            checks.append(lambda v, item=item: not isinstance(v, list) or all(item(x) for x in v))
        elif key in ('oneOf', 'anyOf', 'allOf'):
            subs = [_compile(sub) for sub in arg]
            if key == 'oneOf':
                checks.append(lambda v, subs=subs: sum(1 for sub in subs if sub(v)) == 1)
            elif key == 'anyOf':
                checks.append(lambda v, subs=subs: any(sub(v) for sub in subs))
            else:
                checks.append(lambda v, subs=subs: all(sub(v) for sub in subs))
        elif key == 'not':
            sub = _compile(arg)
            checks.append(lambda v, sub=sub: not sub(v))
        elif key == 'if':
            cond = _compile(arg)
            then = _compile(schema['then']) if 'then' in schema else None
            other = _compile(schema['else']) if 'else' in schema else None
            checks.append(lambda v, cond=cond, then=then, other=other:
                          (then is None or then(v)) if cond(v) else (other is None or other(v)))
        elif key in _draft7_keywords():
            raise _Unsupported()
        # any other key is not a draft 7 keyword: jsonschema ignores it too (BinderHub's `global: {}`)
    if ('properties' in schema or 'patternProperties' in schema) and 'additionalProperties' not in schema:
        checks.append(_compile_object(schema))
    if len(checks) == 1:
        return checks[0]
    return lambda v, checks=checks: all(check(v) for check in checks)


def _compile_object(schema):
    props = dict((name, _compile(sub)) for name, sub in (schema.get('properties') or {}).items())
    patterns = [(re.compile(rx), _compile(sub)) for rx, sub in (schema.get('patternProperties') or {}).items()]
    extra = schema.get('additionalProperties', True)
    extra_check = None if extra is True else _compile(extra)

    def check(value):
        if not isinstance(value, dict):
            return True
        for key, item in value.items():
            matched = False
            if key in props:
                matched = True
                if not props[key](item):
                    return False
            for rx, sub in patterns:
                if rx.search(key):
                    matched = True
                    if not sub(item):
                        return False
            if not matched and extra_check is not None and not extra_check(item):
                return False
        return True
    return check


def fast_check(schema):
    """The compiled pre-check of a schema (cached), or None when the schema uses other keywords."""
    key = id(schema)
    cached = _FAST.get(key)
    if cached is None or cached[0] is not schema:
        try:
            compiled = _compile(schema)
        except (_Unsupported, re.error, TypeError):
            compiled = None
        cached = (schema, compiled)
        _FAST[key] = cached
    return cached[1]


def validator_for(schema):
    """A compiled draft 7 validator, cached for the life of the process (keyed by the schema object,
    which load_schema_file caches by file)."""
    jsonschema = _jsonschema()
    if jsonschema is None:
        raise HubValuesError('the Python package jsonschema is required to validate values against a '
                             'chart schema (pip install jsonschema)')
    key = id(schema)
    cached = _VALIDATORS.get(key)
    if cached is None or cached[0] is not schema:
        try:
            jsonschema.Draft7Validator.check_schema(schema)
        except jsonschema.SchemaError as exc:
            raise HubValuesError('the chart schema is not a valid JSON Schema: %s' % exc.message)
        cached = (schema, jsonschema.Draft7Validator(schema))
        _VALIDATORS[key] = cached
    return cached[1]


def _suggest(word, choices):
    close = difflib.get_close_matches(word, sorted(choices), n=1, cutoff=0.6)
    return close[0] if close else None


def _schema_types(value):
    return ' or '.join(value) if isinstance(value, list) else str(value)


def _explain_error(error, path, is_secret):
    """Yield (path, message) for one jsonschema error; values at secret paths are never shown."""
    kind = error.validator
    instance = error.instance
    schema = error.schema if isinstance(error.schema, dict) else {}
    if kind == 'additionalProperties' and isinstance(instance, dict):
        allowed = set(schema.get('properties', {}))
        patterns = [re.compile(p) for p in schema.get('patternProperties', {})]
        for key in sorted(instance):
            if key in allowed or any(p.search(key) for p in patterns):
                continue
            hint = _suggest(key, allowed)
            message = 'unknown key, not allowed by the chart schema'
            if hint:
                message += ' (did you mean %s?)' % dotted(path + (hint,))
            yield path + (key,), message
        return
    if kind == 'required' and isinstance(instance, dict):
        for key in error.validator_value:
            if key not in instance:
                yield path + (key,), 'required key is missing'
        return
    if kind == 'type':
        yield path, 'expected %s, got %s' % (_schema_types(error.validator_value), type_name(instance))
        return
    if kind == 'enum':
        shown = '' if is_secret(path) else ', got %s' % json.dumps(instance, default=str)
        yield path, 'expected one of %s%s' % (json.dumps(error.validator_value, default=str), shown)
        return
    if kind == 'pattern':
        yield path, 'does not match the pattern %s' % error.validator_value
        return
    if kind in ('minimum', 'maximum', 'exclusiveMinimum', 'exclusiveMaximum', 'minLength', 'maxLength',
                'minItems', 'maxItems', 'minProperties', 'maxProperties', 'multipleOf', 'uniqueItems'):
        yield path, 'fails %s: %s' % (kind, json.dumps(error.validator_value))
        return
    if is_secret(path):
        yield path, 'fails the schema rule %r' % kind
        return
    yield path, error.message


def validate_tree(schema, values, base_path=(), is_secret=None):
    """Validate ``values`` against ``schema``; returns a sorted list of (path tuple, message)."""
    if is_secret is None:
        def is_secret(_path):
            return False
    out = []
    validator = validator_for(schema)
    fast = fast_check(schema)
    if fast is not None and fast(values):
        return out
    for error in validator.iter_errors(values):
        path = tuple(base_path) + tuple(error.absolute_path)
        for item in _explain_error(error, path, is_secret):
            out.append(item)
    return sorted(set(out), key=lambda item: (dotted(item[0]), item[1]))


def validate_chart(chart, values, is_secret=None):
    """Helm's ``ValidateAgainstSchema``: each chart's schema against its own part of the coalesced
    values (subcharts under their key). Returns (errors, checked) where errors are (path, message, chart
    name) and checked names the charts whose schema was applied."""
    errors = []
    checked = []
    _validate_chart(chart, values, (), is_secret, errors, checked)
    return errors, checked


def _validate_chart(chart, values, base, is_secret, errors, checked):
    if chart.schema is not None:
        checked.append(chart.name)
        for path, message in validate_tree(chart.schema, values, base, is_secret):
            errors.append((path, message, chart.name))
    for dep in chart.dependencies:
        sub = values.get(dep.name) if isinstance(values, dict) else None
        if isinstance(sub, dict):
            _validate_chart(dep, sub, base + (dep.name,), is_secret, errors, checked)
