# -*- coding: utf-8 -*-
# Copyright: (c) 2026, versatile.jupyter contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Plain functions behind the `hub` role: check the `hubs` entries and turn an `auth` preset into Helm values.

Nothing here talks to a cluster. `hub_entry_errors` returns every problem of every entry at once, so that the
role can refuse a bad inventory before any release is touched; `auth_values` builds the `hub.config` part of a
hub's values for one authentication preset (for a BinderHub under `jupyterhub:`); `hub_urls` says where a hub
answers.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import re

from ansible_collections.versatile.jupyter.plugins.module_utils.hub_values_merge import merge_maps
from ansible_collections.versatile.jupyter.plugins.module_utils.image_ref import parse_image

KINDS = ("jupyterhub", "binderhub")
# Pod Security Standards levels, the least strict first (an entry's pod_security: its namespace's enforce level).
POD_SECURITY_LEVELS = ("privileged", "baseline", "restricted")

# Keys a hub entry may have. A typo (`value:` for `values:`) is reported instead of silently ignored.
ENTRY_KEYS = (
    "name", "kind", "host", "hub_host", "auth", "values_files", "values", "chart_version", "public",
    "image", "profiles", "admin_users", "pod_security",
)

# Auth presets: the fields each needs, which of them are secrets, and which are allowed at all.
AUTH_PRESETS = {
    "native": {
        "required": (),
        "secrets": ("admin_password",),
        "optional": ("open_signup", "minimum_password_length", "ask_email_on_signup", "allowed_users",
                     "admin_password"),
    },
    "github": {
        "required": ("client_id", "client_secret"),
        "secrets": ("client_secret",),
        "optional": ("allowed_organizations", "allowed_users", "allow_all", "scope"),
    },
    "gitlab": {
        "required": ("client_id", "client_secret"),
        "secrets": ("client_secret",),
        "optional": ("gitlab_url", "allowed_gitlab_groups", "allowed_project_ids", "allowed_users", "allow_all",
                     "scope"),
    },
    "generic-oauth": {
        "required": ("client_id", "client_secret"),
        "secrets": ("client_secret",),
        "optional": ("authorize_url", "token_url", "userdata_url", "keycloak_realm_url", "auth0_domain",
                     "username_claim", "scope", "login_service", "allowed_groups", "admin_groups",
                     "auth_state_groups_key", "allowed_users", "allow_all", "manage_groups"),
    },
    "lti13": {
        "required": ("client_id", "issuer", "authorize_url", "jwks_endpoint"),
        "secrets": (),
        "optional": ("username_key", "allowed_users", "allow_all"),
    },
    "dummy": {
        "required": ("password",),
        "secrets": ("password",),
        "optional": ("allowed_users",),
    },
}
AUTH_COMMON = ("type", "admin_users")

AUTHENTICATOR_CLASS = {
    "native": "native",
    "github": "github",
    "gitlab": "gitlab",
    "generic-oauth": "generic-oauth",
    "lti13": "ltiauthenticator.lti13.auth.LTI13Authenticator",
    "dummy": "dummy",
}
CONFIG_CLASS = {
    "native": "NativeAuthenticator",
    "github": "GitHubOAuthenticator",
    "gitlab": "GitLabOAuthenticator",
    "generic-oauth": "GenericOAuthenticator",
    "lti13": "LTI13Authenticator",
    "dummy": "DummyAuthenticator",
}

# A Helm release name (at most 53 characters) that is also a valid namespace (RFC 1123 label).
NAME_RE = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
NAME_MAX = 53
# A DNS host name: labels of letters, digits and hyphens. No scheme, port or path.
HOST_RE = re.compile(r"^(?=.{1,253}$)([a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?)(\.[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?)*$")

NATIVE_TEMPLATES = (
    "import os, nativeauthenticator\n"
    "c.JupyterHub.template_paths = [os.path.join(os.path.dirname(nativeauthenticator.__file__), 'templates')]\n"
)

