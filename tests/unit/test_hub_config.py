"""Unit tests for module_utils/hub_config.py: hub entry checks and auth presets."""

import pytest

from ansible_collections.versatile.jupyter.plugins.module_utils.hub_config import (
    admin_hint,
    auth_values,
    hub_entry_errors,
    hub_urls,
    split_image,
)


def jhub(**extra):
    entry = {"name": "physics", "kind": "jupyterhub", "host": "physics.hub.example.org",
             "auth": {"type": "native", "admin_users": ["alice"]}}
    entry.update(extra)
    return entry


def bhub(**extra):
    entry = {"name": "binder", "kind": "binderhub", "host": "binder.example.org",
             "auth": {"type": "github", "client_id": "id", "client_secret": "s3cret"}}
    entry.update(extra)
    return entry


def test_good_entries_have_no_errors():
    assert hub_entry_errors([jhub(), bhub()]) == []
    assert hub_entry_errors([jhub(pod_security="baseline"), bhub(pod_security="privileged")]) == []
    assert hub_entry_errors([]) == []
    assert hub_entry_errors(None) == []


@pytest.mark.parametrize("entry, expected", [
    (jhub(kind="jupyterhubb"), "hubs[0] (physics): kind must be one of jupyterhub, binderhub, got 'jupyterhubb'."),
    (jhub(host=None), "hubs[0] (physics): host is missing"),
    (jhub(host="https://physics.example.org/"), "must be a lowercase DNS name without scheme"),
    (jhub(name="Physics_Lab"), "name 'Physics_Lab' must be lowercase letters, digits and '-'"),
    (jhub(name="a" * 54), "at most 53 characters"),
    (jhub(name=""), "name is missing"),
    (jhub(auth={"type": "github", "client_id": "x"}), "auth type github needs auth.client_secret (keep it in a "
                                                      "vaulted variable)."),
    (jhub(auth={"type": "github", "client_id": "x", "client_secret": "  "}), "needs auth.client_secret"),
    (jhub(auth={"type": "ldap"}), "auth.type must be one of"),
    (jhub(auth={"type": "native", "client_secret": "x"}), "auth.client_secret is not a setting of auth type native"),
    (jhub(auth=None), "auth is missing"),
    (jhub(value={"a": 1}), "unknown key 'value'"),
    (jhub(values=["a"]), "values must be a mapping"),
    (jhub(values_files="x.yaml"), "values_files must be a list"),
    (jhub(chart_version=4.4), "chart_version must be a quoted version string"),
    (jhub(public=True), "public applies to kind binderhub only"),
    (jhub(hub_host="hub.example.org"), "hub_host is only for kind binderhub"),
    (bhub(auth=None), "or set public: true for an anonymous Binder"),
    (bhub(public=True), "a public (anonymous) Binder has no auth"),
    (jhub(auth={"type": "dummy", "password": "x"}), "only allowed on the local all-in-one"),
    (jhub(auth={"type": "generic-oauth", "client_id": "x", "client_secret": "y", "token_url": "https://t"}),
     "needs auth.authorize_url, auth.userdata_url (there is no OIDC discovery)"),
    (jhub(auth={"type": "lti13", "client_id": "x"}), "auth type lti13 needs auth.issuer"),
    (jhub(image=42), "image must be a reference"),
    (jhub(profiles=[{"image": "x"}]), "each with a display_name"),
    (jhub(pod_security="strict"), "pod_security (the Pod Security level its namespace enforces) must be one of "
                                  "privileged, baseline, restricted, got 'strict'."),
    ("physics", "each hub entry must be a mapping"),
])
def test_bad_entry_is_named_and_explained(entry, expected):
    errors = hub_entry_errors([entry])
    assert any(expected in e for e in errors), errors


def test_duplicates_are_reported_with_the_first_owner():
    errors = hub_entry_errors([jhub(), jhub(host="other.example.org"), jhub(name="chem")])
    assert "hubs[1] (physics): name 'physics' is already used by hubs[0]; each hub needs its own name." in errors
    assert any("hubs[2] (chem): host 'physics.hub.example.org' is already used by hubs[0].host." == e
               for e in errors), errors


