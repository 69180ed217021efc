# -*- coding: utf-8 -*-
# Copyright (c) versatile.jupyter contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Check a whole inventory on the controller before any host is contacted. Plain functions.

``problems(inv)`` returns every problem at once, one plain-language message each, naming the variable the
user sets (``cluster_tls``, not a role's internal alias) and what to set instead. ``inv`` is a plain dict
(no Ansible types), built by the action plugin ``versatile.jupyter.inventory_check`` from the inventory:

- ``vars``: effective values of the inventory-wide variables (the inventory's, else the roles' defaults);
- ``user_set``: the names the inventory (or -e) sets itself;
- ``groups``: group name -> inventory names (nodes that provisioning will create included);
- ``hosts``: inventory name -> {``address``: ansible_host, ``node_name``: k3s_node_name};
- ``planned``: names of the nodes that openstack_nodes will create (their addresses are not known yet);
- ``sections``: which parts to check (see SECTIONS); ``stage``: the playbook's action (install, upgrade...).

Nothing here connects anywhere; files are read on the controller only (the air-gap folder, values files,
the SSH public key).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import hashlib
import ipaddress
import os
import re

from ansible_collections.versatile.jupyter.plugins.module_utils import (
    binder_names,
    hub_config,
    image_ref,
    k3s_names,
    openstack_nodes_plan,
)
from ansible_collections.versatile.jupyter.plugins.module_utils.hub_values_merge import merge_maps
from ansible_collections.versatile.jupyter.plugins.module_utils.repo2docker_command import target_repo_dir_error

SECTIONS = ("k3s", "nodes", "cluster_services", "hubs", "hub_images", "openstack")

K3S_VERSION_RE = re.compile(r"^v[0-9]+\.[0-9]+\.[0-9]+(-rc[0-9]+)?\+k3s[0-9]+$")
K3S_VERSION_ANY_RE = re.compile(rb"v[0-9]+\.[0-9]+\.[0-9]+(?:-rc[0-9]+)?\+k3s[0-9]+")
# A Kubernetes node name is a DNS-1123 subdomain; k3s also puts it in the label kubernetes.io/hostname,
# whose value may hold at most 63 characters.
NODE_NAME_RE = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
NODE_NAME_MAX = 63
PORT_RE = re.compile(r"^[0-9]{1,5}(:[0-9]{1,5})?$")
REGISTRY_RE = re.compile(r"^([A-Za-z0-9.-]+):([0-9]{2,5})$")
IMAGES_SUFFIXES = ("tar.zst", "tar.gz", "tar")
BINARY_NAMES = {"amd64": "k3s", "arm64": "k3s-arm64", "arm": "k3s-armhf", "s390x": "k3s-s390x"}
WORLD = ("0.0.0.0/0", "::/0")
AUDIT_LEVELS = ("None", "Metadata", "Request", "RequestResponse")
POD_SECURITY_LEVELS = ("privileged", "baseline", "restricted")

# The type each user-facing variable must have, in plain words (checked before anything else reads it).
TYPES = {
    "cluster_api_endpoint": "string", "k3s_version": "string", "k3s_install_method": "string",
    "k3s_token": "string", "k3s_airgap_dir": "string", "k3s_install_script_sha256": "string",
    "k3s_registries": "mapping", "k3s_config": "mapping", "k3s_server_config": "mapping",
    "k3s_agent_config": "mapping", "k3s_remove_nodes": "list", "k3s_reset_confirm": "boolean",
    "k3s_protect_kernel_defaults": "boolean", "cluster_protect_kernel_defaults": "boolean",
    "k3s_audit_log": "boolean", "k3s_audit_log_path": "string", "k3s_audit_policy_file": "string",
    "k3s_audit_policy_rules": "list",
    "hub_pod_security_levels": "mapping", "hub_pod_security_audit": "string", "hub_pod_security_warn": "string",
    "hub_pod_security_version": "string",
    "cluster_tls": "string", "cluster_ingress_class": "string", "cluster_acme_email": "string",
    "cluster_registry_address": "string", "cluster_homes_storage_class": "string",
    "cluster_airgap_dir": "string", "cluster_services_nfs_server": "string",
    "cluster_services_nfs_path": "string", "cluster_services_tls_cert": "string",
    "cluster_services_tls_key": "string", "cluster_ingress_listen_address": "string",
    "node_prep_extra_packages": "list", "node_prep_nfs_packages": "list", "cluster_nfs_in_use": "boolean",
    "node_prep_sysctls": "mapping", "node_prep_extra_sysctls": "mapping",
    "node_prep_firewall_node_ports": "list", "node_prep_firewall_server_ports": "list",
    "node_prep_firewall_etcd_ports": "list", "node_prep_firewall_public_ports": "list",
    "cluster_admin_networks": "list",
    "hubs": "list", "hub_common_values": "mapping", "hub_shared_volumes": "list",
    "hub_allow_dummy_auth": "boolean", "hub_values_files_dir": "string", "hub_binder_repo_dir": "string",
    "hub_allow_desktops": "boolean", "hub_homes_storage_class": "string", "hub_node_local_storage_classes": "list",
    "hub_images": "list", "hub_images_image_prefix": "string", "hub_images_target_repo_dir": "string",
    "openstack_nodes_groups": "list", "openstack_nodes_cluster_name": "string",
    "openstack_nodes_state": "string", "openstack_nodes_admin_cidrs": "list", "openstack_nodes_api_cidrs": "list",
    "openstack_nodes_subnet_cidr": "string", "openstack_nodes_public_key_file": "string",
    "openstack_nodes_keypair_create": "boolean", "openstack_nodes_ssh_open_to_world": "boolean",
}


def describe(value):
    """The type of a value in plain words (never a Python or Ansible class name)."""
    if value is None:
        return "nothing (null)"
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, int):
        return "a number"
    if isinstance(value, float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, (list, tuple)):
        return "a list"
    return "a value of another kind"


