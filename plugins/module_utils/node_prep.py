# -*- coding: utf-8 -*-
# Copyright (c) versatile.jupyter contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What a cluster node's operating system should look like, as plain functions (module node_os).

Nothing here touches the system: each function turns wanted settings and what was read from a node (file
contents, /proc text, firewall listings) into what to write or which commands to run.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import ipaddress
import re
import shlex

MANAGED = "Managed by versatile.jupyter.node_prep"
FSTAB_MARK = "# disabled by versatile.jupyter.node_prep"
UFW_COMMENT = "versatile.jupyter"


# --- kernel modules and parameters --------------------------------------------------------------------

def modules_load_content(modules):
    """modules-load.d file: one module a line."""
    return "".join("%s\n" % name for name in modules)


def sysctl_content(sysctls):
    """sysctl.d file: name=value lines, sorted, under a header."""
    lines = ["# %s: change node_prep_sysctls in the inventory, not this file." % MANAGED]
    lines.extend("%s=%s" % (name, format_sysctl(value)) for name, value in sorted(sysctls.items()))
    return "\n".join(lines) + "\n"


def format_sysctl(value):
    if isinstance(value, bool):
        return "1" if value else "0"
    return " ".join(str(value).split())


def sysctl_path(name):
    """/proc/sys path of a kernel parameter (dots are folders)."""
    return "/proc/sys/" + name.replace(".", "/")


def sysctls_to_set(wanted, live):
    """Names whose running value differs. live maps a name to the text read from /proc/sys (None: absent)."""
    return [name for name in sorted(wanted)
            if live.get(name) is None or " ".join(live[name].split()) != format_sysctl(wanted[name])]


# kernel.* parameters of the IPC and UTS namespaces, which a container has of its own.
_NAMESPACED_KERNEL = ("kernel.shm", "kernel.msg", "kernel.sem", "kernel.hostname", "kernel.domainname")


def host_kernel_sysctl(name):
    """Whether a vm.* or kernel.* parameter is the whole machine's (no namespace holds it): set from inside a
    container it would change the host's kernel (vm.overcommit_memory, kernel.panic_on_oops...)."""
    if name.startswith("vm."):
        return True
    return name.startswith("kernel.") and not name.startswith(_NAMESPACED_KERNEL)


# --- swap -----------------------------------------------------------------------------------------------

def active_swaps(proc_swaps):
    """The swap areas listed in /proc/swaps (its first line is a header)."""
    return [line.split()[0] for line in proc_swaps.splitlines()[1:] if line.strip()]


def _is_swap_line(line):
    fields = line.split()
    return len(fields) > 2 and not fields[0].startswith("#") and fields[2] == "swap"


def fstab_without_swap(text):
    """fstab with every active swap line commented out (marked as ours, so "keep" can give them back)."""
    return "".join("# %s  %s\n" % (line.rstrip("\n"), FSTAB_MARK) if _is_swap_line(line) else line
                   for line in text.splitlines(True))


def fstab_restored(text):
    """fstab with the swap lines this role once disabled given back to their owner."""
    pattern = re.compile(r"^# (.*\S)\s+" + re.escape(FSTAB_MARK) + r"$")
    out = []
    for line in text.splitlines(True):
        match = pattern.match(line.rstrip("\n"))
        out.append(match.group(1) + "\n" if match else line)
    return "".join(out)


# --- kubelet ------------------------------------------------------------------------------------------

def _pairs(mapping, sep):
    return ",".join("%s%s%s" % (key, sep, mapping[key]) for key in sorted(mapping))


def kubelet_args(keep_swap, reserve, system_reserved, kube_reserved, eviction_hard, max_pods, extra):
    """kubelet arguments for this node: swap tolerated where it is kept, reservations where asked."""
    args = []
    if keep_swap:
        args.append("fail-swap-on=false")
    if reserve:
        if system_reserved:
            args.append("system-reserved=" + _pairs(system_reserved, "="))
        if kube_reserved:
            args.append("kube-reserved=" + _pairs(kube_reserved, "="))
        if eviction_hard:
            args.append("eviction-hard=" + _pairs(eviction_hard, "<"))
        if max_pods:
            args.append("max-pods=%d" % int(max_pods))
        args.extend(extra or [])
    return args


