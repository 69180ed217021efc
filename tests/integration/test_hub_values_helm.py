"""Property test: hub_values merges and coalesces exactly like the real `helm template`.

For many random sets of nested layers (and random chart defaults, a subchart with a condition, tags and
globals), the layers are written as YAML files, rendered with the real helm binary (`$HELM_BIN`,
`helm template REL CHART -f l1.yaml -f l2.yaml ...`) over a small local chart whose templates print
`.Values` as JSON, and compared with what hub_values computes from the same YAML texts. The YAML texts
use unquoted scalars that YAML 1.1 and Helm's go-yaml read differently (y, 0o17, 08, 1:20, dates...).
"""
import json
import os
import shutil
import subprocess
import tempfile

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ansible_collections.versatile.jupyter.plugins.module_utils.hub_values_chart import (
    load_chart_dir, render_values)
from ansible_collections.versatile.jupyter.plugins.module_utils.hub_values_merge import (
    HubValuesError, layer_values, merge_layers)

HELM = os.environ.get('HELM_BIN') or shutil.which('helm')
pytestmark = pytest.mark.skipif(not HELM or not os.access(HELM, os.X_OK),
                                reason='no helm binary: set HELM_BIN (scripts/test installs one)')

# Unquoted scalars as they appear in values files; several are read differently by YAML 1.1 and Helm.
TOKENS = ['1', '0', '-3', '42', 'y', 'n', 'yes', 'off', 'true', 'False', 'null', '~', 'x', 'hello',
          '1.5', '08', '0o17', '0x1F', '1_000', '1e3', '2026-01-01', '1:20', "'quoted'", '"7"', '.5', '=',
          '+12', '-0x10', '0b101', '007']
KEYS = ['a', 'b', 'c', 'sub', 'global', 'enabled', 'tags', 't']

# About one scalar in five is a null, so that nulls often meet chart defaults.
scalars = st.sampled_from(TOKENS + ['null'] * 7)
leaves = st.one_of(scalars, st.lists(scalars, max_size=3), st.just({}))
trees = st.recursive(leaves, lambda inner: st.dictionaries(st.sampled_from(KEYS), inner, max_size=4),
                     max_leaves=10)
maps = st.dictionaries(st.sampled_from(KEYS), trees, max_size=5)


def emit(tree, indent=0):
    """Block YAML with the tokens written as they are (unquoted)."""
    pad = ' ' * indent
    if not tree:
        return pad + '{}\n' if indent == 0 else ''
    out = ''
    for key, value in tree.items():
        if isinstance(value, dict) and value:
            out += '%s%s:\n%s' % (pad, key, emit(value, indent + 2))
        elif isinstance(value, dict):
            out += '%s%s: {}\n' % (pad, key)
        elif isinstance(value, list) and value:
            out += '%s%s:\n%s' % (pad, key, ''.join('%s  - %s\n' % (pad, item) for item in value))
        elif isinstance(value, list):
            out += '%s%s: []\n' % (pad, key)
        else:
            out += '%s%s: %s\n' % (pad, key, value)
    return out


TEMPLATE = '''apiVersion: v1
kind: ConfigMap
metadata:
  name: {name}-values
data:
  values: {{{{ toJson .Values | quote }}}}
'''


def write_chart(root, parent_defaults, sub_defaults):
    parent = os.path.join(root, 'parent')
    sub = os.path.join(parent, 'charts', 'sub')
    os.makedirs(os.path.join(parent, 'templates'))
    os.makedirs(os.path.join(sub, 'templates'))
    with open(os.path.join(parent, 'Chart.yaml'), 'w') as handle:
        handle.write('apiVersion: v2\nname: parent\nversion: 0.1.0\ndependencies:\n'
                     '  - name: sub\n    version: 0.1.0\n    condition: sub.enabled\n    tags: [t]\n')
    with open(os.path.join(sub, 'Chart.yaml'), 'w') as handle:
        handle.write('apiVersion: v2\nname: sub\nversion: 0.1.0\n')
    for directory, name, defaults in ((parent, 'parent', parent_defaults), (sub, 'sub', sub_defaults)):
        with open(os.path.join(directory, 'values.yaml'), 'w') as handle:
            handle.write(emit(defaults))
        with open(os.path.join(directory, 'templates', 'values.yaml'), 'w') as handle:
            handle.write(TEMPLATE.format(name=name))
    return parent


def helm_values(chart, layer_files):
    """{'parent': .Values, 'sub': .Values or None} from the real helm, or ('error', stderr)."""
    cmd = [HELM, 'template', 'rel', chart]
    for path in layer_files:
        cmd += ['-f', path]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=60, check=False)
    if proc.returncode != 0:
        return 'error', proc.stderr
    out = {'parent': None, 'sub': None}
    for doc in yaml.safe_load_all(proc.stdout):
        if doc and doc.get('kind') == 'ConfigMap':
            out[doc['metadata']['name'][:-len('-values')]] = json.loads(doc['data']['values'])
    return 'ok', out


def ours(chart_dir, layer_texts):
    try:
        layers = [layer_values('layer %d' % i, text=text) for i, text in enumerate(layer_texts)]
        values, processed = render_values(load_chart_dir(chart_dir), merge_layers(layers))
    except HubValuesError as exc:
        return 'error', str(exc)
    enabled = [dep.name for dep in processed.dependencies]
    return 'ok', {'parent': values, 'sub': values.get('sub') if 'sub' in enabled else None}