_WANT = {
    "string": (lambda v: isinstance(v, str), "a string"),
    "list": (lambda v: isinstance(v, list), "a list"),
    "mapping": (lambda v: isinstance(v, dict), "a mapping (key: value pairs)"),
    "boolean": (lambda v: isinstance(v, bool) or str(v).lower() in ("true", "false", "yes", "no"),
                "true or false"),
}


def truthy(value):
    if isinstance(value, str):
        return value.strip().lower() in ("true", "yes", "1", "on")
    return bool(value)


class Inventory:
    """Read access to the plain inventory data, with the name the user set for each setting."""

    def __init__(self, inv):
        self.vars = inv.get("vars") or {}
        self.user_set = set(inv.get("user_set") or ())
        self.groups = inv.get("groups") or {}
        self.hosts = inv.get("hosts") or {}
        self.planned = set(inv.get("planned") or ())
        self.stage = inv.get("stage") or "install"
        # Variables whose template could not be computed (already reported): checks that read them skip.
        self.bad_types = set(inv.get("unknown") or ())

    def get(self, name, default=None):
        if name in self.bad_types:
            return default
        value = self.vars.get(name, default)
        return default if value is None and default is not None else value

    def group(self, name):
        return list(self.groups.get(name) or [])

    def pick(self, *names):
        """The first of names the user set (the role variable wins over the inventory-wide one), else the last."""
        for name in names:
            if name in self.user_set:
                return name, self.get(name)
        return names[-1], self.get(names[-1])


def type_problems(inv):
    out = []
    for name, want in sorted(TYPES.items()):
        if name not in inv.vars or name in inv.bad_types or inv.vars[name] is None and name not in inv.user_set:
            continue
        test, words = _WANT[want]
        value = inv.vars[name]
        if not test(value):
            inv.bad_types.add(name)
            out.append("%s must be %s; it is %s." % (name, words, describe(value)))
    return out


# --- k3s ------------------------------------------------------------------------------------------------

def _binary_versions(path):
    """k3s release names found in a binary (a real k3s binary carries its own version string)."""
    found = set()
    tail = b""
    with open(path, "rb") as handle:
        while True:
            chunk = handle.read(1 << 20)
            if not chunk:
                break
            data = tail + chunk
            found.update(m.decode() for m in K3S_VERSION_ANY_RE.findall(data))
            tail = data[-40:]
    return found


