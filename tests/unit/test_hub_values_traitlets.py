"""Unit tests: hub.config checked against the real JupyterHub packages (requirements-test.txt)."""
import pytest

from ansible_collections.versatile.jupyter.plugins.module_utils.hub_values_traitlets import (
    check_hub_config, classes_defined_in, load_registry)

pytest.importorskip('jupyterhub', reason='jupyterhub is not installed (requirements-test.txt)')


@pytest.fixture(scope='module')
def registry():
    reg = load_registry()
    assert reg.missing == [], 'the checked packages must be importable in the test venv'
    return reg


def test_real_classes_are_found(registry):
    for name in ('JupyterHub', 'Authenticator', 'KubeSpawner', 'GitHubOAuthenticator', 'GenericOAuthenticator',
                 'NativeAuthenticator', 'LTI13Authenticator', 'Spawner', 'CryptKeeper'):
        assert name in registry.classes, name


def test_valid_config_has_no_errors(registry):
    config = {
        'JupyterHub': {'authenticator_class': 'github', 'admin_access': True},
        'GitHubOAuthenticator': {'client_id': 'x', 'client_secret': 'y', 'oauth_callback_url': 'https://h/cb',
                                 'allowed_organizations': ['lab']},
        'Authenticator': {'admin_users': ['alice']},
        'KubeSpawner': {'cpu_limit': 2, 'profile_list': []},
        'NativeAuthenticator': {'open_signup': True, 'minimum_password_length': 10},
    }
    assert check_hub_config(config, registry=registry) == ([], [])


def test_trait_typo_gets_did_you_mean(registry):
    errors, _ = check_hub_config({'GitHubOAuthenticator': {'client_secrett': 'x'}}, registry=registry)
    assert errors == [(('hub', 'config', 'GitHubOAuthenticator', 'client_secrett'),
                       'GitHubOAuthenticator has no trait client_secrett (did you mean client_secret?)')]


def test_class_typo_gets_did_you_mean(registry):
    errors, _ = check_hub_config({'GithubOAuthenticator': {'client_id': 'x'}}, registry=registry)
    assert len(errors) == 1 and 'did you mean GitHubOAuthenticator?' in errors[0][1]


def test_inherited_traits_count(registry):
    # allowed_users is defined on Authenticator and inherited by every authenticator.
    assert check_hub_config({'GenericOAuthenticator': {'allowed_users': ['a'], 'username_claim': 'sub'}},
                            registry=registry)[0] == []


def test_non_configurable_trait_is_an_error(registry):
    # JupyterHub.authenticator is a trait (the instance), but not a config=True one.
    errors, _ = check_hub_config({'JupyterHub': {'authenticator': 1}}, registry=registry)
    assert errors == [(('hub', 'config', 'JupyterHub', 'authenticator'),
                       'JupyterHub.authenticator is not configurable (not a config=True trait)')]


def test_class_section_must_be_a_mapping(registry):
    errors, _ = check_hub_config({'JupyterHub': 'oops'}, registry=registry)
    assert errors[0][1].startswith('expected a mapping')


def test_classes_from_extra_config_and_other_image_packages_are_skipped(registry):
    extra = {'binder': 'import x\nclass BinderSpawner(KubeSpawner):\n    pass\n'}
    errors, warnings = check_hub_config({'BinderSpawner': {'auth_enabled': True}, 'LDAPAuthenticator': {'server_address': 'l'}},
                                        extra, registry=registry, base_path=('jupyterhub', 'hub', 'config'))
    assert errors == []
    assert any('jupyterhub.hub.config.BinderSpawner' in w and 'extraConfig' in w for w in warnings)
    assert any('LDAPAuthenticator' in w and 'ldapauthenticator' in w for w in warnings)


def test_unknown_class_is_only_a_warning_when_a_checked_package_is_missing():
    reg = load_registry(packages=(('jupyterhub', 'jupyterhub'), ('no_such_package_hv', 'no-such-package')))
    assert reg.missing == ['no-such-package']
    errors, warnings = check_hub_config({'SomeOAuthenticator': {'x': 1}}, registry=reg)
    assert errors == [] and 'no-such-package' in warnings[0]
    # a known class is still checked
    errors, _ = check_hub_config({'JupyterHub': {'admin_acces': True}}, registry=reg)
    assert 'did you mean admin_access?' in errors[0][1]


def test_classes_defined_in_extra_config():
    assert classes_defined_in({'a': 'class A(B):\n  pass\n  class Inner: pass', 'b': 5}) == {'A', 'Inner'}


def test_catalogue_is_cached_and_read_back_without_imports(tmp_path, monkeypatch, registry):
    from ansible_collections.versatile.jupyter.plugins.module_utils import hub_values_traitlets as hvt
    monkeypatch.setattr(hvt, '_REGISTRY', {})
    fresh = hvt.load_registry(cache_dir=str(tmp_path))
    files = list(tmp_path.iterdir())
    assert len(files) == 1 and files[0].name.startswith('hub-config-classes-')
    assert oct(files[0].stat().st_mode & 0o777) == '0o600'

    # A new process: the catalogue comes from the file, and importing is not needed.
    monkeypatch.setattr(hvt, '_REGISTRY', {})
    monkeypatch.setattr(hvt, '_load_registry', lambda *a: pytest.fail('imported although the cache is valid'))
    cached = hvt.load_registry(cache_dir=str(tmp_path))
    assert cached.to_json() == fresh.to_json() == registry.to_json()
    errors, _ = check_hub_config({'GitHubOAuthenticator': {'client_secrett': 'x'}}, registry=cached)
    assert 'did you mean client_secret?' in errors[0][1]
    assert check_hub_config({'JupyterHub': {'authenticator': 1}}, registry=cached)[0][0][1].endswith(
        'not configurable (not a config=True trait)')


def test_catalogue_key_follows_installed_distributions(tmp_path):
    from ansible_collections.versatile.jupyter.plugins.module_utils.hub_values_traitlets import (
        CHECKED_PACKAGES, OTHER_IMAGE_CLASSES, catalogue_key)
    (tmp_path / 'jupyterhub-5.5.0.dist-info').mkdir()
    before = catalogue_key(CHECKED_PACKAGES, OTHER_IMAGE_CLASSES, path=[str(tmp_path)])
    assert before == catalogue_key(CHECKED_PACKAGES, OTHER_IMAGE_CLASSES, path=[str(tmp_path)])
    (tmp_path / 'jupyterhub-5.5.0.dist-info').rename(tmp_path / 'jupyterhub-5.6.0.dist-info')
    upgraded = catalogue_key(CHECKED_PACKAGES, OTHER_IMAGE_CLASSES, path=[str(tmp_path)])
    (tmp_path / 'jupyterhub_ldapauthenticator-2.0.2.dist-info').mkdir()
    added = catalogue_key(CHECKED_PACKAGES, OTHER_IMAGE_CLASSES, path=[str(tmp_path)])
    assert len({before, upgraded, added}) == 3


def test_unreadable_catalogue_means_a_fresh_import(tmp_path, monkeypatch, registry):
    from ansible_collections.versatile.jupyter.plugins.module_utils import hub_values_traitlets as hvt
    monkeypatch.setattr(hvt, '_REGISTRY', {})
    key = hvt.catalogue_key(hvt.CHECKED_PACKAGES, hvt.OTHER_IMAGE_CLASSES)
    (tmp_path / ('hub-config-classes-%s.json' % key)).write_text('{"classes": ')
    assert hvt.load_registry(cache_dir=str(tmp_path)).to_json() == registry.to_json()