def test_binder_hub_host_defaults_and_collisions():
    assert hub_entry_errors([bhub(hub_host="hub.binder.example.org")]) == []
    errors = hub_entry_errors([bhub(hub_host="binder.example.org")])
    assert "hubs[0] (binder): hub_host 'binder.example.org' is already used by hubs[0].host." in errors


def test_every_problem_is_reported_at_once():
    errors = hub_entry_errors([jhub(kind="x", host=None, auth={"type": "gitlab"})])
    assert len(errors) == 4, errors  # kind, host, client_id, client_secret


def test_dummy_allowed_only_when_asked():
    entry = jhub(auth={"type": "dummy", "password": "pw"})
    assert hub_entry_errors([entry], allow_dummy=True) == []
    assert hub_entry_errors([jhub(auth={"type": "dummy"})], allow_dummy=True) == [
        "hubs[0] (physics): auth type dummy needs auth.password (keep it in a vaulted variable)."]


def test_not_a_list():
    assert hub_entry_errors({"name": "x"}) == ["hubs must be a list of hub entries, got dict."]


def test_native_preset_adds_templates_and_admins():
    values = auth_values(jhub(), "http")
    config = values["hub"]["config"]
    assert config["JupyterHub"]["authenticator_class"] == "native"
    assert config["NativeAuthenticator"] == {"open_signup": False, "minimum_password_length": 10}
    # JupyterHub 5 lets nobody in without allow_all or allowed_users (found booting the real hub).
    assert config["Authenticator"] == {"admin_users": ["alice"], "allow_all": True}
    assert "nativeauthenticator" in values["hub"]["extraConfig"]["10-native-authenticator-templates"]
    limited = auth_values(jhub(auth={"type": "native", "allowed_users": ["bob"]}), "http")
    assert limited["hub"]["config"]["Authenticator"] == {"allowed_users": ["bob"], "allow_all": False}


def test_generic_groups_need_manage_groups():
    """oauthenticator 17 refuses allowed_groups without manage_groups (found booting the real hub)."""
    hub = jhub(auth={"type": "generic-oauth", "client_id": "c", "client_secret": "s",
                     "keycloak_realm_url": "https://sso.example.org/realms/r", "allowed_groups": ["lab"]})
    assert auth_values(hub)["hub"]["config"]["GenericOAuthenticator"]["manage_groups"] is True
    hub["auth"]["manage_groups"] = False
    errors = hub_entry_errors([hub])
    assert any("need auth.manage_groups true" in e for e in errors), errors


def test_github_preset_callback_and_orgs():
    hub = jhub(auth={"type": "github", "client_id": "cid", "client_secret": "sec",
                     "allowed_organizations": ["lab"], "admin_users": ["bob"]})
    config = auth_values(hub)["hub"]["config"]
    assert config["JupyterHub"]["authenticator_class"] == "github"
    assert config["GitHubOAuthenticator"] == {
        "client_id": "cid", "client_secret": "sec",
        "oauth_callback_url": "https://physics.hub.example.org/hub/oauth_callback",
        "allowed_organizations": ["lab"], "scope": ["read:org"]}


def test_binderhub_auth_goes_under_jupyterhub_and_uses_hub_host():
    values = auth_values(bhub())
    oauth = values["jupyterhub"]["hub"]["config"]["GitHubOAuthenticator"]
    assert oauth["oauth_callback_url"] == "https://hub.binder.example.org/hub/oauth_callback"
    values = auth_values(bhub(hub_host="jh.example.org"), "http")
    assert values["jupyterhub"]["hub"]["config"]["GitHubOAuthenticator"]["oauth_callback_url"] == \
        "http://jh.example.org/hub/oauth_callback"


def test_generic_oauth_from_keycloak_realm():
    hub = jhub(auth={"type": "generic-oauth", "client_id": "c", "client_secret": "s",
                     "keycloak_realm_url": "https://sso.example.org/realms/lab/", "allowed_groups": ["hub"]})
    oauth = auth_values(hub)["hub"]["config"]["GenericOAuthenticator"]
    assert oauth["authorize_url"] == "https://sso.example.org/realms/lab/protocol/openid-connect/auth"
    assert oauth["token_url"] == "https://sso.example.org/realms/lab/protocol/openid-connect/token"
    assert oauth["userdata_url"] == "https://sso.example.org/realms/lab/protocol/openid-connect/userinfo"
    assert oauth["allowed_groups"] == ["hub"]
    assert oauth["auth_state_groups_key"] == "oauth_user.groups"
    assert oauth["username_claim"] == "preferred_username"


