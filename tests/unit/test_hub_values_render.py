"""Unit tests: secret masking, explain lines and the atomic write (hub_values_render)."""
import os
import stat

import pytest

from ansible_collections.versatile.jupyter.plugins.module_utils.hub_values_merge import HubValuesError
from ansible_collections.versatile.jupyter.plugins.module_utils.hub_values_render import (
    MASK, MASK_CHANGED, atomic_write, explain_lines, is_secret_key, mask, secret_predicate, secret_strings)


@pytest.mark.parametrize('key', ['password', 'client_secret', 'secretToken', 'cookieSecret', 'api_token',
                                 'GITHUB_TOKEN', 'privateKey', 'db-password', 'accessKey', 'htpasswd'])
def test_secret_key_names(key):
    assert is_secret_key(key)


@pytest.mark.parametrize('key', ['name', 'key', 'tag', 'tokens_enabled_flag', 'image', 'client_id', 'secretName'])
def test_not_secret_key_names(key):
    # 'key' alone is a toleration/affinity key in Kubernetes values; a TLS key is caught by its PEM content.
    assert not is_secret_key(key)


def predicate(merged, layers=None, secret_layers=()):
    return secret_predicate(merged, layers or [merged], secret_layers)


def test_mask_by_key_name_env_style_pem_and_cryptkeeper():
    values = {'hub': {'config': {'GitHubOAuthenticator': {'client_id': 'id', 'client_secret': 's3'},
                                 'CryptKeeper': {'keys': ['k1', 'k2']}},
                      'extraEnv': [{'name': 'API_TOKEN', 'value': 'tok'}, {'name': 'LANG', 'value': 'C'}]},
              'proxy': {'https': {'manual': {'key': '-----BEGIN PRIVATE KEY-----\nabc', 'cert': 'c'}}},
              'tolerations': [{'key': 'hub.jupyter.org/dedicated', 'operator': 'Equal'}]}
    masked = mask(values, predicate(values))
    hub = masked['hub']
    assert hub['config']['GitHubOAuthenticator'] == {'client_id': 'id', 'client_secret': MASK}
    assert hub['config']['CryptKeeper']['keys'] == [MASK, MASK]
    assert hub['extraEnv'] == [{'name': 'API_TOKEN', 'value': MASK}, {'name': 'LANG', 'value': 'C'}]
    assert masked['proxy']['https']['manual'] == {'key': MASK, 'cert': 'c'}
    assert masked['tolerations'][0]['key'] == 'hub.jupyter.org/dedicated'
    assert values['hub']['config']['GitHubOAuthenticator']['client_secret'] == 's3'  # input unchanged


def test_secret_layer_masks_every_value_it_set():
    layers = [{'a': {'x': 'plain', 'y': 'plain'}}, {'a': {'y': 'from-secret-layer'}, 'n': 5}]
    merged = {'a': {'x': 'plain', 'y': 'from-secret-layer'}, 'n': 5}
    masked = mask(merged, secret_predicate(merged, layers, [1]))
    assert masked == {'a': {'x': 'plain', 'y': MASK}, 'n': MASK}
    assert secret_strings(merged, secret_predicate(merged, layers, [1])) == {'from-secret-layer', '5'}


def test_changed_secret_is_shown_as_changed_without_values():
    is_secret = predicate({'password': 'new'})
    assert mask({'password': 'new'}, is_secret, other={'password': 'old'}) == {'password': MASK_CHANGED}
    assert mask({'password': 'same'}, is_secret, other={'password': 'same'}) == {'password': MASK}


def test_explain_lines_name_layers_and_mask_secrets():
    layers = [{'hub': {'db': {'type': 'sqlite-pvc'}}}, {'hub': {'db': {'type': None}, 'cookieSecret': 'c'}}]
    merged = {'hub': {'db': {'type': None}, 'cookieSecret': 'c'}}
    lines = explain_lines(merged, layers, ['defaults', 'secrets'], predicate(merged, layers))
    assert lines == ['hub.cookieSecret = %s  <- layer 2 secrets' % MASK,
                     'hub.db.type = null (deletes the chart default)  <- layer 2 secrets']


def test_atomic_write_mode_and_no_leftovers(tmp_path):
    dest = tmp_path / 'v.yaml'
    atomic_write(str(dest), b'a: 1\n', 0o600)
    assert dest.read_bytes() == b'a: 1\n' and stat.S_IMODE(os.stat(str(dest)).st_mode) == 0o600
    atomic_write(str(dest), b'a: 2\n', 0o640)
    assert dest.read_bytes() == b'a: 2\n' and stat.S_IMODE(os.stat(str(dest)).st_mode) == 0o640
    assert sorted(os.listdir(str(tmp_path))) == ['v.yaml']


def test_atomic_write_fails_clearly_and_leaves_nothing(tmp_path):
    with pytest.raises(HubValuesError, match='directory .* does not exist'):
        atomic_write(str(tmp_path / 'missing' / 'v.yaml'), b'x', 0o600)
    target = tmp_path / 'is-a-dir'
    target.mkdir()
    with pytest.raises(HubValuesError, match='cannot write dest'):
        atomic_write(str(target), b'x', 0o600)
    assert sorted(os.listdir(str(tmp_path))) == ['is-a-dir']