def k3s_dropin_content(args):
    """A k3s config.yaml.d file that appends (kubelet-arg+) these kubelet arguments; empty when none."""
    if not args:
        return ""
    lines = ["# %s (node_prep_kubelet_* in the inventory); k3s appends these to config.yaml's." % MANAGED,
             "kubelet-arg+:"]
    lines.extend('  - "%s"' % arg.replace("\\", "\\\\").replace('"', '\\"') for arg in args)
    return "\n".join(lines) + "\n"


# The k3s units and the states in which `systemctl try-restart` restarts a unit (it runs or is starting).
K3S_UNITS = ("k3s.service", "k3s-agent.service")
RUNNING_STATES = ("active", "activating", "reloading")


def unit_running(active_states):
    """Whether `systemctl show --property=ActiveState --value UNIT...` output names a running (or starting) unit:
    only a k3s that runs must restart to read a changed drop-in; a unit not installed reports inactive."""
    return any(state in RUNNING_STATES for state in active_states.split())


# --- firewall ---------------------------------------------------------------------------------------

def parse_source(text, what):
    """An address or network as ipaddress network, or ValueError naming what it was for."""
    try:
        return ipaddress.ip_network(str(text).strip(), strict=False)
    except ValueError:
        raise ValueError("%s: %r is not an IP address or network" % (what, text))


def plain(source):
    """A network as text, a single host without its /32 or /128 (as ufw and firewalld print it)."""
    network = ipaddress.ip_network(source, strict=False)
    if network.prefixlen == network.max_prefixlen:
        return str(network.network_address)
    return str(network)


def _port_key(port):
    return int(str(port).split(":", maxsplit=1)[0])


def _check_port(entry):
    if not isinstance(entry, dict) or entry.get("proto") not in ("tcp", "udp") or not entry.get("port"):
        raise ValueError("firewall port entry %r must have a port and a proto (tcp or udp)" % (entry,))


def firewall_rules(nodes, is_server, node_ports, server_ports, etcd_ports, public_ports, admin_networks,
                   trusted_cidrs):
    """The allow rules a node wants, as a sorted list of (source or None, proto or None, ports tuple).

    nodes: list of {name, address, server}; an empty address is a node whose address is unknown (left out).
    Every node's ports are open to every node; a server's API ports also to the admin networks, its etcd
    ports to the servers only; the public ports to any address; the trusted networks (pods, services) reach
    every port.
    """
    for entry in node_ports + server_ports + etcd_ports + public_ports:
        _check_port(entry)
    wanted = {}

    def allow(source, ports):
        for entry in ports:
            key = (source, entry["proto"])
            wanted.setdefault(key, set()).add(str(entry["port"]))

    node_sources = []
    server_sources = []
    for node in nodes:
        if not node.get("address"):
            continue
        source = str(parse_source(node["address"], "address of cluster node %s" % node["name"]))
        node_sources.append(source)
        if node.get("server"):
            server_sources.append(source)
    for source in node_sources:
        allow(source, node_ports)
        if is_server:
            allow(source, server_ports)
    if is_server:
        for index, network in enumerate(admin_networks):
            allow(str(parse_source(network, "cluster_admin_networks[%d]" % index)), server_ports)
        for source in server_sources:
            allow(source, etcd_ports)
    rules = [(source, proto, tuple(sorted(ports, key=_port_key))) for (source, proto), ports in wanted.items()]
    # Open to any address: one rule a port, as a site would write it by hand.
    for entry in public_ports:
        rules.append((None, entry["proto"], (str(entry["port"]),)))
    for index, network in enumerate(trusted_cidrs):
        rules.append((str(parse_source(network, "node_prep_firewall_trusted_cidrs[%d]" % index)), None, ()))
    return sorted(set(rules), key=lambda r: (r[0] or "", r[1] or "", r[2]))


def unknown_nodes(nodes):
    return sorted(node["name"] for node in nodes if not node.get("address"))


# ufw: rules in the form `ufw show added` prints them, so that a node's rules compare as text.

def ufw_rule(rule, comment=UFW_COMMENT):
    source, proto, ports = rule
    if source is None:
        text = "allow %s/%s" % (",".join(ports), proto)
    elif not ports:
        text = "allow from %s" % plain(source)
    else:
        text = "allow from %s to any port %s proto %s" % (plain(source), ",".join(ports), proto)
    return "%s comment %s" % (text, shlex.quote(comment))


