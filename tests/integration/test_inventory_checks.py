"""Bad inventories are refused before any host is contacted, each with a message naming what to change.

One table, CASES: (id, base inventory, overrides, expected message, playbook). Each row is a bad inventory:
a copy of a shipped inventory (inventories/examples/lab, examples/openstack, local) with the overrides
applied (inventory variables, extra hosts, files). Rows with a playbook run it for real (ansible-playbook
site.yml or a stage playbook against unreachable hosts): it must fail with the message, and without any
UNREACHABLE (no host was contacted). The other rows are checked in-process through the same Python check
functions (plugins/module_utils/inventory_check.py) on a plain-data view of the same inventory, which keeps
the whole table fast. Every message must be free of Ansible's internal type names.

The controls: each shipped inventory, with test values for its vault variables
(tests/fixtures/inventory-secrets.yml), a stand-in air-gap folder and unreachable hosts, passes every check
and fails only when it reaches for a host (UNREACHABLE) or, for OpenStack, for the cloud.

docs/inventory-checks.md lists the table (test_doc_table_matches): regenerate it with
    python tests/integration/test_inventory_checks.py --write-doc
"""
import copy
import json
import os
import re
import shutil
import subprocess
import sys

import pytest
import yaml

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BUILD_AIRGAP = os.path.join(REPO, "tests", "standins", "k3s", "build_airgap.py")
SECRETS = os.path.join(REPO, "tests", "fixtures", "inventory-secrets.yml")
DOC = os.path.join(REPO, "docs", "inventory-checks.md")
VERSION = "v1.31.4+k3s1"
INTERNAL_TYPES = re.compile(r"Ansible(Unicode|Sequence|Mapping|TaggedStr|TaggedDict|TaggedList)|_AnsibleTagged|"
                            r"NativeJinja|AnsibleUndefined")

# Markers in the overrides: replaced with the test's own paths.
AIRGAP = "@airgap@"
OLD_AIRGAP = "@airgap-old-release@"
TAMPERED_AIRGAP = "@airgap-tampered@"
NO_SCRIPT_AIRGAP = "@airgap-without-install-sh@"
NOWHERE = "@nowhere@"
VALUES_DIR = "@values-dir@"


def hub(**changes):
    """A good JupyterHub entry, changed."""
    entry = {"name": "physics", "kind": "jupyterhub", "host": "physics.hub.lab.example.org",
             "auth": {"type": "native", "admin_users": ["alice"]}}
    entry.update(changes)
    return [entry]


def image(**changes):
    entry = {"name": "physics", "repo": "https://github.com/lab/physics-env",
             "image_name": "registry.lab.example.org:5000/hub/physics"}
    entry.update(changes)
    return [entry]


def os_groups(servers=1, **changes):
    group = {"name": "server", "inventory_group": "k3s_servers", "count": servers, "flavor": "m1.large",
             "image": "debian-12"}
    group.update(changes)
    return {"openstack_nodes_groups": [group], "openstack_nodes_admin_cidrs": ["192.0.2.0/24"],
            "openstack_nodes_public_key_file": "@key@"}


LONG = "node-" + "x" * 60 + ".lab.example.org"