# auth.admin_password (native): the admin_users accounts are created with it when the hub starts and they do not
# exist yet, so that nobody can sign up under an admin's name first. The password reaches the hub in its values
# (the chart keeps them in the hub's Secret) under custom.versatileJupyter.initialAdminPassword.
NATIVE_INITIAL_ADMINS_KEY = "initialAdminPassword"
NATIVE_INITIAL_ADMINS = (
    "from nativeauthenticator import NativeAuthenticator as _NativeAuthenticator\n"
    "from z2jh import get_config as _get_config\n"
    "\n"
    "\n"
    "class InitialAdminsNativeAuthenticator(_NativeAuthenticator):\n"
    "    \"\"\"NativeAuthenticator whose admin_users accounts exist from the hub's first start (versatile.jupyter).\"\"\"\n"
    "\n"
    "    def __init__(self, *args, **kwargs):\n"
    "        super().__init__(*args, **kwargs)\n"
    "        password = _get_config('custom.versatileJupyter.initialAdminPassword')\n"
    "        for name in sorted(self.admin_users):\n"
    "            if password and not self.user_exists(name) and self.create_user(name, password) is None:\n"
    "                raise ValueError('admin account %s could not be created: auth.admin_password is shorter '\n"
    "                                 'than minimum_password_length or the name is not valid' % name)\n"
    "\n"
    "\n"
    "c.JupyterHub.authenticator_class = InitialAdminsNativeAuthenticator\n"
)


def _label(index, entry):
    name = entry.get("name") if isinstance(entry, dict) else None
    return "hubs[%d]%s" % (index, " (%s)" % name if isinstance(name, str) and name else "")


def _blank(value):
    return value is None or (isinstance(value, str) and not value.strip())


def _auth_errors(label, auth, kind, allow_dummy):
    errors = []
    if not isinstance(auth, dict):
        return ["%s: auth must be a mapping with a `type`, got %s." % (label, type(auth).__name__)]
    atype = auth.get("type")
    if atype not in AUTH_PRESETS:
        return ["%s: auth.type must be one of %s, got %r." % (label, ", ".join(sorted(AUTH_PRESETS)), atype)]
    preset = AUTH_PRESETS[atype]
    allowed = set(AUTH_COMMON) | set(preset["required"]) | set(preset["optional"])
    for key in sorted(set(auth) - allowed):
        errors.append("%s: auth.%s is not a setting of auth type %s (allowed: %s)."
                      % (label, key, atype, ", ".join(sorted(allowed - {"type"}))))
    for key in preset["required"]:
        if _blank(auth.get(key)):
            hint = " (keep it in a vaulted variable)" if key in preset["secrets"] else ""
            errors.append("%s: auth type %s needs auth.%s%s." % (label, atype, key, hint))
    if atype == "generic-oauth":
        shorthand = [k for k in ("keycloak_realm_url", "auth0_domain") if not _blank(auth.get(k))]
        explicit = [k for k in ("authorize_url", "token_url", "userdata_url") if not _blank(auth.get(k))]
        if len(shorthand) > 1:
            errors.append("%s: give auth.keycloak_realm_url or auth.auth0_domain, not both." % label)
        if not shorthand and len(explicit) < 3:
            missing = [k for k in ("authorize_url", "token_url", "userdata_url") if k not in explicit]
            errors.append("%s: auth type generic-oauth needs auth.%s (there is no OIDC discovery), or "
                          "auth.keycloak_realm_url / auth.auth0_domain to derive them."
                          % (label, ", auth.".join(missing)))
    if atype == "generic-oauth" and auth.get("manage_groups") is False and any(
            key in auth for key in ("allowed_groups", "admin_groups", "auth_state_groups_key")):
        errors.append("%s: auth.allowed_groups, auth.admin_groups and auth.auth_state_groups_key need "
                      "auth.manage_groups true (oauthenticator refuses to start otherwise)." % label)
    if atype == "dummy" and not allow_dummy:
        errors.append("%s: auth type dummy lets anyone in with one shared password; it is only allowed on "
                      "the local all-in-one (set hub_allow_dummy_auth: true there)." % label)
    if atype == "native" and auth.get("admin_password") is not None:
        password = auth.get("admin_password")
        minimum = auth.get("minimum_password_length", 10)
        if not auth.get("admin_users"):
            errors.append("%s: auth.admin_password needs auth.admin_users (the accounts it creates)." % label)
        if not isinstance(password, str) or (isinstance(minimum, int) and len(password) < minimum):
            errors.append("%s: auth.admin_password must be a text of at least %s characters "
                          "(minimum_password_length); it is not shown here." % (label, minimum))
    admins = auth.get("admin_users")
    if admins is not None and not (isinstance(admins, list) and all(isinstance(a, str) and a for a in admins)):
        errors.append("%s: auth.admin_users must be a list of user names." % label)
    return errors