def _sha256(path):
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def airgap_problems(folder, version, script_sha256=""):
    """The air-gap folder: a k3s release of ``version`` whose files match its sha256sum files."""
    where = "k3s_airgap_dir %s" % folder
    if not isinstance(folder, str) or not os.path.isdir(folder):
        return ["%s on the controller must be a folder holding a k3s release for %s: k3s, "
                "k3s-airgap-images-<arch>.tar.zst|.tar.gz|.tar, sha256sum-<arch>.txt (from "
                "https://github.com/k3s-io/k3s/releases/%s) and install.sh (from https://get.k3s.io)."
                % (where, version, version)]
    sums = sorted(f for f in os.listdir(folder) if re.match(r"^sha256sum-.+\.txt$", f))
    out = []
    if not sums:
        out.append("%s must be a folder holding a k3s release for %s: it has no sha256sum-<arch>.txt."
                   % (where, version))
    script = os.path.join(folder, "install.sh")
    if not os.path.isfile(script):
        out.append("%s/install.sh is missing (download it from https://get.k3s.io)." % folder)
    elif script_sha256 and _sha256(script) != script_sha256:
        out.append("%s/install.sh is not the script k3s_install_script_sha256 names (sha256 %s)."
                   % (folder, _sha256(script)))
    for name in sums:
        arch = name[len("sha256sum-"):-len(".txt")]
        with open(os.path.join(folder, name)) as handle:
            published = dict(reversed(line.split(None, 1)) for line in handle.read().splitlines() if line.strip())
        published = {k.strip().lstrip("*"): v for k, v in published.items()}
        binary = BINARY_NAMES.get(arch, "k3s-" + arch)
        images = [n for n in ("k3s-airgap-images-%s.%s" % (arch, s) for s in IMAGES_SUFFIXES)
                  if os.path.isfile(os.path.join(folder, n))]
        wanted = [binary] + images[:1]
        bad = [n for n in wanted if not os.path.isfile(os.path.join(folder, n))
               or published.get(n) != _sha256(os.path.join(folder, n))]
        if not images:
            bad.append("k3s-airgap-images-%s.tar.zst|.tar.gz|.tar" % arch)
        if bad:
            out.append("The air-gap folder %s must hold %s and an images archive that match %s. "
                       "Missing or not matching: %s." % (folder, binary, name, ", ".join(bad)))
            continue
        versions = _binary_versions(os.path.join(folder, binary))
        if version not in versions:
            out.append("The air-gap folder %s holds k3s %s, not k3s_version %s: put the %s release there "
                       "(or set k3s_airgap_dir to its folder, or k3s_version to the release you have)."
                       % (folder, ", ".join(sorted(versions)) or "of an unknown release", version, version))
    return out


def _serial_problem(value):
    if value is None:
        return []
    text = str(value).strip()
    ok = False
    if isinstance(value, bool):
        ok = False
    elif isinstance(value, int) or re.match(r"^[0-9]+$", text):
        ok = int(text) >= 1
    elif re.match(r"^[0-9]+%$", text):
        ok = 1 <= int(text[:-1]) <= 100
    if ok:
        return []
    shown = text if isinstance(value, (int, str)) and not isinstance(value, bool) else describe(value)
    return ["k3s_agent_upgrade_serial is %s: it must be how many agents and desktops playbooks/upgrade.yml "
            "upgrades at a time, a whole number of at least 1 or a percentage such as 25%% (0 would upgrade "
            "none, or all at once)." % shown]


def k3s_problems(inv):
    out = []
    servers, agents, desktops = inv.group("k3s_servers"), inv.group("k3s_agents"), inv.group("desktops")
    endpoint = inv.get("cluster_api_endpoint")
    if not isinstance(endpoint, str) or not endpoint.strip() or re.search(r"[/\s]", endpoint):
        out.append("cluster_api_endpoint must be set (group_vars/all) to the name or IP address nodes and the "
                   "controller use for the k3s API, without scheme or port (e.g. k3s.lab.example.org); it is %s."
                   % ("empty" if not endpoint else "%r" % endpoint if isinstance(endpoint, str)
                      else describe(endpoint)))
    method = inv.get("k3s_install_method", "airgap")
    if method not in ("online", "airgap"):
        out.append("k3s_install_method must be online or airgap; it is %r." % (method,))
    version = inv.get("k3s_version")
    if not isinstance(version, str) or not K3S_VERSION_RE.match(version):
        out.append("k3s_version must be a k3s release such as v1.31.4+k3s1; it is %r." % (version,))
        version = None
    token = inv.get("k3s_token", "")
    if isinstance(token, str) and re.search(r"\s", token):
        out.append("k3s_token must be a single word without spaces, or empty to use the token the first "
                   "server generates.")
    if not servers or len(servers) % 2 == 0:
        out.append("The group k3s_servers must hold an odd number of servers (1, 3, 5...) so that embedded etcd "
                   "keeps a quorum; it holds %d%s. A dead server is replaced by a machine in its place "
                   "(playbooks/replace_server.yml), not by one added beside it."
                   % (len(servers), (": " + ", ".join(servers)) if servers else ""))
    overlap = sorted((set(servers) & set(agents + desktops)) | (set(agents) & set(desktops)))
    if overlap:
        out.append("These hosts are in more than one of the groups k3s_servers, k3s_agents and desktops: %s. "
                   "A node is a server, an agent or a desktop: keep each in one group." % ", ".join(overlap))
    nodes = list(dict.fromkeys(servers + agents + desktops))
    seen_names, seen_addresses = {}, {}
    for host in nodes:
        info = inv.hosts.get(host) or {}
        name = k3s_names.node_name(host, info.get("node_name"))
        set_by = "k3s_node_name" if info.get("node_name_set") else "inventory name"
        if not isinstance(name, str):
            out.append("k3s_node_name of %s must be a string; it is %s." % (host, describe(name)))
            continue
        if len(name) > NODE_NAME_MAX:
            out.append("Node name %s (%s of %s) has %d characters; Kubernetes allows at most %d (the label "
                       "kubernetes.io/hostname): set k3s_node_name for that host to a shorter name."
                       % (name, set_by, host, len(name), NODE_NAME_MAX))
        elif not NODE_NAME_RE.match(name):
            out.append("Node name %s (%s of %s) is not a valid Kubernetes node name: lowercase letters, digits, "
                       "'-' and '.', starting and ending with a letter or digit. Set k3s_node_name for that host."
                       % (name, set_by, host))
        if name in seen_names:
            out.append("Node name %s is used by both %s and %s: node names (k3s_node_name, by default the "
                       "inventory name) must be unique." % (name, seen_names[name], host))
        seen_names.setdefault(name, host)
        if host in inv.planned:
            continue
        address = info.get("address") or host
        if isinstance(address, str):
            if address in seen_addresses:
                out.append("%s and %s have the same address %s (ansible_host): one machine under two inventory "
                           "names would be set up twice. Keep one name, or give each host its own ansible_host."
                           % (seen_addresses[address], host, address))
            seen_addresses.setdefault(address, host)
    if method == "online":
        url = inv.get("k3s_install_script_url", "https://")
        if not isinstance(url, str) or not re.match(r"^https?://", url):
            out.append("k3s_install_script_url must be an http(s) URL; it is %r." % (url,))
    if method == "airgap" and version and inv.stage in ("install", "upgrade"):
        sha = inv.get("k3s_install_script_sha256", "") or ""
        out.extend(airgap_problems(inv.get("k3s_airgap_dir"), version, sha))
    out.extend(_serial_problem(inv.get("k3s_agent_upgrade_serial")))
    out.extend(audit_problems(inv))
    return out


