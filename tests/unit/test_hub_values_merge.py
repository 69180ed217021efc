"""Unit tests: Helm-compatible parsing, dumping, merging and provenance (hub_values_merge)."""
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ansible_collections.versatile.jupyter.plugins.module_utils.hub_values_merge import (
    HubValuesError, dotted, dump_yaml, go_scalar, layer_values, merge_layers, merge_maps, origin, parse_yaml)


# ---------------------------------------------------------------------------------------------- merge

def test_maps_merge_key_by_key():
    assert merge_layers([{'a': {'b': 1, 'c': 2}}, {'a': {'c': 3, 'd': 4}}]) == {'a': {'b': 1, 'c': 3, 'd': 4}}


def test_lists_and_scalars_are_replaced_not_merged():
    merged = merge_layers([{'l': [1, 2, 3], 's': 'x'}, {'l': [9], 's': 'y'}])
    assert merged == {'l': [9], 's': 'y'}


def test_null_is_kept_for_helm_to_delete_the_default():
    assert merge_layers([{'a': {'b': 1}}, {'a': {'b': None}}]) == {'a': {'b': None}}


def test_map_replaces_scalar_and_scalar_replaces_map():
    assert merge_layers([{'a': 1}, {'a': {'b': 2}}]) == {'a': {'b': 2}}
    assert merge_layers([{'a': {'b': 2}}, {'a': 'flat'}]) == {'a': 'flat'}
    assert merge_layers([{'a': {'b': 2}}, {'a': None}, {'a': {'c': 3}}]) == {'a': {'c': 3}}


def test_merge_does_not_change_its_inputs():
    first, second = {'a': {'b': 1}}, {'a': {'c': 2}}
    merged = merge_maps(first, second)
    merged['a']['d'] = 3
    assert first == {'a': {'b': 1}} and second == {'a': {'c': 2}}


# ------------------------------------------------------------------------------------------- parsing

@pytest.mark.parametrize('text,value', [
    ('y', True), ('n', False), ('on', True), ('1:20', '1:20'), ('2026-01-01', '2026-01-01'),
    ('0o17', 15), ('0x1F', 31), ('08', 8.0), ('007', 7), ('1_000', 1000), ('1e3', 1000.0), ('.5', 0.5),
    ('~', None), ('=', '='), ('x', 'x'), ('+12', 12), ('-0x10', -16), ('0b101', 5),
])
def test_plain_scalars_are_read_like_helms_go_yaml(text, value):
    assert parse_yaml('k: %s\n' % text, 't') == {'k': value}


def test_go_scalar_says_which_strings_are_plain_strings():
    assert go_scalar('hello') is not True and isinstance(go_scalar('8'), int)


def test_boolean_like_keys_become_strings_like_in_helm():
    assert parse_yaml('n: 1\ny: 2\n3: 3\n', 't') == {'false': 1, 'true': 2, '3': 3}


def test_yaml_error_names_the_layer_and_line():
    with pytest.raises(HubValuesError, match=r'files/x.yaml: YAML error at line 4, column \d+'):
        layer_values('files/x.yaml', values='a: 1\nb:\n  - c\n d: [\n')


def test_yaml_error_line_without_trailing_newline():
    # lookup('file') strips the last newline; the error must still point at the real line
    with pytest.raises(HubValuesError, match=r'l: YAML error at line 2, column 19'):
        layer_values('l', values='singleuser:\n  image: [unclosed')


def test_a_layer_must_be_a_mapping():
    with pytest.raises(HubValuesError, match='layer 2 x: expected a mapping .* got list'):
        layer_values('layer 2 x', values='- a\n- b\n')
    with pytest.raises(HubValuesError, match='got string'):
        layer_values('l', values='just text')


def test_empty_layer_is_an_empty_mapping():
    assert layer_values('l', values='') == {} and layer_values('l', values=None) == {}
    assert layer_values('l', values='# only a comment\n') == {}


def test_mapping_values_are_normalized():
    assert layer_values('l', values={7: (1, 2), True: {'a': None}}) == {'7': [1, 2], 'true': {'a': None}}


# ------------------------------------------------------------------------- YAML output round trip

tricky = st.sampled_from(['y', 'n', 'yes', 'off', '08', '0o17', '1:20', '2026-01-01', '=', '~', '', 'null',
                          '1_000', '1e3', '.5', '<<', '0x1F', 'multi\nline\n', ' lead', 'trail ', 'a: b',
                          '- x', '#c', '%p', '@x', '"q"', "'q'", 'tab\there', 'ünï'])
json_like = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(-2 ** 31, 2 ** 31), tricky, st.text(max_size=8)),
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(st.one_of(tricky, st.text(max_size=5)),
                                                                         inner, max_size=3)),
    max_leaves=12)


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(st.one_of(tricky, st.text(max_size=5)), json_like, max_size=4))
def test_written_yaml_reads_back_the_same_under_helms_rules(values):
    assert parse_yaml(dump_yaml(values), 'out') == values