# (id, base, overrides, expected message, playbook or None). Special override keys:
#   _hosts: {group: {host: vars}} added to the inventory; _unset: variables the inventory no longer sets.
CASES = [
    # --- k3s topology, versions, air-gap folder ---------------------------------------------------------------
    ("even-server-count", "lab", {"_hosts": {"k3s_servers": {"srv4.lab.example.org": {}}}},
     "must hold an odd number of servers (1, 3, 5...)", "site.yml"),
    ("no-server", "lab", {"_no_servers": True}, "The group k3s_servers must hold an odd number", None),
    ("server-also-agent", "lab", {"_hosts": {"k3s_agents": {"srv1.lab.example.org": {}}}},
     "in more than one of the groups k3s_servers, k3s_agents and desktops: srv1.lab.example.org",
     "playbooks/k3s.yml"),
    ("agent-also-desktop", "lab", {"_hosts": {"desktops": {"cpu1.lab.example.org": {}}}},
     "in more than one of the groups", None),
    ("api-endpoint-empty", "lab", {"cluster_api_endpoint": ""}, "cluster_api_endpoint must be set",
     "playbooks/nodes.yml"),
    ("api-endpoint-url", "lab", {"cluster_api_endpoint": "https://k3s.lab.example.org:6443"},
     "without scheme or port", None),
    ("k3s-version-short", "lab", {"k3s_version": "1.31"},
     "k3s_version must be a k3s release such as v1.31.4+k3s1", None),
    ("k3s-version-number", "lab", {"k3s_version": 1.31}, "k3s_version must be a string; it is a number", None),
    ("install-method", "lab", {"k3s_install_method": "curl"}, "k3s_install_method must be online or airgap", None),
    ("token-with-space", "lab", {"k3s_token": "two words"}, "k3s_token must be a single word", None),
    ("airgap-missing", "lab", {"k3s_airgap_dir": NOWHERE}, "must be a folder holding a k3s release for", None),
    ("airgap-other-release", "lab", {"k3s_airgap_dir": OLD_AIRGAP},
     "holds k3s v1.30.9+k3s1, not k3s_version v1.31.4+k3s1", "site.yml"),
    ("airgap-tampered-binary", "lab", {"k3s_airgap_dir": TAMPERED_AIRGAP}, "Missing or not matching: k3s", None),
    ("airgap-no-install-sh", "lab", {"k3s_airgap_dir": NO_SCRIPT_AIRGAP}, "install.sh is missing", None),
    ("install-sh-checksum", "lab", {"k3s_install_script_sha256": "0" * 64},
     "install.sh is not the script k3s_install_script_sha256 names", None),
    ("install-script-url", "lab", {"k3s_install_method": "online", "k3s_install_script_url": "ftp://x/install.sh"},
     "k3s_install_script_url must be an http(s) URL", None),
    ("node-name-too-long", "lab", {"_hosts": {"k3s_agents": {"cpu2.lab.example.org": {"k3s_node_name": LONG}}}},
     "has 81 characters; Kubernetes allows at most 63", None),
    ("inventory-name-too-long", "lab", {"_hosts": {"k3s_agents": {LONG: {}}}},
     "(inventory name of %s) has 81 characters" % LONG, None),
    ("node-name-uppercase", "lab", {"_hosts": {"k3s_agents": {"cpu2.lab.example.org": {"k3s_node_name": "CPU2"}}}},
     "Node name CPU2 (k3s_node_name of cpu2.lab.example.org) is not a valid Kubernetes node name", None),
    ("node-name-underscore", "lab", {"_hosts": {"k3s_agents": {"cpu_2": {}}}},
     "Node name cpu_2 (inventory name of cpu_2) is not a valid Kubernetes node name", None),
    ("node-name-duplicate", "lab",
     {"_hosts": {"k3s_agents": {"cpu2.lab.example.org": {"k3s_node_name": "cpu1.lab.example.org"}}}},
     "Node name cpu1.lab.example.org is used by both", None),
    ("two-names-one-address", "lab",
     {"_hosts": {"k3s_agents": {"cpu2.lab.example.org": {"ansible_host": "192.0.2.50"},
                                "cpu3.lab.example.org": {"ansible_host": "192.0.2.50"}}}},
     "cpu2.lab.example.org and cpu3.lab.example.org have the same address 192.0.2.50", "site.yml"),
    ("upgrade-serial-zero", "lab", {"k3s_agent_upgrade_serial": 0}, "k3s_agent_upgrade_serial is 0",
     "playbooks/upgrade.yml"),
    ("upgrade-serial-zero-percent", "lab", {"k3s_agent_upgrade_serial": "0%"}, "k3s_agent_upgrade_serial is 0%",
     None),
    ("upgrade-serial-word", "lab", {"k3s_agent_upgrade_serial": "all"}, "k3s_agent_upgrade_serial is all", None),
    ("registries-list", "lab", {"k3s_registries": ["registry.lab.example.org"]},
     "k3s_registries must be a mapping (key: value pairs); it is a list.", None),
    ("server-config-string", "lab", {"k3s_server_config": "disable=traefik"},
     "k3s_server_config must be a mapping (key: value pairs); it is a string.", None),
    # --- node_prep --------------------------------------------------------------------------------------------
    ("firewall-port-name", "lab", {"node_prep_firewall_node_ports": [{"port": "http", "proto": "tcp"}]},
     "node_prep_firewall_node_ports[0]: port must be a number or a range", None),
    ("firewall-proto", "lab", {"node_prep_firewall_server_ports": [{"port": "6443", "proto": "sctp"}]},
     "node_prep_firewall_server_ports[0]: proto must be tcp or udp", None),
    ("sysctl-list", "lab", {"node_prep_extra_sysctls": {"vm.swappiness": [1, 2]}},
     "node_prep_extra_sysctls: vm.swappiness must be a single value", None),
    ("extra-packages-string", "lab", {"node_prep_extra_packages": "htop"},
     "node_prep_extra_packages must be a list; it is a string.", None),
    # --- cluster services -------------------------------------------------------------------------------------
    ("tls-unknown", "lab", {"cluster_tls": "letsencrypt"}, "cluster_tls must be none, acme or secret",
     "playbooks/cluster_services.yml"),
    ("ingress-unknown", "lab", {"cluster_ingress_class": "haproxy"}, "cluster_ingress_class must be traefik", None),
    ("acme-without-email", "lab", {"cluster_tls": "acme"}, "cluster_tls is acme: set cluster_acme_email", None),
    ("acme-bad-email", "lab", {"cluster_tls": "acme", "cluster_acme_email": "admins"},
     "cluster_tls is acme: set cluster_acme_email", None),
    ("secret-without-pem", "lab", {"cluster_services_tls_cert": "not a certificate"},
     "cluster_tls is secret: cluster_services_tls_cert must hold the PEM certificate", None),
    ("traefik-disabled", "lab", {"k3s_server_config": {"disable": ["traefik"]}},
     "cluster_ingress_class is traefik, but k3s_server_config (or k3s_config) disables traefik", None),
    ("nfs-relative-path", "lab", {"cluster_services_nfs_path": "export/hubs"}, "User homes are on NFS", None),
    ("homes-local-path-many-nodes", "lab", {"cluster_homes_storage_class": "local-path"},
     "cluster_homes_storage_class is local-path, but the cluster has 9 nodes", None),
    ("homes-nfs-class-local-path", "local",
     {"cluster_services_nfs_server": "nfs.example.org", "cluster_services_nfs_path": "/export/hubs"},
     "User homes are on NFS, but cluster_homes_storage_class is local-path", None),
    ("homes-kind", "lab", {"cluster_services_homes": "ceph"}, "cluster_services_homes must be local-path or nfs",
     None),
    ("registry-without-port", "lab", {"cluster_registry_address": "k3s.lab.example.org"},
     "cluster_registry_address must be HOST:NODEPORT", None),
    ("registry-not-nodeport", "lab", {"cluster_registry_address": "k3s.lab.example.org:5000"},
     "cluster_registry_address must be HOST:NODEPORT", None),
    ("ingress-listen-not-ip", "local", {"cluster_ingress_listen_address": "localhost"},
     "cluster_ingress_listen_address must be one IP address of the first server", None),
    ("ingress-listen-nginx", "lab", {"cluster_ingress_listen_address": "127.0.0.1", "cluster_ingress_class": "nginx",
                                     "k3s_server_config": {"disable": ["traefik"]}},
     "cluster_ingress_listen_address binds k3s's traefik to one address; with cluster_ingress_class: nginx", None),
    ("cluster-airgap-missing", "lab", {"cluster_airgap_dir": NOWHERE}, "is not a folder on the controller", None),
    # --- hubs -------------------------------------------------------------------------------------------------
    ("hubs-mapping", "lab", {"hubs": {"physics": {"kind": "jupyterhub"}}}, "hubs must be a list; it is a mapping.", None),
    ("hub-entry-string", "lab", {"hubs": ["physics"]}, "hubs[0] must be a mapping (name, kind, host, auth...); "
     "it is a string.", None),
    ("hub-name-uppercase", "lab", {"hubs": hub(name="Physics")}, "name 'Physics' must be lowercase letters", None),
    ("hub-name-duplicate", "lab", {"hubs": hub() + hub(host="other.hub.lab.example.org")},
     "name 'physics' is already used by hubs[0]", None),
    ("hub-kind", "lab", {"hubs": hub(kind="jupyterlab")}, "kind must be one of jupyterhub, binderhub", None),
    ("hub-host-uppercase", "lab", {"hubs": hub(host="Physics.hub.lab.example.org")},
     "must be a lowercase DNS name", None),
    ("hub-auth-string", "lab", {"hubs": hub(auth="github")}, "auth must be a mapping; it is a string.", None),
    ("hub-auth-type", "lab", {"hubs": hub(auth={"type": "ldap"})}, "auth.type must be one of", None),
    ("hub-auth-missing-secret", "lab", {"hubs": hub(auth={"type": "github", "client_id": "x"})},
     "auth type github needs auth.client_secret", None),
    ("hub-dummy-auth", "lab", {"hubs": hub(auth={"type": "dummy", "password": "x"})},
     "set hub_allow_dummy_auth: true there", None),
    ("hub-values-file-missing", "lab", {"hubs": hub(values_files=["physics.values.yaml"]),
                                        "hub_values_files_dir": VALUES_DIR},
     "values file physics.values.yaml not found", "playbooks/hubs.yml"),
    ("hub-config-class-typo", "lab",
     {"hubs": hub(values={"hub": {"config": {"KubeSpawnr": {"start_timeout": 600}}}})},
     "hub.config.KubeSpawnr: no configurable class KubeSpawnr", "playbooks/hubs.yml"),
    ("hub-config-trait-typo", "lab",
     {"hubs": hub(values={"hub": {"config": {"KubeSpawner": {"start_timout": 600}}}})},
     "KubeSpawner has no trait start_timout (did you mean start_timeout?)", None),
    ("hub-common-config-typo", "lab",
     {"hub_common_values": {"hub": {"config": {"Authenticator": {"admin_user": ["a"]}}}}},
     "Authenticator has no trait admin_user", None),
    ("hub-image-uppercase", "lab", {"hubs": hub(image="quay.io/Jupyter/scipy-notebook:2025-10-20")},
     "path component 'Jupyter' must be lower-case", None),
    ("binder-without-registry", "lab", {"cluster_registry_address": ""},
     "kind binderhub needs the in-cluster registry: set cluster_registry_address", None),
    ("hub-common-values-list", "lab", {"hub_common_values": ["singleuser"]},
     "hub_common_values must be a mapping (key: value pairs); it is a list.", None),
    ("vault-variable-missing", "lab", {"_no_secrets": True},
     "hubs cannot be computed: 'vault_physics_gitlab_secret' is undefined", "site.yml"),
    # --- hub images -------------------------------------------------------------------------------------------
    ("image-name-uppercase", "lab", {"hub_images": image(image_name="registry.lab.example.org:5000/hub/Physics")},
     "image_name registry.lab.example.org:5000/hub/Physics has uppercase letters", "playbooks/images.yml"),
    ("image-prefix-uppercase", "lab",
     {"hub_images": [{"name": "physics", "repo": "https://x/y", "image_prefix": "registry.lab.example.org/Binder/p-"}]},
     "image_prefix registry.lab.example.org/Binder/p- has uppercase letters", None),
    ("image-name-duplicate", "lab", {"hub_images": image() + image()}, "name physics is used twice", None),
    ("image-without-repo", "lab", {"hub_images": [{"name": "physics", "image_name": "r.example.org/hub/p"}]},
     "repo is missing", None),
    ("image-registry-password-alone", "lab", {"hub_images": image(), "hub_images_registry_username": "lab"},
     "hub_images_registry_username and hub_images_registry_password go together", None),
    ("image-user-root", "lab", {"hub_images": image(), "hub_images_user_id": 0}, "must not be root", None),
    # --- OpenStack --------------------------------------------------------------------------------------------
    ("ssh-open-to-world", "openstack", {"openstack_nodes_admin_cidrs": ["0.0.0.0/0"]},
     "opens SSH to the whole internet (0.0.0.0/0)", "playbooks/provision.yml"),
    ("ssh-open-to-world-lab", "lab", dict(os_groups(), openstack_nodes_admin_cidrs=["192.0.2.0/24", "0.0.0.0/0"]),
     "set openstack_nodes_ssh_open_to_world: true", None),
    ("ssh-no-admin-network", "openstack", {"openstack_nodes_admin_cidrs": []},
     "openstack_nodes_admin_cidrs must list at least one network", None),
    ("ssh-bad-cidr", "lab", dict(os_groups(), openstack_nodes_admin_cidrs=["192.0.2.1/24"]),
     "openstack_nodes_admin_cidrs: '192.0.2.1/24' is not a network", None),
    ("openstack-even-servers", "openstack",
     {"openstack_nodes_groups": [{"name": "server", "inventory_group": "k3s_servers", "count": 2,
                                  "flavor": "m1.large", "image": "debian-12"}]},
     "must hold an odd number of servers (1, 3, 5...) so that embedded etcd keeps a quorum; it holds 2: "
     "jupyter-server-1, jupyter-server-2", "site.yml"),
    ("openstack-group-unknown", "lab", os_groups(inventory_group="k3s_masters"),
     "openstack_nodes_groups[0].inventory_group: 'k3s_masters' must be one of", None),
    ("openstack-group-name", "lab", os_groups(name="Server"), "openstack_nodes_groups[0].name: 'Server'", None),
    ("openstack-key-missing", "openstack", {"openstack_nodes_public_key_file": NOWHERE},
     "openstack_nodes_public_key_file: ", None),
    ("openstack-absent-unconfirmed", "openstack", {"openstack_nodes_state": "absent"},
     "To confirm, set openstack_nodes_confirm_delete=jupyter", "playbooks/provision.yml"),
    ("openstack-node-name-too-long", "openstack", {"openstack_nodes_cluster_name": "c" * 60},
     "Kubernetes allows at most 63", None),
]