def test_generic_oauth_from_auth0_domain_explicit_url_wins():
    hub = jhub(auth={"type": "generic-oauth", "client_id": "c", "client_secret": "s", "auth0_domain": "lab.eu.auth0.com",
                     "userdata_url": "https://other/userinfo"})
    oauth = auth_values(hub)["hub"]["config"]["GenericOAuthenticator"]
    assert oauth["authorize_url"] == "https://lab.eu.auth0.com/authorize"
    assert oauth["token_url"] == "https://lab.eu.auth0.com/oauth/token"
    assert oauth["userdata_url"] == "https://other/userinfo"


def test_lti13_preset():
    hub = jhub(auth={"type": "lti13", "client_id": "abc", "issuer": "https://moodle.example.org",
                     "authorize_url": "https://moodle.example.org/mod/lti/auth.php",
                     "jwks_endpoint": "https://moodle.example.org/mod/lti/certs.php"})
    config = auth_values(hub)["hub"]["config"]
    assert config["JupyterHub"]["authenticator_class"] == "ltiauthenticator.lti13.auth.LTI13Authenticator"
    assert config["LTI13Authenticator"]["client_id"] == ["abc"]
    assert config["Authenticator"]["allow_all"] is True


def test_gitlab_and_dummy_presets():
    hub = jhub(auth={"type": "gitlab", "client_id": "c", "client_secret": "s", "gitlab_url": "https://git.lab",
                     "allowed_gitlab_groups": ["physics"]})
    oauth = auth_values(hub)["hub"]["config"]["GitLabOAuthenticator"]
    assert oauth["gitlab_url"] == "https://git.lab" and oauth["allowed_gitlab_groups"] == ["physics"]
    config = auth_values(jhub(auth={"type": "dummy", "password": "pw"}))["hub"]["config"]
    assert config["DummyAuthenticator"] == {"password": "pw"}
    assert config["JupyterHub"]["authenticator_class"] == "dummy"


def test_public_binder_has_no_auth_values():
    assert auth_values({"name": "b", "kind": "binderhub", "host": "b.org", "public": True}) == {}


def test_preset_traits_exist_in_the_real_authenticators():
    """Every class/trait a preset writes must be a real configurable trait (where the packages are installed)."""
    pytest.importorskip("oauthenticator")
    pytest.importorskip("nativeauthenticator")
    pytest.importorskip("ltiauthenticator")
    from jupyterhub.app import JupyterHub
    from jupyterhub.auth import Authenticator, DummyAuthenticator
    from ltiauthenticator.lti13.auth import LTI13Authenticator
    from nativeauthenticator import NativeAuthenticator
    from oauthenticator.generic import GenericOAuthenticator
    from oauthenticator.github import GitHubOAuthenticator
    from oauthenticator.gitlab import GitLabOAuthenticator
    classes = {c.__name__: c for c in (JupyterHub, Authenticator, DummyAuthenticator, LTI13Authenticator,
                                       NativeAuthenticator, GenericOAuthenticator, GitHubOAuthenticator,
                                       GitLabOAuthenticator)}
    auths = [
        {"type": "native", "open_signup": True, "ask_email_on_signup": True, "allowed_users": ["a"]},
        {"type": "github", "client_id": "c", "client_secret": "s", "allowed_organizations": ["o"], "allow_all": False},
        {"type": "gitlab", "client_id": "c", "client_secret": "s", "gitlab_url": "u", "allowed_gitlab_groups": ["g"],
         "allowed_project_ids": [1], "scope": ["read_user"]},
        {"type": "generic-oauth", "client_id": "c", "client_secret": "s", "keycloak_realm_url": "https://k/r",
         "allowed_groups": ["g"], "admin_groups": ["a"], "manage_groups": True},
        {"type": "lti13", "client_id": "c", "issuer": "i", "authorize_url": "a", "jwks_endpoint": "j"},
        {"type": "dummy", "password": "p"},
    ]
    for auth in auths:
        auth["admin_users"] = ["root"]
        for cls_name, traits in auth_values(jhub(auth=auth))["hub"]["config"].items():
            cls = classes[cls_name]
            known = cls.class_traits(config=True)
            for trait in traits:
                assert trait in known, "%s.%s (auth type %s)" % (cls_name, trait, auth["type"])