def hub_entry_errors(hubs, allow_dummy=False):
    """Every problem of the `hubs` list, as clear messages (an empty list when all entries are good)."""
    if hubs is None:
        return []
    if not isinstance(hubs, list):
        return ["hubs must be a list of hub entries, got %s." % type(hubs).__name__]
    errors = []
    names = {}
    hosts = {}
    for index, entry in enumerate(hubs):
        label = _label(index, entry)
        if not isinstance(entry, dict):
            errors.append("%s: each hub entry must be a mapping, got %s." % (label, type(entry).__name__))
            continue
        for key in sorted(set(entry) - set(ENTRY_KEYS)):
            errors.append("%s: unknown key %r (allowed: %s)." % (label, key, ", ".join(ENTRY_KEYS)))
        name = entry.get("name")
        if _blank(name) or not isinstance(name, str):
            errors.append("%s: name is missing; it is the Helm release name and the namespace." % label)
        elif not NAME_RE.match(name) or len(name) > NAME_MAX:
            errors.append("%s: name %r must be lowercase letters, digits and '-', start and end with a letter "
                          "or digit, at most %d characters (it is the Helm release name and the namespace)."
                          % (label, name, NAME_MAX))
        elif name in names:
            errors.append("%s: name %r is already used by hubs[%d]; each hub needs its own name."
                          % (label, name, names[name]))
        else:
            names[name] = index
        kind = entry.get("kind")
        if kind not in KINDS:
            errors.append("%s: kind must be one of %s, got %r." % (label, ", ".join(KINDS), kind))
        host_keys = ["host"] + (["hub_host"] if kind == "binderhub" else [])
        if kind != "binderhub" and entry.get("hub_host") is not None:
            errors.append("%s: hub_host is only for kind binderhub (its JupyterHub's address)." % label)
        for key in host_keys:
            host = entry.get(key)
            if key == "hub_host" and host is None:
                continue
            if _blank(host) or not isinstance(host, str):
                errors.append("%s: %s is missing; hubs are routed by host name (for example "
                              "jupyter.example.org)." % (label, key))
            elif not HOST_RE.match(host):
                errors.append("%s: %s %r must be a lowercase DNS name without scheme, port or path."
                              % (label, key, host))
            elif host in hosts:
                errors.append("%s: %s %r is already used by %s." % (label, key, host, hosts[host]))
            else:
                hosts[host] = "hubs[%d].%s" % (index, key)
        auth = entry.get("auth")
        public = entry.get("public", False)
        if not isinstance(public, bool):
            errors.append("%s: public must be true or false." % label)
        elif public and kind != "binderhub":
            errors.append("%s: public applies to kind binderhub only (an anonymous Binder)." % label)
        elif public and auth is not None:
            errors.append("%s: a public (anonymous) Binder has no auth; remove auth or public." % label)
        elif auth is None and not public:
            errors.append("%s: auth is missing (native, github, gitlab, generic-oauth, lti13%s)%s."
                          % (label, ", dummy" if allow_dummy else "",
                             "; or set public: true for an anonymous Binder" if kind == "binderhub" else ""))
        if auth is not None:
            errors.extend(_auth_errors(label, auth, kind, allow_dummy))
        files = entry.get("values_files", [])
        if not isinstance(files, list) or not all(isinstance(f, str) and f for f in files):
            errors.append("%s: values_files must be a list of file paths." % label)
        values = entry.get("values", {})
        if values is not None and not isinstance(values, dict):
            errors.append("%s: values must be a mapping of Helm values, got %s." % (label, type(values).__name__))
        level = entry.get("pod_security")
        if level is not None and level not in POD_SECURITY_LEVELS:
            errors.append("%s: pod_security (the Pod Security level its namespace enforces) must be one of %s, "
                          "got %r." % (label, ", ".join(POD_SECURITY_LEVELS), level))
        version = entry.get("chart_version")
        if version is not None and (not isinstance(version, str) or _blank(version)):
            errors.append("%s: chart_version must be a quoted version string such as \"4.4.0\"." % label)
        image = entry.get("image")
        if image is not None and not (isinstance(image, str) and image) and not (
                isinstance(image, dict) and isinstance(image.get("name"), str) and image.get("name")):
            errors.append("%s: image must be a reference \"name:tag\" or a mapping with name and tag." % label)
        profiles = entry.get("profiles")
        if profiles is not None:
            if not isinstance(profiles, list) or not all(
                    isinstance(p, dict) and isinstance(p.get("display_name"), str) for p in profiles):
                errors.append("%s: profiles must be a list of mappings, each with a display_name." % label)
            else:
                for index, profile in enumerate(profiles):
                    if "desktops" in profile and not isinstance(profile["desktops"], bool):
                        errors.append("%s: profiles[%d] (%s): desktops must be true or false, got %r."
                                      % (label, index, profile["display_name"], profile["desktops"]))
    return errors