NODE_GROUPS = ("k3s_servers", "k3s_agents", "desktops", "nfs_servers")


# --- the bases ------------------------------------------------------------------------------------------------

def _load_inventory(base):
    folder = os.path.join(REPO, "inventories", "examples" if base != "local" else "", base)
    merged = {}
    gv = os.path.join(folder, "group_vars", "all")
    for name in sorted(os.listdir(gv)):
        with open(os.path.join(gv, name), encoding="utf-8") as handle:
            merged.update(yaml.safe_load(handle) or {})
    with open(os.path.join(folder, "hosts.yml"), encoding="utf-8") as handle:
        hosts_yml = yaml.safe_load(handle)
    return folder, merged, hosts_yml


def _expand(pattern):
    match = re.search(r"\[(\d+):(\d+)\]", pattern)
    if not match:
        return [pattern]
    width = len(match.group(1))
    return [pattern[:match.start()] + str(i).zfill(width) + pattern[match.end():]
            for i in range(int(match.group(1)), int(match.group(2)) + 1)]


def _groups(hosts_yml):
    out = {}

    def walk(name, node):
        node = node or {}
        members = []
        for host, hvars in (node.get("hosts") or {}).items():
            for h in _expand(host):
                members.append((h, hvars or {}))
        for child, sub in (node.get("children") or {}).items():
            members += walk(child, sub)
        out[name] = members
        return members

    walk("all", hosts_yml["all"])
    return out