@settings(max_examples=int(os.environ.get('HUB_VALUES_HELM_EXAMPLES', '60')), deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(parent_defaults=maps, sub_defaults=maps, layers=st.lists(maps, min_size=1, max_size=4))
def test_merge_and_coalesce_match_helm_template(parent_defaults, sub_defaults, layers):
    root = tempfile.mkdtemp(prefix='hv-helm-')
    try:
        chart = write_chart(root, parent_defaults, sub_defaults)
        texts = [emit(layer) for layer in layers]
        files = []
        for index, text in enumerate(texts):
            path = os.path.join(root, 'layer%d.yaml' % index)
            with open(path, 'w') as handle:
                handle.write(text)
            files.append(path)
        expected = helm_values(chart, files)
        got = ours(chart, texts)
        assert got[0] == expected[0], 'helm: %s\nours: %s\nlayers:\n%s' % (expected, got, '---\n'.join(texts))
        if expected[0] == 'ok':
            assert got[1] == expected[1], 'layers:\n%s' % '---\n'.join(texts)
        else:
            assert 'type mismatch' in expected[1] and 'type mismatch' in got[1], (expected, got)
    finally:
        shutil.rmtree(root)


def test_null_deletes_chart_default_with_real_helm(tmp_path):
    """The documented rule, checked once by name: a later null removes the chart's default."""
    chart = write_chart(str(tmp_path), {'a': {'b': '1', 'c': '2'}, 'top': 'x'}, {})
    texts = ['a:\n  b: 5\ntop: y\n', 'a:\n  b: null\ntop: ~\n']
    files = []
    for index, text in enumerate(texts):
        files.append(str(tmp_path / ('l%d.yaml' % index)))
        (tmp_path / ('l%d.yaml' % index)).write_text(text)
    status, helm = helm_values(chart, files)
    assert status == 'ok'
    assert helm['parent']['a'] == {'c': 2} and 'top' not in helm['parent']
    mine = ours(chart, texts)[1]['parent']
    assert mine['a'] == {'c': 2} and 'top' not in mine


# Mapping keys that are not plain strings, as helm turns them into strings (or refuses them). Each key sits
# under its own parent so that keys that end up equal do not meet.
ODD_KEYS = ['1.0', '1e3', '1.5', '0x10', '017', '1_000', '+1', '.5', '1.', 'y', 'true', 'off', '1000000',
            '1000000.0', '123456.7', '0.000001', '3.14159265358979', '16777217.0', '-0.0', '1e-50', '1e39',
            '-1e39', '.inf', '.nan', '9223372036854775807', '-9223372036854775809', '18446744073709551616',
            '1e400', '2001-01-01', '1:20', "'1.0'"]
# Values helm reads as strings although they look like numbers (beyond float64), or as numbers.
ODD_VALUES = ['1e400', '-1e400', '1e308', '1e-400', '.5e400', '1e3']
REFUSED_KEYS = ['~', 'null', '9223372036854775808', '18446744073709551615', '[1, 2]', '{b: 1}']


def _render_one(tmp_path, text):
    chart = os.path.join(str(tmp_path), 'parent')
    if not os.path.isdir(chart):
        write_chart(str(tmp_path), {}, {})
    path = str(tmp_path / 'layer.yaml')
    with open(path, 'w') as handle:
        handle.write(text)
    return chart, helm_values(chart, [path])


def test_unusual_keys_and_values_read_as_helm_reads_them(tmp_path):
    """Float keys become Go's shortest 32-bit text (1.0 -> "1", 1e3 -> "1000"), 1e400 stays a string, and
    the file hub_values writes is read back by helm as the same values."""
    text = ''.join('k%d:\n  %s: v\n' % (index, key) for index, key in enumerate(ODD_KEYS))
    text += 'values:\n' + ''.join('  v%d: %s\n' % (index, value) for index, value in enumerate(ODD_VALUES))
    chart, (status, helm) = _render_one(tmp_path, text)
    assert status == 'ok', helm
    mine = ours(chart, [text])
    assert mine == ('ok', helm)
    assert helm['parent']['k0'] == {'1': 'v'} and helm['parent']['k1'] == {'1000': 'v'}
    assert helm['parent']['values']['v0'] == '1e400'
    from ansible_collections.versatile.jupyter.plugins.module_utils.hub_values_merge import dump_yaml
    written = dump_yaml(layer_values('layer 1', text=text))
    assert _render_one(tmp_path, written)[1] == ('ok', helm)


@pytest.mark.parametrize('key', REFUSED_KEYS)
def test_keys_helm_refuses_are_refused_with_the_layer_named(tmp_path, key):
    entry = '? %s\n  : v' % key if key.startswith(('[', '{')) else '%s: v' % key
    text = 'ok: 1\nouter:\n  %s\n' % entry
    chart, (status, helm) = _render_one(tmp_path, text)
    assert status == 'error' and 'map key' in helm, helm
    with pytest.raises(HubValuesError, match=r'^layer 1 mine: YAML error at line 3, column \d+: helm refuses'):
        layer_values('layer 1 mine', text=text)