def hub_hosts(hub):
    """The host names a hub answers on: its host and, for a BinderHub, its JupyterHub's."""
    if not isinstance(hub, dict) or not isinstance(hub.get("host"), str):
        return []
    return [hub["host"], hub_urls(hub)["hub_host"]] if hub.get("kind") == "binderhub" else [hub["host"]]


def is_local_host(host):
    """True for names that only ever reach the machine itself: localhost and *.localhost (RFC 6761)."""
    return isinstance(host, str) and (host == "localhost" or host.endswith(".localhost"))


def plain_http_hosts(hubs, tls):
    """The hosts other than *.localhost that the hubs serve over plain http (``tls`` is none)."""
    if tls != "none" or not isinstance(hubs, list):
        return []
    return [host for hub in hubs for host in hub_hosts(hub) if not is_local_host(host)]


def tls_errors(hubs, tls, tls_set):
    """A hub on a network name without TLS is refused unless the inventory set ``cluster_tls: none``
    itself (``tls_set``): logins, passwords and tokens would cross the network in clear."""
    hosts = plain_http_hosts(hubs, tls)
    if not hosts or tls_set:
        return []
    return ["cluster_tls is not set, so these hubs would be served over plain http: %s. Logins, passwords "
            "and tokens would cross the network in clear. Set cluster_tls to acme (a Let's Encrypt certificate "
            "per hub) or secret (the institution's certificate), or write cluster_tls: none in the inventory "
            "on purpose (TLS ended in front of the cluster); only *.localhost hubs are served over http "
            "without it." % ", ".join(hosts)]


def split_image(image):
    """`name:tag` (or a mapping) to {name, tag} as the chart takes an image (image_ref.parse_image reads it)."""
    if isinstance(image, dict):
        return {"name": image["name"], "tag": str(image.get("tag") or "latest")}
    ref = parse_image(image)
    return {"name": ref.name, "tag": ref.tag or "latest"}


def hub_urls(hub, scheme="https"):
    """Where a hub answers: `url` (what users open), `hub_url` (its JupyterHub) and `api` (the hub API)."""
    host = hub["host"]
    hub_host = hub.get("hub_host") or ("hub." + host if hub.get("kind") == "binderhub" else host)
    url = "%s://%s/" % (scheme, host)
    hub_url = "%s://%s/" % (scheme, hub_host)
    return {"url": url, "hub_url": hub_url, "hub_host": hub_host, "api": hub_url + "hub/api",
            "callback": hub_url + "hub/oauth_callback"}