def plain_view(base, overrides, paths):
    """The plain data the action plugin hands to the checks, for a shipped inventory with overrides.

    The shipped variables' few templates are resolved here by hand (test secrets, the API endpoint, the air-gap
    folder); anything else templated must not be needed by a check.
    """
    folder, variables, hosts_yml = _load_inventory(base)
    with open(SECRETS, encoding="utf-8") as handle:
        secrets = yaml.safe_load(handle)
    groups = {k: [h for h, _ in v] for k, v in _groups(hosts_yml).items()}
    hostvars = {h: hv for members in _groups(hosts_yml).values() for h, hv in members}
    overrides = resolve(copy.deepcopy(overrides), paths)
    for group, extra in (overrides.pop("_hosts", None) or {}).items():
        for host, hv in extra.items():
            groups.setdefault(group, []).append(host)
            hostvars[host] = hv
    if overrides.pop("_no_servers", False):
        groups["k3s_servers"] = []
    no_secrets = overrides.pop("_no_secrets", False)
    if base != "openstack":
        variables["k3s_airgap_dir"] = paths["airgap"]
    variables.update(overrides)
    variables["inventory_dir"] = folder
    planned = []
    for group in variables.get("openstack_nodes_groups") or [] if base == "openstack" else []:
        if isinstance(group, dict) and isinstance(group.get("count"), int):
            for i in range(1, group["count"] + 1):
                name = "%s-%s-%d" % (variables.get("openstack_nodes_cluster_name", "jupyter"), group["name"], i)
                groups.setdefault(group["inventory_group"], []).append(name)
                planned.append(name)
    unknown = []

    def render(value):
        if isinstance(value, dict):
            return {k: render(v) for k, v in value.items()}
        if isinstance(value, list):
            return [render(v) for v in value]
        if not isinstance(value, str) or "{{" not in value:
            return value
        vault = re.fullmatch(r"\{\{ (vault_\w+) \}\}", value.strip())
        if vault:
            if no_secrets:
                raise KeyError(vault.group(1))
            return secrets[vault.group(1)]
        if "lookup('ansible.builtin.password'" in value:
            return "generated-password-24chars"
        value = value.replace("{{ cluster_api_endpoint }}", str(variables.get("cluster_api_endpoint")))
        value = value.replace("{{ inventory_dir }}", folder).replace("{{ k3s_version }}", str(variables["k3s_version"]))
        if "hostvars[groups['k3s_servers'][0]]" in value or "{{" in value:
            first = groups.get("k3s_servers", ["localhost"])
            if "ansible.builtin.password" in value:
                return "generated-on-the-controller-24"  # the local inventory's generated admin passwords
            # The shipped templates that read the first server: its (placeholder) address.
            if "'mirrors'" in value:
                return {"mirrors": {"192.0.2.1:30500": {"endpoint": ["http://192.0.2.1:30500"]}}}
            if "30500" in value:
                return "192.0.2.1:30500" if first else ""
            if "nfs" in value or "groups['k3s_servers'][0] if" in value:
                return first[0] if first else ""
            return "192.0.2.1" if first else ""
        return value

    values = {}
    for name, value in variables.items():
        try:
            values[name] = render(value)
        except KeyError:
            unknown.append(name)
    hosts = {}
    for host in sorted(set(h for g in NODE_GROUPS for h in groups.get(g, []))):
        hv = hostvars.get(host, {})
        hosts[host] = {"address": hv.get("ansible_host", host), "node_name": hv.get("k3s_node_name", host),
                       "node_name_set": "k3s_node_name" in hv}
    return {"vars": values, "user_set": sorted(values), "groups": groups, "hosts": hosts, "planned": planned,
            "unknown": unknown}