def test_urls_and_hints():
    urls = hub_urls(jhub(), "http")
    assert urls["url"] == "http://physics.hub.example.org/"
    assert urls["api"] == "http://physics.hub.example.org/hub/api"
    assert hub_urls(bhub())["hub_host"] == "hub.binder.example.org"
    assert "hub/signup as alice" in admin_hint(jhub(), "https")
    assert "with github as" in admin_hint(bhub())
    assert "no admin_users set" in admin_hint(bhub())


@pytest.mark.parametrize("ref, expected", [
    ("quay.io/lab/physics:2026.11", {"name": "quay.io/lab/physics", "tag": "2026.11"}),
    ("registry:5000/lab/img", {"name": "registry:5000/lab/img", "tag": "latest"}),
    ("10.0.0.1:30500/binder/x-abc123:0123abcd", {"name": "10.0.0.1:30500/binder/x-abc123", "tag": "0123abcd"}),
    ({"name": "a/b", "tag": 3}, {"name": "a/b", "tag": "3"}),
])
def test_split_image(ref, expected):
    assert split_image(ref) == expected


def test_charts_needed_distinct_in_order():
    from ansible_collections.versatile.jupyter.plugins.module_utils.hub_config import charts_needed
    charts = {"jupyterhub": {"repo": "r", "version": "4.4.0"}, "binderhub": {"repo": "r", "version": "1.0"}}
    hubs = [jhub(), bhub(), jhub(name="chem", chart_version="4.3.0"), jhub(name="bio")]
    assert charts_needed(hubs, charts) == [
        {"name": "jupyterhub", "version": "4.4.0", "repo": "r"},
        {"name": "binderhub", "version": "1.0", "repo": "r"},
        {"name": "jupyterhub", "version": "4.3.0", "repo": "r"},
    ]


def test_shortcut_values_image_and_profiles():
    from ansible_collections.versatile.jupyter.plugins.module_utils.hub_config import shortcut_values
    assert shortcut_values(jhub()) == {}
    values = shortcut_values(jhub(image="quay.io/lab/py:1", profiles=[
        {"display_name": "R", "image": {"name": "quay.io/lab/r", "tag": "2"}, "default": True},
        {"display_name": "Big", "kubespawner_override": {"mem_limit": "8G"}}]))
    assert values == {"singleuser": {
        "image": {"name": "quay.io/lab/py", "tag": "1"},
        "profileList": [
            {"display_name": "R", "default": True, "kubespawner_override": {"image": "quay.io/lab/r:2"}},
            {"display_name": "Big", "kubespawner_override": {"mem_limit": "8G"}}]}}
    assert list(shortcut_values(bhub(image="a:b"))) == ["jupyterhub"]


def test_only_desktop_profiles_get_the_desktop_tolerations():
    from ansible_collections.versatile.jupyter.plugins.module_utils.hub_config import shortcut_values
    user = {"key": "hub.jupyter.org/dedicated", "operator": "Equal", "value": "user", "effect": "NoSchedule"}
    desktop = {"key": "versatile.jupyter/desktop", "operator": "Equal", "value": "true", "effect": "NoSchedule"}
    values = shortcut_values(jhub(profiles=[
        {"display_name": "Small", "default": True},
        {"display_name": "Evening", "desktops": True, "kubespawner_override": {"cpu_limit": 8}},
        {"display_name": "Not here", "desktops": False}]), [user, desktop])
    small, evening, not_here = values["singleuser"]["profileList"]
    assert small == {"display_name": "Small", "default": True}
    assert evening == {"display_name": "Evening",
                       "kubespawner_override": {"cpu_limit": 8, "tolerations": [user, desktop]}}
    assert not_here == {"display_name": "Not here"}     # the flag never reaches the chart


def test_desktops_flag_must_be_a_boolean():
    errors = hub_entry_errors([jhub(profiles=[{"display_name": "Evening", "desktops": "yes"}])])
    assert errors == ["hubs[0] (physics): profiles[0] (Evening): desktops must be true or false, got 'yes'."]