def _generic_endpoints(auth):
    realm = (auth.get("keycloak_realm_url") or "").rstrip("/")
    domain = (auth.get("auth0_domain") or "").strip("/")
    if realm:
        base = realm + "/protocol/openid-connect"
        derived = {"authorize_url": base + "/auth", "token_url": base + "/token", "userdata_url": base + "/userinfo"}
    elif domain:
        base = domain if domain.startswith("https://") else "https://" + domain
        derived = {"authorize_url": base + "/authorize", "token_url": base + "/oauth/token",
                   "userdata_url": base + "/userinfo"}
    else:
        derived = {}
    for key in ("authorize_url", "token_url", "userdata_url"):
        if auth.get(key):
            derived[key] = auth[key]
    return derived


def auth_values(hub, scheme="https"):
    """The Helm values an `auth` preset stands for (under `jupyterhub:` for a BinderHub).

    Secrets (client secrets, the dummy password) are in the result: the caller passes it as a secret layer.
    """
    auth = hub.get("auth")
    if not auth:
        return {}
    atype = auth["type"]
    urls = hub_urls(hub, scheme)
    cls = CONFIG_CLASS[atype]
    config = {"JupyterHub": {"authenticator_class": AUTHENTICATOR_CLASS[atype]}}
    settings = {}
    admins = list(auth.get("admin_users") or hub.get("admin_users") or [])
    authenticator = {}
    if admins:
        authenticator["admin_users"] = admins
    extra_config = {}
    custom = {}
    if atype == "native":
        settings["open_signup"] = bool(auth.get("open_signup", False))
        settings["minimum_password_length"] = int(auth.get("minimum_password_length", 10))
        if "ask_email_on_signup" in auth:
            settings["ask_email_on_signup"] = bool(auth["ask_email_on_signup"])
        extra_config["10-native-authenticator-templates"] = NATIVE_TEMPLATES
        # JupyterHub 5 lets in only allowed_users unless allow_all is set, admins included; NativeAuthenticator's
        # own gate is the admin's approval of each sign-up, so everyone it authenticates is allowed.
        authenticator["allow_all"] = "allowed_users" not in auth
        if auth.get("admin_password"):
            extra_config["20-native-initial-admins"] = NATIVE_INITIAL_ADMINS
            custom = {"versatileJupyter": {NATIVE_INITIAL_ADMINS_KEY: auth["admin_password"]}}
    elif atype in ("github", "gitlab", "generic-oauth"):
        settings["client_id"] = auth["client_id"]
        settings["client_secret"] = auth["client_secret"]
        settings["oauth_callback_url"] = urls["callback"]
        if atype == "generic-oauth":
            settings.update(_generic_endpoints(auth))
            settings["username_claim"] = auth.get("username_claim", "preferred_username")
            settings["scope"] = list(auth.get("scope") or ["openid", "profile", "email"])
            settings["login_service"] = auth.get("login_service", "institution")
            for key in ("allowed_groups", "admin_groups", "auth_state_groups_key", "manage_groups"):
                if key in auth:
                    settings[key] = auth[key]
            if "allowed_groups" in auth and "auth_state_groups_key" not in auth:
                settings["auth_state_groups_key"] = "oauth_user.groups"
            # oauthenticator 17 (the hub image's) refuses to start with allowed_groups, admin_groups or
            # auth_state_groups_key unless manage_groups is true: the hub's groups then follow the provider's.
            if any(key in settings for key in ("allowed_groups", "admin_groups", "auth_state_groups_key")):
                settings.setdefault("manage_groups", True)
        elif atype == "github":
            if "allowed_organizations" in auth:
                settings["allowed_organizations"] = list(auth["allowed_organizations"])
                settings["scope"] = list(auth.get("scope") or ["read:org"])
            elif "scope" in auth:
                settings["scope"] = list(auth["scope"])
        else:
            for key in ("gitlab_url", "allowed_project_ids", "scope"):
                if key in auth:
                    settings[key] = auth[key]
            if "allowed_gitlab_groups" in auth:
                settings["allowed_gitlab_groups"] = list(auth["allowed_gitlab_groups"])
        if "allow_all" in auth:
            authenticator["allow_all"] = bool(auth["allow_all"])
    elif atype == "lti13":
        client_id = auth["client_id"]
        settings["client_id"] = list(client_id) if isinstance(client_id, list) else [client_id]
        for key in ("issuer", "authorize_url", "jwks_endpoint"):
            settings[key] = auth[key]
        settings["username_key"] = auth.get("username_key", "sub")
        authenticator["allow_all"] = bool(auth.get("allow_all", True))
    elif atype == "dummy":
        settings["password"] = auth["password"]
        authenticator["allow_all"] = True
    if "allowed_users" in auth:
        authenticator["allowed_users"] = list(auth["allowed_users"])
    config[cls] = settings
    if authenticator:
        config["Authenticator"] = authenticator
    hub_values = {"config": config}
    if extra_config:
        hub_values["extraConfig"] = extra_config
    values = {"hub": hub_values}
    if custom:
        values["custom"] = custom
    if hub.get("kind") == "binderhub":
        return {"jupyterhub": values}
    return values