# --- fixtures -------------------------------------------------------------------------------------------------

def _airgap(out, version=VERSION):
    subprocess.run([sys.executable, BUILD_AIRGAP, "--version", version, "--out", str(out)], check=True,
                   capture_output=True)
    return str(out)


@pytest.fixture(scope="module")
def paths(tmp_path_factory):
    root = tmp_path_factory.mktemp("inventory-checks")
    tampered = _airgap(root / "tampered")
    with open(os.path.join(tampered, "k3s"), "a", encoding="utf-8") as handle:
        handle.write("# changed\n")
    no_script = _airgap(root / "no-script")
    os.remove(os.path.join(no_script, "install.sh"))
    key = root / "id_test.pub"
    key.write_text("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAItest test\n")
    values = root / "values"
    values.mkdir()
    return {"airgap": _airgap(root / "airgap"), "old": _airgap(root / "old", "v1.30.9+k3s1"), "tampered": tampered,
            "no_script": no_script, "nowhere": str(root / "nowhere"), "key": str(key), "values": str(values),
            "root": root}


def resolve(value, paths):
    marks = {AIRGAP: paths["airgap"], OLD_AIRGAP: paths["old"], TAMPERED_AIRGAP: paths["tampered"],
             NO_SCRIPT_AIRGAP: paths["no_script"], NOWHERE: paths["nowhere"], "@key@": paths["key"],
             VALUES_DIR: paths["values"]}
    if isinstance(value, dict):
        return {resolve(k, paths): resolve(v, paths) for k, v in value.items()}
    if isinstance(value, list):
        return [resolve(v, paths) for v in value]
    return marks.get(value, value) if isinstance(value, str) else value