def audit_problems(inv):
    """The API server's audit log settings (k3s role, servers): paths, rotation and the policy's rules."""
    if not truthy(inv.get("k3s_audit_log", True)):
        return []
    out = []
    for var, default in (("k3s_audit_log_path", "/var/lib/rancher/k3s/server/logs/audit.log"),
                         ("k3s_audit_policy_file", "/etc/rancher/k3s/audit-policy.yaml")):
        value = inv.get(var, default)
        if var not in inv.bad_types and (not isinstance(value, str) or not value.startswith("/")
                                         or value.endswith("/")):
            out.append("%s must be the absolute path of a file on the servers; it is %r." % (var, value))
    for var, unit in (("k3s_audit_log_maxage", "days an old log file is kept"),
                      ("k3s_audit_log_maxbackup", "old log files kept"),
                      ("k3s_audit_log_maxsize", "megabytes before the log is rotated")):
        value = inv.get(var, 1)
        if isinstance(value, bool) or not re.match(r"^[0-9]+$", str(value).strip()) or int(value) < 1:
            out.append("%s (%s) must be a whole number of at least 1; it is %r." % (var, unit, value))
    rules = inv.get("k3s_audit_policy_rules", [{"level": "Metadata"}])
    if "k3s_audit_policy_rules" not in inv.bad_types and isinstance(rules, list):
        if not rules:
            out.append("k3s_audit_policy_rules must hold at least one rule (the API server refuses an empty policy); "
                       "[{level: Metadata}] records every request without bodies.")
        for index, rule in enumerate(rules):
            level = rule.get("level") if isinstance(rule, dict) else None
            if level not in AUDIT_LEVELS:
                out.append("k3s_audit_policy_rules[%d]: level must be one of %s; it is %r."
                           % (index, ", ".join(AUDIT_LEVELS), level))
    return out


# --- node_prep ------------------------------------------------------------------------------------------

def nodes_problems(inv):
    out = []
    for var in ("node_prep_firewall_node_ports", "node_prep_firewall_server_ports", "node_prep_firewall_etcd_ports",
                "node_prep_firewall_public_ports"):
        for index, entry in enumerate(inv.get(var, []) or []):
            port = entry.get("port") if isinstance(entry, dict) else None
            if not isinstance(port, (str, int)) or isinstance(port, bool) or not PORT_RE.match(str(port)):
                out.append("%s[%d]: port must be a number or a range first:last (e.g. \"2379:2380\"); it is %r."
                           % (var, index, port))
            elif isinstance(entry, dict) and entry.get("proto") not in ("tcp", "udp"):
                out.append("%s[%d]: proto must be tcp or udp; it is %r." % (var, index, entry.get("proto")))
    for index, network in enumerate(inv.get("cluster_admin_networks", []) or []):
        try:
            ipaddress.ip_network(str(network), strict=False)
        except ValueError:
            out.append("cluster_admin_networks[%d] must be an address or network (CIDR, e.g. 192.168.7.0/24); "
                       "it is %r." % (index, network))
    for var in ("node_prep_sysctls", "node_prep_extra_sysctls"):
        for key, value in sorted((inv.get(var, {}) or {}).items()):
            if isinstance(value, (dict, list)) or value is None:
                out.append("%s: %s must be a single value (a number or a string); it is %s."
                           % (var, key, describe(value)))
    return out