def admin_hint(hub, scheme="https"):
    """One line telling an administrator how to log in as admin."""
    auth = hub.get("auth") or {}
    urls = hub_urls(hub, scheme)
    admins = list(auth.get("admin_users") or hub.get("admin_users") or [])
    who = ", ".join(admins) if admins else "(no admin_users set: add auth.admin_users)"
    atype = auth.get("type")
    if not auth:
        return "anonymous Binder: no login; the hub's admin page is not exposed to users."
    if atype == "native" and auth.get("admin_password"):
        return ("log in at %shub/login as %s with the password of auth.admin_password (the account exists "
                "from the hub's first start; change it at %shub/change-password); approve other users at "
                "%shub/authorize." % (urls["hub_url"], who, urls["hub_url"], urls["hub_url"]))
    if atype == "native":
        return ("sign up at %shub/signup as %s (admins are authorised at sign-up), then log in at %shub/login; "
                "approve other users at %shub/authorize." % (urls["hub_url"], who, urls["hub_url"], urls["hub_url"]))
    if atype == "dummy":
        return ("log in at %shub/login as %s with the shared dummy password (auth.password); local testing only."
                % (urls["hub_url"], who))
    if atype == "lti13":
        return ("launch from the LMS (LTI 1.3 tool pointing at %shub/lti13/oauth_callback); admins: %s."
                % (urls["hub_url"], who))
    return "log in at %shub/login with %s as %s." % (urls["hub_url"], atype, who)


def charts_needed(hubs, charts):
    """The distinct charts (name, version, repo) that the hubs use, in first-use order."""
    seen = []
    for hub in hubs or []:
        kind = hub["kind"]
        version = str(hub.get("chart_version") or charts[kind]["version"])
        item = {"name": kind, "version": version, "repo": charts[kind]["repo"]}
        if item not in seen:
            seen.append(item)
    return seen