def no_internal_types(text):
    found = INTERNAL_TYPES.search(text)
    assert not found, "an internal type name reached the user: %s" % found.group(0)


# --- in-process rows ------------------------------------------------------------------------------------------

@pytest.mark.parametrize("case", [c for c in CASES if c[4] is None], ids=lambda c: c[0])
def test_refused_in_process(case, paths):
    from ansible_collections.versatile.jupyter.plugins.module_utils import inventory_check
    _id, base, overrides, message, _playbook = case
    data = plain_view(base, overrides, paths)
    problems = inventory_check.problems(data)
    if data["unknown"]:
        problems = ["%s cannot be computed" % n for n in data["unknown"]] + problems
    text = " ".join(problems)
    assert message in text, problems
    no_internal_types(text)


@pytest.mark.parametrize("base", ["lab", "openstack", "local"])
def test_shipped_inventory_plain_view_has_no_problem(base, paths):
    """The in-process view of each good shipped inventory passes: the rows above fail for their override only."""
    from ansible_collections.versatile.jupyter.plugins.module_utils import inventory_check
    overrides = {"openstack_nodes_public_key_file": "@key@"} if base == "openstack" else {}
    data = plain_view(base, overrides, paths)
    assert inventory_check.problems(data) == []
    assert data["unknown"] == []


# --- real ansible-playbook rows -------------------------------------------------------------------------------