def ufw_key(args):
    """A rule's meaning, independent of how its words are ordered: (action, from, to, ports, proto, comment)."""
    words = shlex.split(args)
    key = {"action": words[0] if words else "", "from": "any", "to": "any", "port": "", "proto": "",
           "comment": ""}
    rest = words[1:]
    if rest and rest[0] not in ("from", "to", "proto", "in", "out", "comment", "on"):
        key["port"], key["proto"] = (rest[0].split("/", 1) + [""])[:2]
        rest = rest[1:]
    while len(rest) >= 2:
        word, value = rest[0], rest[1]
        if word in key:
            key[word] = value
        rest = rest[2:] if word in key or word == "on" else rest[1:]
    ports = frozenset(key["port"].split(",")) if key["port"] else frozenset()
    for end in ("from", "to"):
        if key[end] != "any":
            try:
                key[end] = plain(key[end])
            except ValueError:
                pass
    return (key["action"], key["from"], key["to"], ports, key["proto"], key["comment"])


def ufw_plan(show_added, wanted, comment=UFW_COMMENT):
    """Rules to add and to delete (as ufw arguments) to go from `ufw show added` to the wanted rules.

    Only rules carrying this role's comment are ever deleted; other rules are the site's own.
    """
    current = {}
    for line in show_added.splitlines():
        line = line.strip()
        if line.startswith("ufw "):
            args = line[4:]
            current[ufw_key(args)] = args
    wanted_args = [ufw_rule(rule, comment) for rule in wanted]
    wanted_keys = set(ufw_key(args) for args in wanted_args)
    add = [args for args in wanted_args if ufw_key(args) not in current]
    delete = [args for key, args in sorted(current.items(), key=lambda item: item[1])
              if key[5] == comment and key not in wanted_keys]
    return add, delete


# firewalld: rich rules with a source, plain ports for the public ones.

def firewalld_wanted(rules):
    """(rich rules, plain ports) that express the wanted rules in firewalld."""
    rich, open_ports = [], []
    for source, proto, ports in rules:
        if source is None:
            open_ports.extend("%s/%s" % (port.replace(":", "-"), proto) for port in ports)
            continue
        family = "ipv6" if ipaddress.ip_network(source).version == 6 else "ipv4"
        if not ports:
            rich.append('rule family="%s" source address="%s" accept' % (family, plain(source)))
        for port in ports:
            rich.append('rule family="%s" source address="%s" port port="%s" protocol="%s" accept'
                        % (family, plain(source), port.replace(":", "-"), proto))
    return sorted(set(rich)), sorted(set(open_ports))


_RICH_RE = re.compile(r'^rule family="(ipv[46])" source address="([^"]+)"'
                      r'(?: port port="([^"]+)" protocol="(tcp|udp)")? accept$')


def rich_key(rule):
    """(family, source, port, proto) of a rich rule this role could have written, else None."""
    match = _RICH_RE.match(" ".join(rule.split()))
    if not match:
        return None
    family, source, port, proto = match.groups()
    try:
        source = plain(source)
    except ValueError:
        return None
    return (family, source, port or "", proto or "")


def firewalld_plan(rich_rules, ports, wanted, managed_ports, trusted_cidrs):
    """What to add and remove in firewalld: dict of add_rich, remove_rich, add_ports, remove_ports.

    Rich rules on a managed port (or a trusted network's whole-node rule) that are no longer wanted are
    removed, and so are managed ports that were opened to any address (as earlier versions did).
    """
    want_rich, want_ports = firewalld_wanted(wanted)
    have = {}
    for rule in rich_rules:
        key = rich_key(rule)
        if key:
            have[key] = rule
    want_keys = set(rich_key(rule) for rule in want_rich)
    managed = set("%s/%s" % (str(entry["port"]).replace(":", "-"), entry["proto"]) for entry in managed_ports)
    trusted = set(str(parse_source(c, "node_prep_firewall_trusted_cidrs")) for c in trusted_cidrs)
    remove_rich = []
    for key, rule in sorted(have.items()):
        ours = ("%s/%s" % (key[2], key[3]) in managed) if key[2] else key[1] in trusted
        if ours and key not in want_keys:
            remove_rich.append(rule)
    return {
        "add_rich": [rule for rule in want_rich if rich_key(rule) not in have],
        "remove_rich": remove_rich,
        "add_ports": [port for port in want_ports if port not in ports],
        "remove_ports": sorted(port for port in ports if port in managed and port not in want_ports),
    }