def desktop_cull_args(timeout):
    """Arguments that make a single-user server on a lab desktop stop itself sooner than the hub's culler would:
    kernels idle for ``timeout`` seconds are shut down (even with a browser tab still connected), then the
    server exits once it has had no kernel, terminal or request for ``timeout`` seconds (jupyter_server's
    MappingKernelManager.cull_* and ServerApp.shutdown_no_activity_timeout). 0 or None: none."""
    if not timeout:
        return []
    seconds = int(timeout)
    return ["--MappingKernelManager.cull_idle_timeout=%d" % seconds,
            "--MappingKernelManager.cull_interval=%d" % max(10, min(300, seconds // 5)),
            "--MappingKernelManager.cull_connected=True",
            "--ServerApp.shutdown_no_activity_timeout=%d" % seconds]


def _profile(profile, desktop_tolerations=None, desktop_cull_timeout=None):
    out = {k: v for k, v in profile.items() if k not in ("image", "desktops")}
    override = dict(out.get("kubespawner_override") or {})
    if profile.get("image"):
        image = profile["image"]
        override["image"] = image if isinstance(image, str) else "%s:%s" % (image["name"], image.get("tag", "latest"))
    if profile.get("desktops") is True and desktop_tolerations:
        # KubeSpawner replaces a list trait with the override: the profile's pods get the whole list.
        override["tolerations"] = list(desktop_tolerations)
    if profile.get("desktops") is True and desktop_cull_timeout:
        # Servers on desktops are culled sooner: the owner may want the machine back.
        override["args"] = list(override.get("args") or []) + desktop_cull_args(desktop_cull_timeout)
    if override:
        out["kubespawner_override"] = override
    return out


def shortcut_values(hub, desktop_tolerations=None, desktop_cull_timeout=None):
    """Helm values for the entry's `image` and `profiles` shortcuts (under `jupyterhub:` for a BinderHub).

    A profile with `desktops: true` may run on lab desktops: its kubespawner_override gets
    `desktop_tolerations` (the user pods' tolerations plus the desktops' taint) and, with
    `desktop_cull_timeout`, the arguments that stop its servers after that many idle seconds; other profiles do not.
    """
    singleuser = {}
    if hub.get("image"):
        singleuser["image"] = split_image(hub["image"])
    if hub.get("profiles"):
        singleuser["profileList"] = [_profile(p, desktop_tolerations, desktop_cull_timeout) for p in hub["profiles"]]
    if not singleuser:
        return {}
    values = {"singleuser": singleuser}
    return {"jupyterhub": values} if hub.get("kind") == "binderhub" else values


def resolve_path(path, base_dir):
    """A values file named in the inventory: absolute, or relative to the inventory folder."""
    return path if os.path.isabs(path) else os.path.join(base_dir or ".", path)


def missing_values_files(hubs, base_dir):
    """Messages for every values file a hub names that does not exist on the controller."""
    errors = []
    for index, hub in enumerate(hubs or []):
        files = hub.get("values_files") if isinstance(hub, dict) else None
        if not isinstance(files, list):
            continue
        for path in files:
            if isinstance(path, str) and path and not os.path.isfile(resolve_path(path, base_dir)):
                errors.append("%s: values file %s not found (looked for %s; relative paths start at the "
                              "inventory folder)." % (_label(index, hub), path, resolve_path(path, base_dir)))
    return errors


def values_file_layer(path, base_dir):
    """A layer for module hub_values: the file's text (parsed there, so YAML errors name file and line)."""
    with open(resolve_path(path, base_dir)) as handle:
        return {"name": path, "values": handle.read()}


def values_layers(hub, kind_defaults, common_values=None, values_dir=None, scheme="https",
                  desktop_tolerations=None, registry_credentials=None, desktop_cull_timeout=None):
    """The values layers of one hub, in order (a later layer wins), as module hub_values takes them:

    1. ``defaults:<kind>``: the role's values for the kind (``kind_defaults``);
    2. ``cluster registry credentials`` (secret): a BinderHub's push credentials for the cluster registry,
       only when ``registry_credentials`` (username, password) is given;
    3. ``hub_common_values``: the inventory's values for every hub (under ``jupyterhub:`` for a BinderHub);
    4. ``hubs[NAME].image/profiles``: the entry's shortcuts;
    5. each of the entry's ``values_files``, in order (their text, read relative to ``values_dir``);
    6. ``hubs[NAME].values``;
    7. ``hubs[NAME].auth`` (secret): what the entry's auth preset stands for.
    """
    binder = hub.get("kind") == "binderhub"
    name = hub["name"]
    layers = [{"name": "defaults:%s" % hub.get("kind"), "values": kind_defaults or {}}]
    if binder and registry_credentials:
        layers.append({"name": "cluster registry credentials", "secret": True,
                       "values": {"registry": {"username": registry_credentials.get("username"),
                                               "password": registry_credentials.get("password")}}})
    common = common_values or {}
    layers.append({"name": "hub_common_values", "values": {"jupyterhub": common} if binder else common})
    layers.append({"name": "hubs[%s].image/profiles" % name,
                   "values": shortcut_values(hub, desktop_tolerations, desktop_cull_timeout)})
    layers.extend(values_file_layer(path, values_dir) for path in hub.get("values_files") or [])
    layers.append({"name": "hubs[%s].values" % name, "values": hub.get("values") or {}})
    layers.append({"name": "hubs[%s].auth" % name, "values": auth_values(hub, scheme), "secret": True})
    return layers


def desktop_home_errors(hubs, common_values, homes_class, allow_desktops, node_local_classes):
    """Homes never on a desktop's own disk: for every hub whose servers may run on lab desktops (a profile with
    `desktops: true`, or hub_allow_desktops), the homes' storage class (cluster_homes_storage_class, or
    singleuser.storage.dynamic.storageClass in hub_common_values or the hub's values) must not be one of
    ``node_local_classes``, and no hostPath volume may be added to the user pods: a home made while its server
    runs on a desktop would stay on that desktop, and be lost or unreachable when the owner takes it back."""
    errors = []
    local = set(node_local_classes or [])
    for index, hub in enumerate(hubs or []):
        if not isinstance(hub, dict):
            continue
        desktop_profiles = [p.get("display_name") for p in hub.get("profiles") or []
                            if isinstance(p, dict) and p.get("desktops") is True]
        if not (allow_desktops or desktop_profiles):
            continue
        why = ("hub_allow_desktops is true" if allow_desktops
               else "profile %s has desktops: true" % ", ".join(repr(n) for n in desktop_profiles))
        values = hub.get("values") if isinstance(hub.get("values"), dict) else {}
        if hub.get("kind") == "binderhub":
            values = values.get("jupyterhub") if isinstance(values.get("jupyterhub"), dict) else {}
        storage = {}
        for layer in (common_values or {}, values):
            part = (layer.get("singleuser") or {}).get("storage") if isinstance(layer, dict) else None
            if isinstance(part, dict):
                storage = merge_maps(storage, part)
        if storage.get("type", "dynamic") == "dynamic":
            storage_class = (storage.get("dynamic") or {}).get("storageClass", homes_class)
            if storage_class in local:
                errors.append("%s: its servers may run on lab desktops (%s), but user homes are on storage class "
                              "%r, a volume on one node's own disk: a home made while its server runs on a desktop "
                              "would stay on that desktop. Put homes on a shared class (cluster_homes_storage_class:"
                              " nfs-homes with an NFS server in nfs_servers), or keep the hub off the desktops."
                              % (_label(index, hub), why, storage_class))
        volumes = storage.get("extraVolumes") or []
        volumes = list(volumes.values()) if isinstance(volumes, dict) else volumes
        host_paths = [v.get("name") for v in volumes if isinstance(v, dict) and "hostPath" in v]
        if host_paths:
            errors.append("%s: its servers may run on lab desktops (%s), but singleuser.storage.extraVolumes %s "
                          "are hostPath volumes on the node's own disk: use NFS volumes (hub_shared_volumes)."
                          % (_label(index, hub), why, ", ".join(repr(n) for n in host_paths)))
    return errors


def nfs_volume(volume):
    """A shared project folder as a pod volume (NFS, no PVC needed)."""
    return {"name": volume["name"], "nfs": {"server": volume["server"], "path": volume["path"],
                                            "readOnly": bool(volume.get("read_only", False))}}


def nfs_volume_mount(volume):
    return {"name": volume["name"], "mountPath": volume["mount_path"],
            "readOnly": bool(volume.get("read_only", False))}