# --- cluster_services -----------------------------------------------------------------------------------

def _is_ip_address(text):
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


def cluster_services_problems(inv):
    out = []
    ingress_var, ingress = inv.pick("cluster_services_ingress", "cluster_ingress_class")
    tls_var, tls = inv.pick("cluster_services_tls", "cluster_tls")
    # cluster_tls "" (the default of role cluster_defaults: not chosen) is plain http, as none.
    ingress = "traefik" if ingress is None else ingress
    tls = "none" if tls in (None, "") else tls
    if ingress not in ("traefik", "nginx"):
        out.append("%s must be traefik (k3s's own) or nginx; it is %r." % (ingress_var, ingress))
    if tls not in ("none", "acme", "secret"):
        out.append("%s must be none, acme or secret; it is %r." % (tls_var, tls))
    listen_var, listen = inv.pick("cluster_services_ingress_listen_address", "cluster_ingress_listen_address")
    if listen:
        if not isinstance(listen, str) or not _is_ip_address(listen):
            out.append("%s must be one IP address of the first server (127.0.0.1: this machine only) or empty "
                       "(every address); it is %r." % (listen_var, listen))
        elif ingress != "traefik":
            out.append("%s binds k3s's traefik to one address; with %s: %s set it to \"\" (ingress-nginx takes "
                       "its own values: cluster_services_ingress_nginx_values)." % (listen_var, ingress_var, ingress))
    config = {}
    for var in ("k3s_config", "k3s_server_config"):
        if isinstance(inv.get(var), dict):
            config.update(inv.get(var))
    disabled = config.get("disable") or []
    disabled = [disabled] if isinstance(disabled, str) else disabled
    if ingress == "traefik" and "traefik" in disabled:
        out.append("%s is traefik, but k3s_server_config (or k3s_config) disables traefik: remove traefik from "
                   "its disable list, or set %s: nginx." % (ingress_var, ingress_var))
    if tls == "acme":
        email_var, email = inv.pick("cluster_services_acme_email", "cluster_acme_email")
        if not isinstance(email, str) or not re.match(r"^[^@\s]+@[^@\s]+$", email):
            out.append("%s is acme: set %s to the address Let's Encrypt writes to about expiring certificates "
                       "(it is %r)." % (tls_var, email_var, email or ""))
    if tls == "secret" and not {"cluster_services_tls_cert", "cluster_services_tls_key"} & inv.bad_types:
        cert, key = inv.get("cluster_services_tls_cert", ""), inv.get("cluster_services_tls_key", "")
        if not (isinstance(cert, str) and "-----BEGIN CERTIFICATE-----" in cert
                and isinstance(key, str) and re.search(r"-----BEGIN [A-Z ]*PRIVATE KEY-----", key)):
            out.append("%s is secret: cluster_services_tls_cert must hold the PEM certificate (with its chain) "
                       "and cluster_services_tls_key the PEM private key (keep it in a vault)." % tls_var)
    nfs_group = inv.group("nfs_servers")
    server_var, server = inv.pick("cluster_services_nfs_server")
    path_var, path = inv.pick("cluster_services_nfs_path")
    server = server if server is not None else (nfs_group[0] if nfs_group else "")
    path = path if path is not None else ("/srv/nfs/hubs" if nfs_group else "")
    homes_var, homes = inv.pick("cluster_services_homes")
    if homes is None:
        homes = "nfs" if (nfs_group or path) else "local-path"
    if homes not in ("local-path", "nfs"):
        out.append("%s must be local-path or nfs; it is %r." % (homes_var, homes))
    if homes == "nfs" and not (isinstance(server, str) and server and isinstance(path, str) and path.startswith("/")):
        out.append("User homes are on NFS: put the NFS server in the inventory group nfs_servers, or set %s and "
                   "%s (an absolute path) to an existing export (server %r, path %r)."
                   % (server_var, path_var, server, path))
    class_var, storage_class = inv.pick("cluster_homes_storage_class")
    nodes = inv.group("k3s_servers") + inv.group("k3s_agents") + inv.group("desktops")
    # Only a class the inventory names itself: the default (role cluster_defaults) is local-path without an NFS
    # server, on any number of nodes, as before there was a default.
    if storage_class == "local-path" and class_var in inv.user_set and len(set(nodes)) > 1:
        out.append("%s is local-path, but the cluster has %d nodes: a user's home would stay on one node. Put "
                   "an NFS server in the group nfs_servers (or set cluster_services_nfs_server and "
                   "cluster_services_nfs_path) and set %s: nfs-homes." % (class_var, len(set(nodes)), class_var))
    elif homes == "nfs" and storage_class == "local-path":
        out.append("User homes are on NFS, but %s is local-path, the name of k3s's node-local class: set it to "
                   "the name of the class the NFS provisioner makes (nfs-homes)." % class_var)
    reg_var, registry = inv.pick("cluster_services_registry_address", "cluster_registry_address")
    if registry:
        match = REGISTRY_RE.match(registry) if isinstance(registry, str) else None
        if not match or not 30000 <= int(match.group(2)) <= 32767:
            out.append("%s must be HOST:NODEPORT (a node address every node and pod reaches, and a NodePort in "
                       "30000-32767); it is %r." % (reg_var, registry))
    airgap = inv.get("cluster_airgap_dir")
    if airgap and not os.path.isdir(airgap):
        out.append("cluster_airgap_dir %s is not a folder on the controller." % airgap)
    return out


