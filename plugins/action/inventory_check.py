# -*- coding: utf-8 -*-
# Copyright (c) versatile.jupyter contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugin: check the whole inventory on the controller (module_utils/inventory_check.py)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import ipaddress
import os
from collections.abc import Mapping

from ansible.errors import AnsibleError
from ansible.plugins.action import ActionBase

from ansible_collections.versatile.jupyter.plugins.module_utils import inventory_check, k3s_names, openstack_nodes_plan

# cluster_defaults first: the roles' defaults read its inventory-wide settings (and its vars/main.yml, derived
# from them, such as the registry password).
ROLES = ("cluster_defaults", "k3s", "node_prep", "cluster_services", "hub", "hub_images", "openstack_nodes")
ROLES_DIR = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))), "roles")
NODE_GROUPS = ("k3s_servers", "k3s_agents", "desktops")

# Besides inventory_check.TYPES: variables the checks read.
READ = (
    "k3s_install_script_url", "k3s_agent_upgrade_serial", "cluster_services_ingress", "cluster_services_tls",
    "cluster_services_acme_email", "cluster_services_homes", "cluster_services_registry_address",
    "hub_registry_address", "hub_images_registry_username", "hub_images_registry_password",
    "hub_images_user_id", "hub_images_user_name", "openstack_nodes_confirm_delete", "inventory_dir",
    "k3s_audit_log_maxage", "k3s_audit_log_maxbackup", "k3s_audit_log_maxsize",
)

# Before facts are gathered, templates that read them (the registry on the first server's address, say) see
# these placeholders: the structure is checked, the real address only exists once the nodes answer.
PLACEHOLDER_ADDRESS = "192.0.2.1"


def plain(value):
    """Ansible's templated types as plain Python types (their names never reach a message)."""
    if isinstance(value, Mapping):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return float(value)
    if isinstance(value, str):
        return str(value)
    return value


def _address(host, variables):
    address = variables.get("ansible_host", host) if isinstance(variables, Mapping) else host
    try:
        return str(ipaddress.ip_address(str(address)))
    except ValueError:
        return PLACEHOLDER_ADDRESS


def _placeholder_facts(address):
    return {"default_ipv4": {"address": address, "interface": "eth0"}, "architecture": "x86_64",
            "os_family": "Debian", "service_mgr": "systemd", "hostname": "placeholder"}


class _HostFacts(Mapping):
    """One host's variables, with placeholder facts where none were gathered yet."""

    def __init__(self, real, extra):
        self._real = real
        self._extra = extra

    def __getitem__(self, key):
        real = self._real is not None and key in self._real
        if key == "ansible_facts":
            facts = dict(self._extra[key])
            facts.update(self._real[key] or {} if real else {})
            return facts
        if real:
            return self._real[key]
        return self._extra[key]

    def __contains__(self, key):
        return key in self._extra or (self._real is not None and key in self._real)

    def __iter__(self):
        seen = set(self._extra)
        yield from self._extra
        for key in self._real or ():
            if key not in seen:
                yield key

    def __len__(self):
        return len(list(iter(self)))


