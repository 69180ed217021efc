"""auth.admin_password (native sign-up) with the real JupyterHub and NativeAuthenticator 1.3.0.

The hub values that `auth_values` builds for a native hub with `admin_password` are run as the chart runs
them: the extraConfig snippet is executed with the chart's own z2jh helper (files/hub/z2jh.py of the real
z2jh 4.4.0 chart, from ../shared/upstream) reading these values instead of the mounted hub Secret, and the
authenticator class it sets is instantiated as JupyterHub 5 does (`authenticator_class(parent=...,
_deprecated_db_session=db)`) on a real JupyterHub database. What must hold: the admin account exists from the
first start with that password, nobody can sign up under the admin's name, a restart never replaces the
password (nor one the admin changed), and a password NativeAuthenticator would refuse stops the hub.
"""
import asyncio
import importlib.util
import os
import sys

import pytest

from ansible_collections.versatile.jupyter.plugins.module_utils.hub_config import auth_values

jupyterhub_orm = pytest.importorskip("jupyterhub.orm", reason="jupyterhub is not installed (requirements.txt)")
pytest.importorskip("nativeauthenticator", reason="jupyterhub-nativeauthenticator is not installed")
traitlets_config = pytest.importorskip("traitlets.config")

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
Z2JH = os.path.join(os.path.dirname(REPO), "shared", "upstream", "charts", "jupyterhub-4.4.0", "files", "hub",
                    "z2jh.py")
PASSWORD = "initial-admin-password-4f9a"


def hub_values(password=PASSWORD):
    hub = {"name": "jupyter", "kind": "jupyterhub", "host": "jupyter.localhost",
           "auth": {"type": "native", "admin_users": ["admin"], "open_signup": False, "admin_password": password}}
    return auth_values(hub, "http")


def start_hub(values, db):
    """What the hub pod does at start with these values: z2jh's jupyterhub_config.py applies hub.config, then
    runs hub.extraConfig; JupyterHub then creates the authenticator with its database session."""
    if not os.path.isfile(Z2JH):
        pytest.skip("the z2jh chart's z2jh.py is not at %s" % Z2JH)
    spec = importlib.util.spec_from_file_location("z2jh", Z2JH)
    z2jh = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(z2jh)
    z2jh._load_config = lambda: values  # the values the chart mounts from the hub Secret
    sys.modules["z2jh"] = z2jh
    try:
        config = traitlets_config.Config()
        for section, settings in values["hub"]["config"].items():
            config[section].update(settings)
        for _name, source in sorted(values["hub"]["extraConfig"].items()):
            exec(source, {"c": config})  # pylint: disable=exec-used  (as the chart's jupyterhub_config.py does)
        cls = config.JupyterHub.authenticator_class
        return cls(config=config, _deprecated_db_session=db)
    finally:
        del sys.modules["z2jh"]


def login(authenticator, username, password):
    return asyncio.run(authenticator.authenticate(None, {"username": username, "password": password}))


@pytest.fixture
def db(tmp_path):
    return jupyterhub_orm.new_session_factory("sqlite:///%s" % (tmp_path / "jupyterhub.sqlite"))()


def test_the_admin_exists_from_the_first_start_and_nobody_can_take_the_name(db):
    hub = start_hub(hub_values(), db)
    assert type(hub).__mro__[1].__name__ == "NativeAuthenticator"
    assert hub.user_exists("admin") and hub.get_user("admin").is_authorized
    assert login(hub, "admin", PASSWORD) == "admin"
    # Someone else signing up as admin first: NativeAuthenticator refuses the taken name.
    assert hub.create_user("admin", "somebody-elses-password") is None
    assert login(hub, "admin", "somebody-elses-password") is None
    # Other users still sign up and wait for an admin's approval (open_signup false).
    assert hub.create_user("bob", "bobs-long-password") is not None
    assert login(hub, "bob", "bobs-long-password") is None


def test_a_restart_keeps_the_admins_password(db):
    first = start_hub(hub_values(), db)
    first.change_password("admin", "changed-by-the-admin-77")
    again = start_hub(hub_values(), db)
    assert login(again, "admin", "changed-by-the-admin-77") == "admin"
    assert login(again, "admin", PASSWORD) is None


def test_a_password_nativeauthenticator_refuses_stops_the_hub(db):
    with pytest.raises(ValueError, match="admin account admin could not be created"):
        start_hub(hub_values("short"), db)