# --- hubs -----------------------------------------------------------------------------------------------

def _image_refs(hub):
    image = hub.get("image")
    if isinstance(image, dict) and isinstance(image.get("name"), str):
        yield "image", image["name"] + (":%s" % image["tag"] if image.get("tag") not in (None, "") else "")
    elif isinstance(image, str) and image:
        yield "image", image
    for index, profile in enumerate(hub.get("profiles") or []):
        if isinstance(profile, dict) and isinstance(profile.get("image"), str):
            yield "profiles[%d].image" % index, profile["image"]


def pod_security_problems(inv):
    """The Pod Security admission labels the hub role puts on the hubs' namespaces."""
    out = []
    levels = inv.get("hub_pod_security_levels", {"jupyterhub": "restricted", "binderhub": "privileged"})
    if isinstance(levels, dict) and "hub_pod_security_levels" not in inv.bad_types:
        for kind in ("jupyterhub", "binderhub"):
            if levels.get(kind) not in POD_SECURITY_LEVELS:
                out.append("hub_pod_security_levels.%s must be one of %s; it is %r."
                           % (kind, ", ".join(POD_SECURITY_LEVELS), levels.get(kind)))
    for var in ("hub_pod_security_audit", "hub_pod_security_warn"):
        value = inv.get(var, "restricted")
        if var not in inv.bad_types and value not in POD_SECURITY_LEVELS:
            out.append("%s must be one of %s; it is %r." % (var, ", ".join(POD_SECURITY_LEVELS), value))
    version = inv.get("hub_pod_security_version", "latest")
    if "hub_pod_security_version" not in inv.bad_types and not re.match(r"^(latest|v1\.[0-9]+)$", str(version)):
        out.append("hub_pod_security_version must be latest or a Kubernetes minor version such as v1.31; it is %r."
                   % (version,))
    return out


