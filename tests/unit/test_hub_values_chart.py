"""Unit tests: the chart concept (hub_values_chart): coalescing with chart defaults like Helm, subcharts,
and loading an unpacked chart with a packaged subchart."""
import json
import tarfile

import pytest

from ansible_collections.versatile.jupyter.plugins.module_utils.hub_values import plan
from ansible_collections.versatile.jupyter.plugins.module_utils.hub_values_chart import (
    Chart, coalesce, load_chart_dir, render_values)
from ansible_collections.versatile.jupyter.plugins.module_utils.hub_values_merge import HubValuesError

from upstream_contracts import Z2JH_VALUES, Z2JH_SCHEMA, BINDER_VALUES, BINDER_SCHEMA, needs_upstream


def errors_of(params):
    with pytest.raises(HubValuesError) as info:
        plan(params)
    return str(info.value)


# ------------------------------------------------------------------------------------------- coalesce

def test_coalesce_null_deletes_default_and_defaults_fill_in():
    chart = Chart('c', {'hub': {'db': {'type': 'sqlite-pvc', 'pvc': {'size': '1Gi'}}, 'image': 'x'}})
    got = coalesce(chart, {'hub': {'db': {'type': None}}})
    assert got == {'hub': {'db': {'pvc': {'size': '1Gi'}}, 'image': 'x'}}


def test_coalesce_keeps_null_where_chart_has_no_default():
    assert coalesce(Chart('c', {'a': 1}), {'z': None, 'y': {'x': None}}) == {'a': 1, 'z': None, 'y': {'x': None}}


def test_coalesce_type_conflicts_keep_the_users_value_with_a_warning():
    warnings = []
    chart = Chart('c', {'m': {'k': 1}, 's': 'scalar', 'top': {'x': 1}})
    got = coalesce(chart, {'m': {'k': {'deep': 1}}, 's': {'now': 'map'}, 'top': 'flat'}, warnings=warnings)
    assert got == {'m': {'k': {'deep': 1}}, 's': {'now': 'map'}, 'top': 'flat'}
    assert any('m.k' in w for w in warnings) and any('c.s' in w for w in warnings)


def test_coalesce_does_not_change_chart_or_user_values():
    chart = Chart('c', {'a': {'b': 1}})
    user = {'a': {'c': 2}}
    coalesce(chart, user)
    assert chart.values == {'a': {'b': 1}} and user == {'a': {'c': 2}}


def _parent_with_sub(condition=None):
    sub = Chart('sub', {'x': 1, 'global': {'g': 'sub-default', 'm': {'a': 1}}})
    return Chart('parent', {'global': {'g': 'parent', 'm': {'b': 2}}, 'sub': {'x': 2}}, None, [sub],
                 [{'name': 'sub', 'alias': None, 'condition': condition, 'tags': []}])


def test_subchart_gets_its_defaults_and_the_parents_globals():
    values, processed = render_values(_parent_with_sub(), {'sub': {'y': 3}})
    assert [dep.name for dep in processed.dependencies] == ['sub']
    assert values['sub'] == {'x': 2, 'y': 3, 'global': {'g': 'parent', 'm': {'a': 1, 'b': 2}}}


def test_subchart_key_must_be_a_map():
    with pytest.raises(HubValuesError, match='type mismatch on sub'):
        render_values(_parent_with_sub(), {'sub': 'oops'})


def test_subchart_condition_false_removes_the_subchart():
    values, processed = render_values(_parent_with_sub('sub.enabled'), {'sub': {'enabled': False}})
    assert processed.dependencies == []
    assert 'global' not in values['sub']


# ------------------------------------------------------------------------------------------- loading

@needs_upstream
def test_chart_dir_as_helm_pull_untar_leaves_it(tmp_path):
    """An unpacked BinderHub chart with the z2jh chart packaged under charts/ (as a .tgz)."""
    chart = tmp_path / 'binderhub'
    (chart / 'charts').mkdir(parents=True)
    (chart / 'Chart.yaml').write_text('apiVersion: v2\nname: binderhub\nversion: 0.0.1\ndependencies:\n'
                                      '  - name: jupyterhub\n    version: 4.4.0\n')
    (chart / 'values.yaml').write_bytes(open(BINDER_VALUES, 'rb').read())
    (chart / 'values.schema.yaml').write_bytes(open(BINDER_SCHEMA, 'rb').read())
    sub = tmp_path / 'jupyterhub'
    sub.mkdir()
    (sub / 'Chart.yaml').write_text('apiVersion: v2\nname: jupyterhub\nversion: 4.4.0\n')
    (sub / 'values.yaml').write_bytes(open(Z2JH_VALUES, 'rb').read())
    import yaml
    (sub / 'values.schema.json').write_text(json.dumps(yaml.safe_load(open(Z2JH_SCHEMA))))
    with tarfile.open(str(chart / 'charts' / 'jupyterhub-4.4.0.tgz'), 'w:gz') as tar:
        tar.add(str(sub), arcname='jupyterhub')
    loaded = load_chart_dir(str(chart))
    assert [dep.name for dep in loaded.dependencies] == ['jupyterhub']
    params = {'layers': [{'name': 'l', 'values': {'jupyterhub': {'hub': {'baseUrl': 5}}}}],
              'chart_dir': str(chart), 'subchart_key': 'jupyterhub', 'traitlets': 'never'}
    assert 'jupyterhub.hub.baseUrl: expected string' in errors_of(params)
