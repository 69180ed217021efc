"""Unit tests: validation against the real z2jh 4.4.0 and BinderHub chart contracts (../shared/upstream)."""
import os

import pytest

from ansible_collections.versatile.jupyter.plugins.module_utils.hub_values import plan
from ansible_collections.versatile.jupyter.plugins.module_utils.hub_values_merge import HubValuesError
from ansible_collections.versatile.jupyter.plugins.module_utils.hub_values_schema import validate_tree

from upstream_contracts import Z2JH_VALUES, Z2JH_SCHEMA, BINDER_VALUES, BINDER_SCHEMA, needs_upstream


def z2jh(*layers, **extra):
    params = dict(layers=[{'name': name, 'values': values} for name, values in layers],
                  chart_values=Z2JH_VALUES, chart_schema=Z2JH_SCHEMA, traitlets='never')
    params.update(extra)
    return params


def binderhub(*layers, **extra):
    params = z2jh(*layers, **extra)
    params.update(chart_values=BINDER_VALUES, chart_schema=BINDER_SCHEMA, subchart_key='jupyterhub',
                  subchart_values=Z2JH_VALUES, subchart_schema=Z2JH_SCHEMA)
    return params


def errors_of(params):
    with pytest.raises(HubValuesError) as info:
        plan(params)
    return str(info.value)


@needs_upstream
def test_realistic_z2jh_values_pass():
    result = plan(z2jh(('defaults', {'hub': {'db': {'type': 'sqlite-pvc'}}, 'proxy': {'service': {'type': 'ClusterIP'}}}),
                       ('hub file', {'singleuser': {'image': {'name': 'quay.io/lab/physics', 'tag': '2026.11'},
                                                    'defaultUrl': '/lab', 'storage': {'type': 'dynamic'}},
                                     'ingress': {'enabled': True, 'hosts': ['physics.hub.example.org']}})))
    assert result['warnings'] == []


@needs_upstream
def test_type_error_names_path_and_layer():
    message = errors_of(z2jh(('defaults', {}), ('files/hubs/physics.values.yaml', {'singleuser': {'image': {'tag': 2026}}})))
    assert ('singleuser.image.tag: expected string, got integer, set by layer 2 files/hubs/physics.values.yaml'
            in message)


@needs_upstream
def test_unknown_key_gets_did_you_mean():
    message = errors_of(z2jh(('hub values', {'singleuser': {'defaultUrll': '/lab'}})))
    assert 'singleuser.defaultUrll: unknown key' in message
    assert 'did you mean singleuser.defaultUrl?' in message and 'set by layer 1 hub values' in message


@needs_upstream
def test_every_error_is_reported_not_only_the_first():
    message = errors_of(z2jh(('a', {'cull': {'timeout': 'soon'}}), ('b', {'proxy': {'https': {'enabled': 'yes'}}})))
    assert 'cull.timeout' in message and 'layer 1 a' in message
    assert 'proxy.https.enabled' in message and 'layer 2 b' in message


@needs_upstream
def test_null_that_deletes_a_required_default_is_blamed():
    message = errors_of(z2jh(('defaults', {}), ('oops', {'singleuser': None})))
    assert 'singleuser: required key is missing, deleted by null in layer 2 oops' in message


@needs_upstream
def test_binderhub_defaults_pass_both_schemas():
    assert plan(binderhub(('empty', {})))['warnings'] == []


@needs_upstream
def test_binderhub_jupyterhub_subtree_is_checked_against_z2jh():
    message = errors_of(binderhub(('binder.yaml', {'jupyterhub': {'hub': {'baseUrl': 5}}})))
    assert 'jupyterhub.hub.baseUrl: expected string, got integer, set by layer 1 binder.yaml' in message


@needs_upstream
def test_binderhub_own_schema_is_checked():
    message = errors_of(binderhub(('binder.yaml', {'imageBuilderType': 'docker-in-docker'})))
    assert 'imageBuilderType' in message and 'layer 1 binder.yaml' in message