def make_inventory(paths, base, overrides, name, secrets=True):
    """A copy of a shipped inventory with the overrides in group_vars/all/zz_case.yml, hosts unreachable."""
    folder = os.path.join(REPO, "inventories", "examples" if base != "local" else "", base)
    dest = os.path.join(str(paths["root"]), "inv-" + name)
    if os.path.exists(dest):
        shutil.rmtree(dest)
    # Not the day-2 inventory plugin source (it would ask the cloud) nor the clouds.yaml reference.
    top = lambda where, names: [n for n in names if where == folder and (n == "openstack.yml" or n.endswith(".txt"))]  # noqa: E731
    shutil.copytree(folder, dest, ignore=top)
    overrides = resolve(copy.deepcopy(overrides), paths)
    variables = {"ansible_ssh_timeout": 2, "ansible_host_key_checking": False}
    if base == "openstack":
        variables.update({"openstack_nodes_public_key_file": paths["key"], "openstack_nodes_cloud": "unreachable",
                          "openstack_nodes_api_timeout": 5})
    if base != "openstack":
        variables["k3s_airgap_dir"] = paths["airgap"]
    extra_hosts = overrides.pop("_hosts", None) or {}
    no_servers = overrides.pop("_no_servers", False)
    assert not no_servers, "use this override in-process only"
    if overrides.pop("_no_secrets", False):
        secrets = False
    variables.update(overrides)
    if secrets:
        with open(SECRETS, encoding="utf-8") as handle:
            variables.update(yaml.safe_load(handle))
    with open(os.path.join(dest, "group_vars", "all", "zz_case.yml"), "w", encoding="utf-8") as handle:
        yaml.safe_dump(variables, handle)
    if base == "local":
        # The local all-in-one is this machine: for the control, it stands for a machine that does not answer.
        os.makedirs(os.path.join(dest, "host_vars"), exist_ok=True)
        with open(os.path.join(dest, "host_vars", "localhost.yml"), "w", encoding="utf-8") as handle:
            yaml.safe_dump({"ansible_connection": "ssh", "ansible_host": "192.0.2.7"}, handle)
    if extra_hosts:
        children = {g: {"hosts": hosts} for g, hosts in extra_hosts.items()}
        with open(os.path.join(dest, "zz_hosts.yml"), "w", encoding="utf-8") as handle:
            yaml.safe_dump({"all": {"children": {"k3s_cluster": {"children": children}}}}, handle)
    return dest


def play(inventory, playbook, paths, *extra):
    clouds = os.path.join(str(paths["root"]), "clouds.yaml")
    with open(clouds, "w", encoding="utf-8") as handle:
        yaml.safe_dump({"clouds": {"unreachable": {"auth_type": "password", "auth": {
            "auth_url": "http://127.0.0.1:9/v3", "username": "u", "password": "p", "project_name": "p",
            "user_domain_name": "Default", "project_domain_name": "Default"}}}}, handle)
    os.chmod(clouds, 0o600)
    env = dict(os.environ, ANSIBLE_GATHERING="implicit", ANSIBLE_FORCE_COLOR="0", NO_COLOR="1",
               ANSIBLE_HOST_KEY_CHECKING="0", OS_CLIENT_CONFIG_FILE=clouds,
               ANSIBLE_FACT_CACHING="memory")
    out = subprocess.run(["ansible-playbook", "-i", inventory, os.path.join(REPO, playbook), *extra],
                         cwd=REPO, env=env, capture_output=True, text=True, timeout=300)
    return out.returncode, " ".join((out.stdout + out.stderr).split())


@pytest.mark.parametrize("case", [c for c in CASES if c[4]], ids=lambda c: c[0])
def test_refused_by_playbook(case, paths):
    name, base, overrides, message, playbook = case
    inventory = make_inventory(paths, base, overrides, name)
    extra = ["-e", '{"k3s_remove_nodes": ["cpu1.lab.example.org"]}'] if "remove_node" in playbook else []
    rc, text = play(inventory, playbook, paths, *extra)
    assert rc != 0, text[-2000:]
    assert message in text, text[-3000:]
    assert "UNREACHABLE" not in text, "a host was contacted before the inventory was checked"
    assert "Gathering Facts" not in text
    no_internal_types(text)