def test_dump_is_deterministic_and_sorted():
    assert dump_yaml({'b': 1, 'a': {'d': 'y', 'c': '08'}}) == "a:\n  c: '08'\n  d: 'y'\nb: 1\n"


# -------------------------------------------------------------------------------------- provenance

def test_origin_is_the_last_layer_holding_the_path():
    layers = [{'a': {'b': 1, 'c': 1}}, {'a': {'c': 2}}, {'x': 1}]
    assert origin(layers, ('a', 'b')) == 0
    assert origin(layers, ('a', 'c')) == 1
    assert origin(layers, ('a',)) == 1
    assert origin(layers, ('a', 'zz')) is None
    assert origin([{'l': [1, 2]}, {'l': [3]}], ('l', 0)) == 1


def test_dotted_paths():
    assert dotted(('hub', 'config', 'A', 0, 'b')) == 'hub.config.A[0].b'
    assert dotted(('metadata', 'annotations', 'hub.jupyter.org/x')) == 'metadata.annotations["hub.jupyter.org/x"]'


def _merge_tracking(layers):
    """A second, independent merge that records for every value which layer wrote it."""
    merged, owner = {}, {}

    def put(dst, own, src, index):
        for key, value in src.items():
            if isinstance(value, dict) and isinstance(dst.get(key), dict):
                own[key] = (index, own[key][1])  # a map is owned by the last layer that holds it
                put(dst[key], own[key][1], value, index)
            elif isinstance(value, dict):
                dst[key] = {}
                own[key] = (index, {})
                put(dst[key], own[key][1], value, index)
            else:
                dst[key] = value
                own[key] = (index, None)
    for index, layer in enumerate(layers):
        put(merged, owner, layer, index)
    return merged, owner


keys = st.sampled_from(['a', 'b', 'c', 'd'])
layer_trees = st.recursive(st.one_of(st.none(), st.integers(0, 3), st.lists(st.integers(0, 3), max_size=2)),
                           lambda inner: st.dictionaries(keys, inner, max_size=3), max_leaves=8)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.dictionaries(keys, layer_trees, max_size=3), min_size=1, max_size=5))
def test_origin_names_the_layer_that_wrote_each_leaf(layers):
    merged, owner = _merge_tracking(layers)
    assert merge_layers(layers) == merged

    def walk(node, own, path):
        for key, value in node.items():
            index, children = own[key]
            if isinstance(value, dict) and value:
                walk(value, children, path + (key,))
            else:
                assert origin(layers, path + (key,)) == index, (path + (key,), layers)
    walk(merged, owner, ())


# ------------------------------------------------------------------------------ keys as helm makes them
# The expected texts are what helm 3.17 printed for these keys (tests/integration/test_hub_values_helm.py
# checks them against the real helm).

@pytest.mark.parametrize('key,name', [
    ('1.0', '1'), ('1e3', '1000'), ('1.5', '1.5'), ('0x10', '16'), ('1000000.0', '1e+06'), ('0.000001', '1e-06'),
    ('3.14159265358979', '3.1415927'), ('16777217.0', '1.6777216e+07'), ('-0.0', '-0'), ('1e-50', '0'),
    ('1e39', '.inf'), ('.nan', '.nan'), ('-9223372036854775809', '-9.223372e+18'), ('1e400', '1e400'),
    ('y', 'true'), ('2001-01-01', '2001-01-01'),
])
def test_keys_become_the_strings_helm_makes_of_them(key, name):
    assert layer_values('l', text='a:\n  %s: v\n' % key) == {'a': {name: 'v'}}


@pytest.mark.parametrize('text', ['a:\n  ~: v\n', 'a:\n  null: v\n', 'a:\n  9223372036854775808: v\n',
                                  'a:\n  ? [1, 2]\n  : v\n', 'a:\n  ? {b: 1}\n  : v\n'])
def test_keys_helm_refuses_are_refused_naming_the_layer_and_line(text):
    with pytest.raises(HubValuesError, match=r'^layer 2 extra: YAML error at line 2, column \d+: helm refuses'):
        layer_values('layer 2 extra', text=text)


def test_mapping_keys_from_ansible_follow_the_same_rules():
    assert layer_values('l', values={1.0: 'a', 1e3: 'b', False: 'c', 7: 'd'}) == {
        '1': 'a', '1000': 'b', 'false': 'c', '7': 'd'}
    with pytest.raises(HubValuesError, match=r'^layer 1 data: hub.config: helm refuses a null mapping key'):
        layer_values('layer 1 data', values={'hub': {'config': {None: 1}}})


def test_a_number_beyond_float64_stays_a_string():
    assert layer_values('l', text='a: 1e400\nb: [-1e400, 1e308]\n') == {'a': '1e400', 'b': ['-1e400', 1e308]}
    assert dump_yaml({'a': '1e400'}) and layer_values('l', text=dump_yaml({'a': '1e400'})) == {'a': '1e400'}
