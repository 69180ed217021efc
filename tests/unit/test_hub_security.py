"""Security checks of the hub role's plain functions: TLS refusal for network hosts, the native initial
admin (auth.admin_password) and the scrubbing of a failed helm run's message."""
from ansible_collections.versatile.jupyter.plugins.module_utils.hub_config import (
    NATIVE_INITIAL_ADMINS, admin_hint, auth_values, hub_entry_errors, plain_http_hosts, tls_errors)
from ansible_collections.versatile.jupyter.plugins.module_utils.hub_secrets import (
    helm_failure, layer_secrets, scrub)

LAB = {"name": "physics", "kind": "jupyterhub", "host": "physics.lab.example.org", "auth": {"type": "native"}}
BINDER = {"name": "binder", "kind": "binderhub", "host": "binder.localhost", "hub_host": "hub.lab.example.org",
          "auth": {"type": "native"}}
LOCAL = {"name": "jupyter", "kind": "jupyterhub", "host": "jupyter.localhost", "auth": {"type": "native"}}


def test_network_host_without_tls_is_refused_unless_cluster_tls_none_is_set():
    errors = tls_errors([LAB, LOCAL], "none", tls_set=False)
    assert len(errors) == 1
    assert "cluster_tls" in errors[0] and "physics.lab.example.org" in errors[0]
    assert "jupyter.localhost" not in errors[0]
    assert tls_errors([LAB], "none", tls_set=True) == []
    assert tls_errors([LAB], "acme", tls_set=False) == []


def test_localhost_hubs_and_the_binder_hub_host():
    assert tls_errors([LOCAL, dict(LOCAL, name="x", host="localhost")], "none", tls_set=False) == []
    assert plain_http_hosts([BINDER], "none") == ["hub.lab.example.org"]
    assert plain_http_hosts([BINDER], "secret") == []
    assert plain_http_hosts(["not-a-mapping", {"name": "broken"}], "none") == []


def test_admin_password_creates_the_admins_and_is_checked_without_being_shown():
    hub = dict(LOCAL, auth={"type": "native", "admin_users": ["admin"], "admin_password": "p" * 24})
    assert hub_entry_errors([hub]) == []
    values = auth_values(hub)
    assert values["custom"]["versatileJupyter"]["initialAdminPassword"] == "p" * 24
    assert values["hub"]["extraConfig"]["20-native-initial-admins"] == NATIVE_INITIAL_ADMINS
    assert "hub/login as admin" in admin_hint(hub, "http") and "p" * 24 not in admin_hint(hub, "http")
    binder = dict(BINDER, host="binder.localhost", hub_host="hub.binder.localhost", auth=hub["auth"])
    assert auth_values(binder)["jupyterhub"]["custom"]["versatileJupyter"]["initialAdminPassword"] == "p" * 24

    short = dict(LOCAL, auth={"type": "native", "admin_users": ["admin"], "admin_password": "short-pw"})
    errors = hub_entry_errors([short])
    assert len(errors) == 1 and "admin_password" in errors[0] and "short-pw" not in errors[0]
    lonely = dict(LOCAL, auth={"type": "native", "admin_password": "long-enough-password"})
    assert any("admin_users" in e for e in hub_entry_errors([lonely]))
    assert "sign up" in admin_hint(LOCAL, "http")


LAYERS = [
    {"name": "defaults:jupyterhub", "values": {"proxy": {"service": {"type": "ClusterIP"}}}},
    {"name": "hubs[physics].values", "values": {"proxy": {"secretToken": "marker-proxy-token"},
                                                "hub": {"cookieSecret": "marker-cookie-secret"}}},
    {"name": "files/x.yaml", "values": "hub:\n  config:\n    GitHubOAuthenticator:\n      client_secret: marker-file\n"},
    {"name": "hubs[physics].auth", "secret": True,
     "values": {"hub": {"config": {"GitHubOAuthenticator": {"client_id": "marker-client-id"}}}}},
]


def test_layer_secrets_finds_secret_names_and_secret_layers():
    found = layer_secrets(LAYERS)
    for marker in ("marker-proxy-token", "marker-cookie-secret", "marker-file", "marker-client-id"):
        assert marker in found
    assert "ClusterIP" not in found
    assert layer_secrets([{"name": "bad", "values": "a: [unclosed"}]) == []


def test_helm_failure_is_scrubbed_and_says_why():
    result = {"failed": True, "msg": "Failure when executing Helm command. Exited 1.",
              "stderr": "Error: UPGRADE FAILED: secretToken marker-proxy-token is bad\n"
                        "-----BEGIN PRIVATE KEY-----\nMIIEabc\n-----END PRIVATE KEY-----\n",
              "command": "helm upgrade physics", "values": {"proxy": {"secretToken": "marker-proxy-token"}}}
    text = helm_failure(result, LAYERS)
    assert "UPGRADE FAILED" in text and "Exited 1" in text
    assert "marker-proxy-token" not in text and "MIIEabc" not in text
    assert helm_failure({}, LAYERS) == "no message from the helm module"
    assert scrub("a marker-file b", ["marker-file", "x"]) == "a ******** b"