@pytest.mark.parametrize("playbook, extra, message", [
    ("playbooks/remove_node.yml", ["-e", '{"k3s_remove_nodes": ["ghost"]}'], "unknown: ghost"),
    ("playbooks/reset.yml", [], "k3s_reset_confirm=true"),
])
def test_stage_commands_refused(playbook, extra, message, paths):
    """The k3s commands' own checks (what to remove, the reset confirmation) also come before any contact."""
    rc, text = play(make_inventory(paths, "lab", {}, "stage-" + os.path.basename(playbook)), playbook, paths, *extra)
    assert rc != 0 and message in text, text[-3000:]
    assert "UNREACHABLE" not in text


@pytest.mark.parametrize("base", ["lab", "local", "openstack"])
def test_shipped_inventory_passes_every_check(base, paths):
    """Control: a good shipped inventory passes the checks and fails only when it reaches for a host or cloud."""
    rc, text = play(make_inventory(paths, base, {}, "control-" + base), "site.yml", paths, "-v")
    assert rc != 0, text[-2000:]
    assert "The inventory passed every check" in text, text[-3000:]
    assert "problem(s); no host was contacted" not in text, text[-3000:]
    if base == "lab":
        # site.yml ran the check play once: the later imports of playbooks/check.yml skipped it.
        assert text.count("The inventory passed every check") == 1, text[-3000:]
    if base == "openstack":
        # The first contact is the cloud's API (no such cloud here), in the provisioning role after its checks.
        assert "TASK [versatile.jupyter.openstack_nodes : List the project's servers]" in text, text[-3000:]
        assert re.search(r"fatal: \[localhost\]: FAILED! .*(127\.0\.0\.1|[Cc]onnect|auth)", text), text[-3000:]
    else:
        assert "UNREACHABLE" in text, text[-3000:]
        first_failure = text.index("fatal: [")
        assert "UNREACHABLE" in text[first_failure:first_failure + 300], text[first_failure - 500:first_failure + 500]


def test_role_preflight_runs_the_same_checks(paths, tmp_path):
    """A role used on its own (not through playbooks/check.yml) refuses the same way: here hub_images."""
    playbook = tmp_path / "role.yml"
    playbook.write_text(yaml.safe_dump([{
        "name": "Use the role alone", "hosts": "localhost", "connection": "local", "gather_facts": False,
        "tasks": [{"name": "Run the role's preflight", "ansible.builtin.include_role": {
            "name": "versatile.jupyter.hub_images", "tasks_from": "preflight"}}]}]))
    inventory = make_inventory(paths, "lab", {"hub_images": image(image_name="r.example.org/hub/Physics")}, "role")
    rc, text = play(inventory, str(playbook), paths)
    assert rc != 0 and "image_name r.example.org/hub/Physics has uppercase letters" in text, text[-3000:]
    assert "The inventory has 1 problem(s)" in text, text[-3000:]


# --- the doc table --------------------------------------------------------------------------------------------

def doc_table():
    lines = ["| # | Case | Base inventory | Bad setting | Refused with (excerpt) | Checked by |",
             "|---|---|---|---|---|---|"]
    for number, (name, base, overrides, message, playbook) in enumerate(CASES, 1):
        shown = json.dumps({k: v for k, v in overrides.items()}, sort_keys=True)
        if len(shown) > 90:
            shown = shown[:87] + "..."
        cell = lambda text: str(text).replace("|", "\\|")  # noqa: E731
        lines.append("| %d | %s | %s | `%s` | %s | %s |" % (
            number, name, base, cell(shown), cell(message), playbook or "in-process"))
    return "\n".join(lines) + "\n"


BEGIN = "<!-- cases: generated from tests/integration/test_inventory_checks.py; do not edit by hand -->\n"
END = "<!-- end of cases -->\n"


def test_doc_table_matches():
    with open(DOC, encoding="utf-8") as handle:
        text = handle.read()
    assert BEGIN in text and END in text
    assert text[text.index(BEGIN) + len(BEGIN):text.index(END)] == doc_table(), \
        "docs/inventory-checks.md is out of date: python tests/integration/test_inventory_checks.py --write-doc"


def test_table_size():
    assert len(CASES) >= 50
    assert len({c[0] for c in CASES}) == len(CASES)
    assert sum(1 for c in CASES if c[4]) >= 14


if __name__ == "__main__" and "--write-doc" in sys.argv:
    with open(DOC, encoding="utf-8") as handle:
        text = handle.read()
    text = text[:text.index(BEGIN) + len(BEGIN)] + doc_table() + text[text.index(END):]
    with open(DOC, "w", encoding="utf-8") as handle:
        handle.write(text)