def test_secret_values_are_not_echoed_in_schema_messages():
    schema = {'type': 'object', 'properties': {'password': {'enum': ['a', 'b']}, 'n': {'const': 3}}}
    out = validate_tree(schema, {'password': 'hunter2', 'n': 'hunter2'},
                        is_secret=lambda path: path[-1:] in (('password',), ('n',)))
    assert out and all('hunter2' not in message for _path, message in out)


def test_bad_chart_inputs_fail_clearly(tmp_path):
    with pytest.raises(HubValuesError, match='chart_dir .*: not a directory'):
        plan({'layers': [{'name': 'l', 'values': {}}], 'chart_dir': str(tmp_path / 'nope')})
    bad = tmp_path / 'schema.json'
    bad.write_text('{"type": 5}')
    with pytest.raises(HubValuesError, match='not a valid JSON Schema'):
        plan({'layers': [{'name': 'l', 'values': {}}], 'chart_schema': str(bad)})


# ------------------------------------------------------------------ fast pre-check agrees with jsonschema

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ansible_collections.versatile.jupyter.plugins.module_utils.hub_values_chart import (
    Chart, coalesce, load_schema_file, load_values_file)
from ansible_collections.versatile.jupyter.plugins.module_utils.hub_values_merge import copy_tree
from ansible_collections.versatile.jupyter.plugins.module_utils.hub_values_schema import (
    fast_check, validator_for)

ODD_VALUES = [None, True, False, 0, 1, -5, 1.5, 2.0, '', 'x', 'ClusterIP', 'sqlite-pvc', 'dynamic', [], ['a'],
              [{'name': 'x'}], {}, {'x': 1}, {'enabled': True}, {'Foo': {}}, {'name': 'n', 'value': 'v'}]


def _paths(tree, path=()):
    out = [path]
    if isinstance(tree, dict):
        for key, value in tree.items():
            out.extend(_paths(value, path + (key,)))
    return out


def _mutate(tree, path, value, new_key):
    """Set the value at path (or add new_key under it); a path an earlier mutation removed is skipped."""
    node = tree
    for part in path[:-1]:
        if not isinstance(node, dict) or part not in node:
            return
        node = node[part]
    if not path or not isinstance(node, dict) or path[-1] not in node:
        return
    if new_key == 'DELETE':
        del node[path[-1]]
    elif new_key and isinstance(node[path[-1]], dict):
        node[path[-1]][new_key] = value
    else:
        node[path[-1]] = value


@pytest.fixture(scope='module')
def contracts():
    if not os.path.isfile(Z2JH_SCHEMA):
        pytest.skip('the upstream chart values/schemas are not in ../shared/upstream (see its README)')
    z2jh_values = coalesce(Chart('z', load_values_file(Z2JH_VALUES)), {})
    binder_values = coalesce(Chart('b', load_values_file(BINDER_VALUES)), {})
    return [(load_schema_file(Z2JH_SCHEMA), z2jh_values, _paths(z2jh_values)),
            (load_schema_file(BINDER_SCHEMA), binder_values, _paths(binder_values))]


@needs_upstream
@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_fast_check_agrees_with_jsonschema_on_the_real_schemas(contracts, data):
    schema, defaults, paths = contracts[data.draw(st.integers(0, 1))]
    instance = copy_tree(defaults)
    for _ in range(data.draw(st.integers(1, 3))):
        path = data.draw(st.sampled_from(paths))
        new_key = data.draw(st.sampled_from([None, None, 'extra', 'Foo', 'enabled', 'DELETE']))
        _mutate(instance, path, copy_tree(data.draw(st.sampled_from(ODD_VALUES))), new_key)
    fast = fast_check(schema)
    assert fast is not None, 'the real schemas use only keywords the pre-check knows'
    assert fast(instance) == validator_for(schema).is_valid(instance)


def test_fast_check_refuses_unknown_keywords():
    assert fast_check({'type': 'object', 'propertyNames': {'pattern': '^a'}}) is None
    assert fast_check({'$ref': '#/definitions/x'}) is None
    assert fast_check({'type': 'object', 'properties': {'a': {'type': 'integer'}}})({'a': 1.0}) is True
    assert fast_check({'enum': [1]})(True) is False