class _Hostvars(Mapping):
    """hostvars as the check sees it: real hosts, and the nodes provisioning will create."""

    def __init__(self, real, planned):
        self._real = real
        self._planned = planned

    def _extra(self, host, raw):
        address = self._planned.get(host) or _address(host, raw)
        facts = _placeholder_facts(address)
        extra = {"ansible_facts": facts, "ansible_default_ipv4": facts["default_ipv4"]}
        if host in self._planned:
            extra.update({"inventory_hostname": host, "ansible_host": address, "openstack_nodes_fixed_ip": address})
        return extra

    def __getitem__(self, host):
        if host in self._planned:
            return _HostFacts(None, self._extra(host, {}))
        real = self._real[host]
        return _HostFacts(real, self._extra(host, self._real.raw_get(host)))

    def __contains__(self, host):
        return host in self._planned or host in self._real

    def __iter__(self):
        yield from self._real
        yield from self._planned

    def __len__(self):
        return len(self._real) + len(self._planned)


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    _VALID_ARGS = frozenset(("sections", "stage"))
    _requires_connection = False

    def _defaults(self):
        out = {}
        for role in ROLES:
            for folder in ("defaults", "vars") if role == "cluster_defaults" else ("defaults",):
                path = os.path.join(ROLES_DIR, role, folder, "main.yml")
                if os.path.isfile(path):
                    out.update(self._loader.load_from_file(path, trusted_as_template=True) or {})
        return out

    def run(self, tmp=None, task_vars=None):
        result = super(ActionModule, self).run(tmp, task_vars)
        task_vars = task_vars or {}
        sections = self._task.args.get("sections") or list(inventory_check.SECTIONS)
        unknown = [s for s in sections if s not in inventory_check.SECTIONS]
        if unknown:
            return dict(result, failed=True, msg="sections: unknown %s (known: %s)"
                        % (", ".join(unknown), ", ".join(inventory_check.SECTIONS)))
        stage = self._task.args.get("stage") or "install"
        hostvars = task_vars["hostvars"]
        groups = {name: list(members) for name, members in task_vars.get("groups", {}).items()}
        defaults = self._defaults()
        problems = []
        unknown = set()

        def context(host, planned, groups_now):
            raw = hostvars.raw_get(host) if host in hostvars else {}
            variables = dict(defaults)
            variables.update(raw)
            variables["groups"] = groups_now
            variables["hostvars"] = _Hostvars(hostvars, planned)
            if "hub_images_built" not in raw:
                # Set by playbooks/images.yml: before it runs, a hub's image names a placeholder build.
                variables["hub_images_built"] = _AnyImage()
                variables["hub_images_details"] = _AnyImage(details=True)
            return raw, variables

        def evaluate(variables, names):
            templar = self._templar.copy_with_new_env(available_variables=variables)
            values = {}
            for name in names:
                if name not in variables:
                    continue
                try:
                    values[name] = plain(templar.template(variables[name]))
                except AnsibleError as exc:
                    why = _first_line(exc)
                    hint = " (is the vault file missing, or was --ask-vault-pass forgotten?)" if "vault_" in why else ""
                    problems.append("%s cannot be computed: %s%s" % (name, why, hint))
                    unknown.add(name)
            return values

        ref_host = (groups.get("k3s_servers") or ["localhost"])[0]
        raw, variables = context(ref_host, {}, groups)
        first = evaluate(variables, ("openstack_nodes_groups", "openstack_nodes_cluster_name", "openstack_nodes_state",
                                     "openstack_nodes_subnet_cidr"))
        if first.get("openstack_nodes_state") == "absent":
            # A teardown (provision.yml with openstack_nodes_state=absent): only its confirmation matters.
            sections = [s for s in sections if s == "openstack"]
        planned = self._planned(first)
        if planned:
            for name, (_address, group) in planned.items():
                if name not in groups.setdefault(group, []):
                    groups[group].append(name)
                    for parent in ("k3s_cluster", "all"):
                        groups.setdefault(parent, []).append(name)
            planned_addresses = {name: address for name, (address, _group) in planned.items()}
            ref_host = (groups.get("k3s_servers") or ["localhost"])[0]
            context_host = ref_host if ref_host not in planned else "localhost"
            raw, variables = context(context_host, planned_addresses, groups)
        else:
            planned_addresses = {}
        names = sorted(set(inventory_check.TYPES) | set(READ))
        values = evaluate(variables, names)
        user_set = sorted(n for n in names if n in raw)

        hosts = {}
        for host in sorted(set(sum((groups.get(g, []) for g in NODE_GROUPS + ("nfs_servers",)), []))):
            if host in planned_addresses:
                hosts[host] = {"node_name": k3s_names.node_name(host), "address": planned_addresses[host]}
                continue
            host_raw = hostvars.raw_get(host)
            host_vars = dict(defaults)
            host_vars.update(host_raw)
            host_vars["groups"] = groups
            host_vars["hostvars"] = _Hostvars(hostvars, planned_addresses)
            got = evaluate(host_vars, ("ansible_host", "k3s_node_name"))
            hosts[host] = {"address": got.get("ansible_host") or host,
                           "node_name": k3s_names.node_name(host, got.get("k3s_node_name")),
                           "node_name_set": "k3s_node_name" in host_raw}
        data = {"vars": values, "user_set": user_set, "groups": groups, "hosts": hosts,
                "planned": sorted(planned_addresses), "stage": stage,
                "unknown": sorted(unknown)}
        problems.extend(inventory_check.problems(data, sections))
        result["problems"] = problems
        result["changed"] = False
        if problems:
            result["failed"] = True
            result["msg"] = ["The inventory has %d problem(s); no host was contacted or changed:" % len(problems)] \
                + problems
        else:
            result["msg"] = "The inventory passed every check (%s)." % ", ".join(sections)
        return result

    @staticmethod
    def _planned(first):
        """{server name: (placeholder address, inventory group)} for the nodes openstack_nodes will create."""
        groups = first.get("openstack_nodes_groups") or []
        if first.get("openstack_nodes_state", "present") != "present" or not isinstance(groups, list):
            return {}
        cluster = first.get("openstack_nodes_cluster_name") or "jupyter"
        try:
            subnet = ipaddress.ip_network(first.get("openstack_nodes_subnet_cidr") or "10.20.0.0/24")
            pool = subnet.hosts()
            next(pool)
        except (ValueError, TypeError, StopIteration):
            pool = iter(ipaddress.ip_network("10.20.0.0/24").hosts())
        out = {}
        for group in groups:
            if not isinstance(group, dict) or group.get("inventory_group") not in NODE_GROUPS:
                continue
            count = group.get("count")
            if isinstance(count, bool) or not isinstance(count, int) or not isinstance(group.get("name"), str):
                continue
            for index in range(1, count + 1):
                name = openstack_nodes_plan.server_name(cluster, group["name"], index)
                out[name] = (str(next(pool, PLACEHOLDER_ADDRESS)), group["inventory_group"])
        return out


class _AnyImage(Mapping):
    """hub_images_built / hub_images_details before playbooks/images.yml ran: any key names a placeholder."""

    def __init__(self, details=False):
        self._details = details

    def __getitem__(self, key):
        image = "registry.invalid/placeholder/%s" % str(key).lower()
        if self._details:
            return {"image": image + ":placeholder", "name": image, "tag": "placeholder"}
        return image + ":placeholder"

    def __contains__(self, key):
        return True

    def __iter__(self):
        return iter(())

    def __len__(self):
        return 0


def _first_line(exc):
    text = getattr(exc, "message", None) or str(exc)
    return str(text).strip().splitlines()[0] if str(text).strip() else type(exc).__name__