def test_servers_on_desktops_are_culled_sooner():
    from ansible_collections.versatile.jupyter.plugins.module_utils.hub_config import (
        desktop_cull_args, shortcut_values)
    assert desktop_cull_args(0) == [] and desktop_cull_args(None) == []
    assert desktop_cull_args(900) == ["--MappingKernelManager.cull_idle_timeout=900",
                                      "--MappingKernelManager.cull_interval=180",
                                      "--MappingKernelManager.cull_connected=True",
                                      "--ServerApp.shutdown_no_activity_timeout=900"]
    assert "--MappingKernelManager.cull_interval=10" in desktop_cull_args(30)
    values = shortcut_values(jhub(profiles=[
        {"display_name": "Small"},
        {"display_name": "Evening", "desktops": True, "kubespawner_override": {"args": ["--debug"]}}]),
        [], desktop_cull_timeout=600)
    small, evening = values["singleuser"]["profileList"]
    assert "kubespawner_override" not in small
    assert evening["kubespawner_override"]["args"] == ["--debug"] + desktop_cull_args(600)


def desktop_homes(hubs, common=None, homes="local-path", allow=False, local=("local-path",)):
    from ansible_collections.versatile.jupyter.plugins.module_utils.hub_config import desktop_home_errors
    return desktop_home_errors(hubs, common or {}, homes, allow, list(local))


EVENING = {"display_name": "Evening", "desktops": True}


def test_homes_never_on_a_desktops_own_disk():
    # No hub on desktops: any class will do.
    assert desktop_homes([jhub(profiles=[{"display_name": "Small"}])]) == []
    # A desktop profile with homes on local-path: refused, naming the profile and the class.
    errors = desktop_homes([jhub(profiles=[EVENING])])
    assert errors == ["hubs[0] (physics): its servers may run on lab desktops (profile 'Evening' has desktops: "
                      "true), but user homes are on storage class 'local-path', a volume on one node's own disk: "
                      "a home made while its server runs on a desktop would stay on that desktop. Put homes on a "
                      "shared class (cluster_homes_storage_class: nfs-homes with an NFS server in nfs_servers), or "
                      "keep the hub off the desktops."]
    assert desktop_homes([jhub(profiles=[EVENING])], homes="nfs-homes") == []
    # hub_allow_desktops puts every hub there; a BinderHub's values are under jupyterhub:.
    assert "hub_allow_desktops is true" in desktop_homes([bhub()], homes="nfs-homes", allow=True,
                                                         local=("nfs-homes",))[0]
    assert desktop_homes([bhub(values={"jupyterhub": {"singleuser": {"storage": {"type": "none"}}}})],
                         allow=True) == []


def test_a_hubs_own_values_cannot_put_desktop_homes_on_a_node():
    local = {"singleuser": {"storage": {"dynamic": {"storageClass": "local-path"}}}}
    assert desktop_homes([jhub(profiles=[EVENING], values=local)], homes="nfs-homes")
    assert desktop_homes([jhub(profiles=[EVENING])], common=local, homes="nfs-homes")
    shared = {"singleuser": {"storage": {"dynamic": {"storageClass": "nfs-homes"}}}}
    assert desktop_homes([jhub(profiles=[EVENING], values=shared)], common=local) == []
    host = {"singleuser": {"storage": {"extraVolumes": [{"name": "scratch", "hostPath": {"path": "/scratch"}}]}}}
    errors = desktop_homes([jhub(profiles=[EVENING], values=host)], homes="nfs-homes")
    assert len(errors) == 1 and "extraVolumes 'scratch' are hostPath volumes" in errors[0]


def test_values_files_resolved_from_the_inventory_folder(tmp_path):
    from ansible_collections.versatile.jupyter.plugins.module_utils.hub_config import (
        missing_values_files, values_file_layer)
    (tmp_path / "files").mkdir()
    (tmp_path / "files" / "physics.values.yaml").write_text("singleuser: {}\n")
    hubs = [jhub(values_files=["files/physics.values.yaml", "files/nope.yaml"])]
    assert missing_values_files(hubs, str(tmp_path)) == [
        "hubs[0] (physics): values file files/nope.yaml not found (looked for %s/files/nope.yaml; relative "
        "paths start at the inventory folder)." % tmp_path]
    assert values_file_layer("files/physics.values.yaml", str(tmp_path)) == {
        "name": "files/physics.values.yaml", "values": "singleuser: {}\n"}