def hubs_problems(inv, traitlets_registry=None):
    if "hubs" in inv.bad_types:
        return []
    hubs = inv.get("hubs", []) or []
    allow_dummy = truthy(inv.get("hub_allow_dummy_auth", False))
    out = []
    for index, entry in enumerate(hubs):
        label = "hubs[%d]" % index
        if not isinstance(entry, dict):
            out.append("%s must be a mapping (name, kind, host, auth...); it is %s." % (label, describe(entry)))
            return out
        for key, want in (("auth", dict), ("values", dict), ("values_files", list), ("profiles", list)):
            if entry.get(key) is not None and not isinstance(entry[key], want):
                out.append("%s (%s): %s must be %s; it is %s." % (label, entry.get("name"), key,
                                                                  "a mapping" if want is dict else "a list",
                                                                  describe(entry[key])))
        if out:
            return out
    out.extend(hub_config.hub_entry_errors(hubs, allow_dummy))
    out.extend(pod_security_problems(inv))
    base_dir = inv.get("hub_values_files_dir") or inv.get("inventory_dir") or "."
    out.extend(hub_config.missing_values_files(hubs, base_dir))
    tls_var, tls = inv.pick("hub_tls", "cluster_tls")
    out.extend(hub_config.tls_errors(hubs, tls or "none", tls_var in inv.user_set))
    if inv.group("desktops"):
        homes_class = inv.pick("hub_homes_storage_class", "cluster_homes_storage_class")[1]
        common = inv.get("hub_common_values", {})
        out.extend(hub_config.desktop_home_errors(
            hubs, common if isinstance(common, dict) else {}, homes_class or "local-path",
            truthy(inv.get("hub_allow_desktops", False)), inv.get("hub_node_local_storage_classes", ["local-path"])))
    repo_dir = inv.get("hub_binder_repo_dir", "")
    problem = target_repo_dir_error(repo_dir, "hub_binder_repo_dir")
    if problem:
        out.append(problem + ".")
    elif repo_dir and (repo_dir.rstrip("/") + "/").startswith("/home/jovyan/"):
        out.append("hub_binder_repo_dir %s is under /home/jovyan, where a persistent Binder mounts each user's home "
                   "and hides it: choose a folder outside, such as /srv/repo." % repo_dir)
    if out:
        return out
    registry_var, registry = inv.pick("hub_registry_address", "cluster_registry_address")
    if not registry and any(h.get("kind") == "binderhub" for h in hubs):
        out.append("hubs: kind binderhub needs the in-cluster registry: set cluster_registry_address "
                   "(HOST:NODEPORT) and run playbooks/cluster_services.yml.")
    for index, hub in enumerate(hubs):
        for where, ref in _image_refs(hub):
            for problem in image_ref.image_reference_problems(ref):
                out.append("hubs[%d] (%s): %s: %s." % (index, hub["name"], where, problem))
    common = inv.get("hub_common_values", {}) or {}
    if not hubs or not isinstance(common, dict):
        return out
    if traitlets_registry is None:
        from ansible_collections.versatile.jupyter.plugins.module_utils import hub_values_traitlets
        traitlets_registry = hub_values_traitlets.load_registry()
    if traitlets_registry.missing:
        out.append("The controller lacks %s, needed to check hub.config: install the controller's "
                   "requirements (pip install -r requirements.txt)." % ", ".join(traitlets_registry.missing))
        return out
    from ansible_collections.versatile.jupyter.plugins.module_utils import hub_values_traitlets
    import yaml
    for index, hub in enumerate(hubs):
        values = {"jupyterhub": common} if hub["kind"] == "binderhub" else dict(common)
        for path in hub.get("values_files") or []:
            try:
                with open(hub_config.resolve_path(path, base_dir)) as handle:
                    layer = yaml.safe_load(handle) or {}
            except (OSError, yaml.YAMLError) as exc:
                why = str(exc).splitlines()[0]
                out.append("hubs[%d] (%s): values file %s cannot be read: %s" % (index, hub["name"], path, why))
                continue
            if not isinstance(layer, dict):
                out.append("hubs[%d] (%s): values file %s must hold a mapping of Helm values."
                           % (index, hub["name"], path))
                continue
            values = merge_maps(values, layer)
        values = merge_maps(values, hub.get("values") or {})
        tree = values.get("jupyterhub") if hub["kind"] == "binderhub" else values
        tree = tree if isinstance(tree, dict) else {}
        hub_part = tree.get("hub") if isinstance(tree.get("hub"), dict) else {}
        base = ("jupyterhub", "hub", "config") if hub["kind"] == "binderhub" else ("hub", "config")
        errors, _warnings = hub_values_traitlets.check_hub_config(
            hub_part.get("config"), hub_part.get("extraConfig"), registry=traitlets_registry, base_path=base)
        for path, message in errors:
            out.append("hubs[%d] (%s): %s: %s." % (index, hub["name"], ".".join(path), message))
    return out


# --- hub_images -----------------------------------------------------------------------------------------