def test_shared_nfs_volume():
    from ansible_collections.versatile.jupyter.plugins.module_utils.hub_config import nfs_volume, nfs_volume_mount
    vol = {"name": "projects", "server": "nfs.lab", "path": "/srv/p", "mount_path": "/home/jovyan/p"}
    assert nfs_volume(vol) == {"name": "projects", "nfs": {"server": "nfs.lab", "path": "/srv/p", "readOnly": False}}
    assert nfs_volume_mount(dict(vol, read_only=True)) == {"name": "projects", "mountPath": "/home/jovyan/p",
                                                           "readOnly": True}


# ------------------------------------------------------------------------------------- values layers

def test_values_layers_order_names_and_secrets(tmp_path):
    """The contract of the hub role: defaults, common values, shortcuts, values files, values, auth."""
    from ansible_collections.versatile.jupyter.plugins.module_utils.hub_config import values_layers
    (tmp_path / "a.yaml").write_text("hub:\n  baseUrl: /a\n")
    (tmp_path / "b.yaml").write_text("hub:\n  baseUrl: /b\n")
    hub = jhub(image="quay.io/lab/physics:2026.11", values_files=["a.yaml", "b.yaml"],
               values={"singleuser": {"defaultUrl": "/lab"}})
    layers = values_layers(hub, {"proxy": {"service": {"type": "ClusterIP"}}}, {"cull": {"timeout": 60}},
                           str(tmp_path), "http", registry_credentials={"username": "u", "password": "p"})
    assert [layer["name"] for layer in layers] == [
        "defaults:jupyterhub", "hub_common_values", "hubs[physics].image/profiles", "a.yaml", "b.yaml",
        "hubs[physics].values", "hubs[physics].auth"]
    assert [layer.get("secret", False) for layer in layers] == [False] * 6 + [True]
    assert layers[0]["values"] == {"proxy": {"service": {"type": "ClusterIP"}}}
    assert layers[1]["values"] == {"cull": {"timeout": 60}}
    assert layers[2]["values"] == {"singleuser": {"image": {"name": "quay.io/lab/physics", "tag": "2026.11"}}}
    assert layers[3]["values"] == "hub:\n  baseUrl: /a\n" and layers[4]["values"] == "hub:\n  baseUrl: /b\n"
    assert layers[5]["values"] == {"singleuser": {"defaultUrl": "/lab"}}
    assert layers[6]["values"] == auth_values(hub, "http")


def test_values_layers_of_a_binderhub_nest_common_values_and_carry_registry_credentials():
    from ansible_collections.versatile.jupyter.plugins.module_utils.hub_config import values_layers
    layers = values_layers(bhub(), {"service": {"type": "ClusterIP"}}, {"cull": {"timeout": 60}},
                           registry_credentials={"username": "builder", "password": "pw"})
    assert [layer["name"] for layer in layers] == [
        "defaults:binderhub", "cluster registry credentials", "hub_common_values", "hubs[binder].image/profiles",
        "hubs[binder].values", "hubs[binder].auth"]
    assert layers[1] == {"name": "cluster registry credentials", "secret": True,
                         "values": {"registry": {"username": "builder", "password": "pw"}}}
    assert layers[2]["values"] == {"jupyterhub": {"cull": {"timeout": 60}}}
    assert [layer["name"] for layer in values_layers(bhub(), {})][1] == "hub_common_values"
    assert values_layers(bhub(), {})[1]["values"] == {"jupyterhub": {}}


def test_values_layers_filter_refuses_an_incomplete_entry_and_a_missing_file(tmp_path):
    from ansible.errors import AnsibleFilterError
    from ansible_collections.versatile.jupyter.plugins.filter.hub_config import FilterModule
    layers = FilterModule().filters()["hub_values_layers"]
    with pytest.raises(AnsibleFilterError, match=r"hub_values_layers: hub 'physics' has an incomplete entry"):
        layers(jhub(auth={"type": "github"}), {})
    with pytest.raises(AnsibleFilterError, match=r"hub 'physics': cannot read values file .*nope.yaml"):
        layers(jhub(values_files=["nope.yaml"]), {}, values_dir=str(tmp_path))