def hub_images_problems(inv):
    images = inv.get("hub_images", []) or []
    out = []
    names = []
    prefix_var, default_prefix = inv.pick("hub_images_image_prefix")
    for index, entry in enumerate(images):
        label = "hub_images[%d]" % index
        if not isinstance(entry, dict):
            out.append("%s must be a mapping (name, repo...); it is %s." % (label, describe(entry)))
            continue
        name = entry.get("name")
        if not isinstance(name, str) or not re.match(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$", name):
            out.append("%s: name must be letters, digits, '-', '_' or '.'; it is %r." % (label, name))
        elif name in names:
            out.append("%s: name %s is used twice; each image needs its own name." % (label, name))
        names.append(name)
        label = "%s (%s)" % (label, name)
        if not isinstance(entry.get("repo"), str) or not entry.get("repo"):
            out.append("%s: repo is missing (a git URL or a path on the build host)." % label)
        if "image_name" in entry and "image_prefix" in entry:
            out.append("%s: set image_name or image_prefix, not both." % label)
        if "image_name" in entry:
            ref = entry["image_name"]
            if not isinstance(ref, str) or not ref:
                out.append("%s: image_name must be a string." % label)
            elif image_ref.parse_image(ref).repository != image_ref.parse_image(ref).repository.lower():
                out.append("%s: image_name %s has uppercase letters; image names are lowercase: write %s."
                           % (label, ref, image_ref.lower_path(ref)))
            else:
                out.extend("%s: image_name %s." % (label, p) for p in image_ref.image_reference_problems(ref))
        else:
            prefix = entry.get("image_prefix", default_prefix)
            where = "image_prefix" if "image_prefix" in entry else prefix_var
            if not isinstance(prefix, str) or not prefix:
                out.append("%s: set image_name, or image_prefix (or hub_images_image_prefix, or "
                           "cluster_registry_address) to say where the image goes." % label)
            elif image_ref.lower_path(prefix) != prefix:
                out.append("%s: %s %s has uppercase letters; image names are lowercase: write %s."
                           % (label, where, prefix, image_ref.lower_path(prefix)))
            else:
                out.extend("%s: %s: %s." % (label, where, p) for p in binder_names.validate_image_prefix(prefix))
        problem = (target_repo_dir_error(entry["target_repo_dir"]) if "target_repo_dir" in entry else
                   target_repo_dir_error(inv.get("hub_images_target_repo_dir", ""), "hub_images_target_repo_dir"))
        if problem:
            out.append("%s: %s." % (label, problem))
    user = inv.get("hub_images_registry_username", "") or ""
    password = inv.get("hub_images_registry_password", "") or ""
    if bool(user) != bool(password):
        out.append("hub_images_registry_username and hub_images_registry_password go together: set both or none.")
    if str(inv.get("hub_images_user_id", 1000)) == "0" or inv.get("hub_images_user_name") == "root":
        out.append("hub_images_user_id / hub_images_user_name: the image user must not be root.")
    return out


# --- openstack_nodes ------------------------------------------------------------------------------------

def _cidr_problem(var, value):
    try:
        ipaddress.ip_network(value, strict=True)
        return None
    except (ValueError, TypeError):
        return "%s: %r is not a network like 192.0.2.0/24." % (var, value)


def openstack_problems(inv):
    groups = inv.get("openstack_nodes_groups", []) or []
    state = inv.get("openstack_nodes_state", "present")
    cluster = inv.get("openstack_nodes_cluster_name", "jupyter")
    out = []
    if state not in ("present", "absent"):
        return ["openstack_nodes_state must be present or absent; it is %r." % (state,)]
    if state == "absent":
        if inv.get("openstack_nodes_confirm_delete", "") != cluster:
            out.append("openstack_nodes_state=absent deletes every server, data volume and floating IP of the "
                       "cluster %s. To confirm, set openstack_nodes_confirm_delete=%s (on the command line)."
                       % (cluster, cluster))
        return out
    if not groups:
        return out
    out.extend(openstack_nodes_plan.group_errors(cluster, groups))
    admin = inv.get("openstack_nodes_admin_cidrs", []) or []
    if not admin:
        out.append("openstack_nodes_admin_cidrs must list at least one network allowed to reach SSH (the network "
                   "your controller connects from, e.g. 192.0.2.0/24).")
    for var in ("openstack_nodes_admin_cidrs", "openstack_nodes_api_cidrs"):
        for cidr in inv.get(var, []) or []:
            problem = _cidr_problem(var, cidr)
            if problem:
                out.append(problem)
    subnet = inv.get("openstack_nodes_subnet_cidr", "10.20.0.0/24")
    problem = _cidr_problem("openstack_nodes_subnet_cidr", subnet)
    if problem:
        out.append(problem)
    world = [c for c in admin if c in WORLD]
    if world and not truthy(inv.get("openstack_nodes_ssh_open_to_world", False)):
        out.append("openstack_nodes_admin_cidrs opens SSH to the whole internet (%s): list the networks you "
                   "administer from (e.g. 192.0.2.0/24), or, if that is really meant, set "
                   "openstack_nodes_ssh_open_to_world: true." % ", ".join(world))
    if truthy(inv.get("openstack_nodes_keypair_create", True)):
        key = inv.get("openstack_nodes_public_key_file", "~/.ssh/id_ed25519.pub")
        if not isinstance(key, str) or not os.path.isfile(os.path.expanduser(key)):
            out.append("openstack_nodes_public_key_file: %s does not exist on the controller; point it at the "
                       "public half of the SSH key Ansible connects with." % (key,))
    return out


CHECKS = {
    "k3s": k3s_problems,
    "nodes": nodes_problems,
    "cluster_services": cluster_services_problems,
    "hubs": hubs_problems,
    "hub_images": hub_images_problems,
    "openstack": openstack_problems,
}


def problems(data, sections=SECTIONS, **options):
    """Every problem of the inventory, in the order of SECTIONS; an empty list when it is good."""
    inv = Inventory(data)
    out = type_problems(inv)
    for section in SECTIONS:
        if section in sections:
            check = CHECKS[section]
            out.extend(check(inv, **options) if section == "hubs" else check(inv))
    return out
