#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) versatile.jupyter contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
---
module: node_os
short_description: Bring a node's kernel, swap, kubelet arguments and host firewall to the wanted state at once
version_added: 0.1.0
description:
  - One round trip per node for everything node_prep sets outside the package manager; a re-run that finds
    nothing to change only reads files, C(/proc) and the firewall's rule list.
  - Kernel modules are written to a modules-load.d file and loaded (C(modprobe -a)) unless the running kernel
    already provides them; kernel parameters are written to a sysctl.d file and set where the running value differs.
  - Swap C(off) turns active swap off and comments out fstab's swap lines; C(keep) leaves swap as it is and gives
    back the fstab lines an earlier run of this role commented out.
  - Writes a k3s C(config.yaml.d) file that appends kubelet arguments (swap tolerated where it is kept,
    reservations, eviction thresholds, max pods), or removes it when there are none.
  - Where ufw or firewalld is active (nothing is enabled), opens the cluster ports to the cluster's nodes only,
    the API also to the admin networks, the public ports to any address; rules an earlier run added that are no
    longer wanted (among them ports opened to any address) are removed.
  - Reports the packages of O(packages) that are not installed and whether O(service) runs, for the apt and
    systemd tasks that follow.
  - The logic lives in module_utils/node_prep.py.
author:
  - versatile.jupyter contributors (@versatile)
options:
  kernel_modules:
    description: Kernel modules to load now and at boot.
    type: list
    elements: str
    default: []
  module_markers:
    description: Path that shows a module is provided (built in or loaded); default C(/sys/module/<name>).
    type: dict
    default: {}
  modules_file:
    description: The modules-load.d file.
    type: path
    default: /etc/modules-load.d/versatile-jupyter.conf
  sysctls:
    description: Kernel parameters, name to value.
    type: dict
    default: {}
  sysctl_file:
    description: The sysctl.d file.
    type: path
    default: /etc/sysctl.d/90-versatile-jupyter.conf
  swap:
    description: C(off) or C(keep) (see above).
    type: str
    choices: ["off", "keep"]
    default: "off"
  fstab:
    description: The fstab file.
    type: path
    default: /etc/fstab
  kubelet:
    description: Kubelet arguments of this node, written to O(k3s_dropin).
    type: dict
    default: {}
    suboptions:
      reserve:
        description: Add the reservations, eviction thresholds and max pods below.
        type: bool
        default: false
      system_reserved:
        description: Resources kept for the operating system and the owner's programs (resource to quantity).
        type: dict
        default: {}
      kube_reserved:
        description: Resources kept for k3s itself.
        type: dict
        default: {}
      eviction_hard:
        description: Signal to threshold (C(memory.available) to C(500Mi)); pods are evicted below it.
        type: dict
        default: {}
      max_pods:
        description: Most pods on this node (0 leaves the kubelet's default).
        type: int
        default: 0
      extra_args:
        description: Further kubelet arguments (name=value).
        type: list
        elements: str
        default: []
  k3s_dropin:
    description: The k3s drop-in configuration file.
    type: path
    default: /etc/rancher/k3s/config.yaml.d/50-versatile-jupyter-node.yaml
  firewall:
    description: Host firewall rules; nothing is done when O(firewall.manage) is false or no firewall is active.
    type: dict
    default: {}
    suboptions:
      manage:
        description: Manage the rules of an active ufw or firewalld.
        type: bool
        default: false
      nodes:
        description: The cluster's nodes, each C(name), C(address) (empty when unknown) and C(server) (bool).
        type: list
        elements: dict
        default: []
      is_server:
        description: This node is a k3s server.
        type: bool
        default: false
      node_ports:
        description: Ports (C(port), C(proto)) every node opens to every node.
        type: list
        elements: dict
        default: []
      server_ports:
        description: Ports a server opens to every node and to O(firewall.admin_networks).
        type: list
        elements: dict
        default: []
      etcd_ports:
        description: Ports a server opens to the servers only.
        type: list
        elements: dict
        default: []
      public_ports:
        description: Ports open to any address.
        type: list
        elements: dict
        default: []
      admin_networks:
        description: Networks that reach the servers' API ports too.
        type: list
        elements: str
        default: []
      trusted_cidrs:
        description: Networks (pods, services) that reach every port.
        type: list
        elements: str
        default: []
  data_dir:
    description: Folder for node-local data (root, 0755); nothing when empty.
    type: path
  packages:
    description: Packages whose absence is reported in RV(missing_packages).
    type: list
    elements: str
    default: []
  service:
    description: Service whose state is reported in RV(service_ok); empty for none.
    type: str
    default: ""
attributes:
  check_mode:
    description: Reports what it would change and changes nothing.
    support: full
  diff_mode:
    description: Shows the files before and after, and the firewall rules added and removed.
    support: full
'''

EXAMPLES = r'''
- name: Bring the node's kernel, swap and firewall to the wanted state
  versatile.jupyter.node_os:
    kernel_modules: [overlay, br_netfilter]
    sysctls: {net.ipv4.ip_forward: 1}
    swap: keep
    kubelet: {reserve: true, system_reserved: {cpu: 500m, memory: 1Gi}, max_pods: 20}
    firewall:
      manage: true
      nodes: [{name: srv1, address: 10.0.0.5, server: true}, {name: pc01, address: 10.0.0.21, server: false}]
      is_server: false
      node_ports: [{port: "10250", proto: tcp}, {port: "8472", proto: udp}]
    packages: [nfs-common, chrony]
    service: chrony
  register: node_prep_state
'''

RETURN = r'''
changes:
  description: What was (or, in check mode, would be) changed, one line each.
  returned: always
  type: list
  elements: str
  sample: ["set kernel parameter fs.inotify.max_user_watches", "ufw allow from 10.0.0.5 to any port 10250 proto tcp"]
missing_packages:
  description: The packages of O(packages) that are not installed.
  returned: always
  type: list
  elements: str
service_ok:
  description: O(service) is enabled and running, or there is nothing to run (no service, or a container).
  returned: always
  type: bool
container:
  description: The node is a container (it shares its host's kernel and clock).
  returned: always
  type: bool
host_sysctls:
  description:
    - On a container node, the whole-machine kernel parameters of O(sysctls) (C(vm.*), C(kernel.*) outside the
      IPC and UTS namespaces) whose running value differs, as C(name=value). They are written to O(sysctl_file)
      but not set (setting them would change the host's kernel). The host must set them.
  returned: always
  type: list
  elements: str
  sample: ["kernel.panic_on_oops=1", "vm.overcommit_memory=1"]
firewall:
  description: The active host firewall (ufw, firewalld or none).
  returned: always
  type: str
k3s_config_changed:
  description: The k3s drop-in file changed (k3s must restart to read it).
  returned: always
  type: bool
k3s_running:
  description: A k3s unit (C(k3s) or C(k3s-agent)) runs or is starting, so a changed drop-in needs its restart.
  returned: always
  type: bool
'''

import os
import shlex
import tempfile

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.versatile.jupyter.plugins.module_utils import node_prep


def read(path):
    try:
        with open(path) as f:
            return f.read()
    except (IOError, OSError):
        return None


class Node(object):
    """Reads the node and, unless in check mode, changes it; every change is recorded."""

    def __init__(self, module):
        self.module = module
        self.changes = []
        self.diffs = []

    def run(self, args, check=True):
        rc, out, err = self.module.run_command(args)
        if check and rc != 0:
            self.module.fail_json(msg="%s failed (rc %d): %s" % (" ".join(args), rc, (err or out).strip()),
                                  changes=self.changes)
        return rc, out, err

    def change(self, text, action=None):
        self.changes.append(text)
        if action is not None and not self.module.check_mode:
            action()

    def file(self, path, content, mode=0o644):
        """Write (or, with content "", remove) a file; True when it changed. mode None keeps the file's own."""
        before = read(path)
        if content == "" and before is None:
            return False
        if before == content:
            if content and mode is not None and (os.stat(path).st_mode & 0o7777) != mode:
                self.change("set mode %04o on %s" % (mode, path), lambda: os.chmod(path, mode))
                return True
            return False
        self.diffs.append({"before_header": path, "after_header": path,
                           "before": before or "", "after": content})
        if content == "":
            self.change("remove %s" % path, lambda: os.remove(path))
        else:
            self.change("write %s" % path, lambda: self._write(path, content, mode))
        return True

    def _write(self, path, content, mode):
        folder = os.path.dirname(path)
        if not os.path.isdir(folder):
            os.makedirs(folder, 0o755)
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=".node_os")
        with os.fdopen(fd, "w") as f:
            f.write(content)
        self.module.atomic_move(tmp, path)
        # atomic_move keeps an existing file's mode and gives a new one the umask's.
        if mode is not None:
            os.chmod(path, mode)


def kernel(node, p, container):
    """Modules and kernel parameters. Returns the host-wide parameters (vm.*, kernel.*) a container node leaves
    for its host to set, as name=value: the file lists them, the host's running kernel is not changed."""
    node.file(p["modules_file"], node_prep.modules_load_content(p["kernel_modules"]))
    missing = [name for name in p["kernel_modules"]
               if not os.path.exists(p["module_markers"].get(name, "/sys/module/" + name))]
    if missing:
        node.change("load kernel modules %s" % " ".join(missing),
                    lambda: node.run([node.module.get_bin_path("modprobe", required=True), "-a"] + missing))
    node.file(p["sysctl_file"], node_prep.sysctl_content(p["sysctls"]))
    live = dict((name, read(node_prep.sysctl_path(name))) for name in p["sysctls"])
    for_host = []
    for name in node_prep.sysctls_to_set(p["sysctls"], live):
        value = node_prep.format_sysctl(p["sysctls"][name])
        if container and node_prep.host_kernel_sysctl(name):
            for_host.append("%s=%s" % (name, value))
            continue
        node.change("set kernel parameter %s=%s" % (name, value), lambda n=name, v=value: set_sysctl(node, n, v))
    return for_host


def set_sysctl(node, name, value):
    try:
        with open(node_prep.sysctl_path(name), "w") as f:
            f.write(value)
    except (IOError, OSError) as e:
        node.module.fail_json(msg="Cannot set kernel parameter %s=%s (node_prep_sysctls): %s" % (name, value, e),
                              changes=node.changes)


def swap(node, p):
    fstab = read(p["fstab"])
    if p["swap"] == "off":
        if node_prep.active_swaps(read("/proc/swaps") or ""):
            node.change("turn swap off", lambda: node.run(["swapoff", "-a"]))
        if fstab is not None:
            node.file(p["fstab"], node_prep.fstab_without_swap(fstab), mode=None)
    elif fstab is not None and node.file(p["fstab"], node_prep.fstab_restored(fstab), mode=None):
        # The owner's swap comes back as it was before an earlier run turned it off.
        node.change("turn the owner's swap back on", lambda: swapon(node))


def swapon(node):
    rc, out, err = node.run(["swapon", "-a"], check=False)
    if rc != 0:
        node.module.warn("swapon -a failed after giving back fstab's swap lines: %s" % (err or out).strip())


def kubelet(node, p):
    k = p["kubelet"]
    args = node_prep.kubelet_args(p["swap"] == "keep", k["reserve"], k["system_reserved"], k["kube_reserved"],
                                  k["eviction_hard"], k["max_pods"], k["extra_args"])
    return node.file(p["k3s_dropin"], node_prep.k3s_dropin_content(args), mode=0o600)


def firewall(node, p):
    f = p["firewall"]
    if not f["manage"]:
        return "none"
    ufw = node.module.get_bin_path("ufw")
    firewall_cmd = node.module.get_bin_path("firewall-cmd")
    active = None
    if ufw and "Status: active" in node.run([ufw, "status"], check=False)[1]:
        active = "ufw"
    elif firewall_cmd and node.run([firewall_cmd, "--state"], check=False)[1].strip() == "running":
        active = "firewalld"
    if active is None:
        return "none"
    try:
        rules = node_prep.firewall_rules(f["nodes"], f["is_server"], f["node_ports"], f["server_ports"],
                                         f["etcd_ports"], f["public_ports"], f["admin_networks"], f["trusted_cidrs"])
    except ValueError as e:
        node.module.fail_json(msg="%s (node_prep_firewall_*, cluster_admin_networks, cluster_node_address)." % e)
    unknown = node_prep.unknown_nodes(f["nodes"])
    if unknown:
        # A node without facts (--limit, unreachable) keeps whatever rules it had: nothing is removed this run.
        node.module.warn("No address known for %s (no facts, no cluster_node_address): no rule for it is added, "
                         "and no rule is removed, until a run that knows every node's address." % ", ".join(unknown))
    if active == "ufw":
        add, delete = node_prep.ufw_plan(node.run([ufw, "show", "added"])[1], rules)
        delete = [] if unknown else delete
        for args in add:
            node.change("ufw " + args, lambda a=args: node.run([ufw] + shlex.split(a)))
        for args in delete:
            node.change("ufw delete " + args, lambda a=args: node.run([ufw, "--force", "delete"] + shlex.split(a)))
    else:
        managed = f["node_ports"] + f["server_ports"] + f["etcd_ports"]
        for scope in ([], ["--permanent"]):
            listed = [node.run([firewall_cmd] + scope + [what])[1].splitlines()
                      for what in ("--list-rich-rules", "--list-ports")]
            plan = node_prep.firewalld_plan(listed[0], " ".join(listed[1]).split(), rules, managed, f["trusted_cidrs"])
            if unknown:
                plan["remove_rich"], plan["remove_ports"] = [], []
            for option, items in (("--add-rich-rule", plan["add_rich"]), ("--add-port", plan["add_ports"]),
                                  ("--remove-rich-rule", plan["remove_rich"]),
                                  ("--remove-port", plan["remove_ports"])):
                if items:
                    node.change("firewall-cmd %s %s %s" % (" ".join(scope), option, "; ".join(items)),
                                lambda o=option, i=items, s=scope: node.run(
                                    [firewall_cmd] + s + ["%s=%s" % (o, item) for item in i]))
    return active


def data_dir(node, path):
    if not path:
        return
    st = os.stat(path) if os.path.isdir(path) else None
    if st is None or st.st_uid != 0 or st.st_gid != 0 or (st.st_mode & 0o7777) != 0o755:
        def make():
            if not os.path.isdir(path):
                os.makedirs(path)
            os.chown(path, 0, 0)
            os.chmod(path, 0o755)
        node.change("create %s (root, 0755)" % path, make)


def missing_packages(node, names):
    if not names:
        return []
    out = node.run(["dpkg-query", "-W", "-f", "${Package} ${db:Status-Abbrev}\n"] + names, check=False)[1]
    installed = set(line.split()[0] for line in out.splitlines() if line.split()[1:2] == ["ii"])
    return [name for name in names if name not in installed]


def in_container():
    return any(os.path.exists(path) for path in ("/run/systemd/container", "/.dockerenv", "/run/.containerenv"))


def k3s_running(node):
    systemctl = node.module.get_bin_path("systemctl")
    if not systemctl:
        return False
    out = node.run([systemctl, "show", "--property=ActiveState", "--value"] + list(node_prep.K3S_UNITS),
                   check=False)[1]
    return node_prep.unit_running(out)


def service_ok(node, name, container):
    if not name or container:
        return True
    systemctl = node.module.get_bin_path("systemctl", required=True)
    return (node.run([systemctl, "is-enabled", name], check=False)[0] == 0
            and node.run([systemctl, "is-active", name], check=False)[0] == 0)


def main():
    module = AnsibleModule(
        argument_spec=dict(
            kernel_modules=dict(type='list', elements='str', default=[]),
            module_markers=dict(type='dict', default={}),
            modules_file=dict(type='path', default='/etc/modules-load.d/versatile-jupyter.conf'),
            sysctls=dict(type='dict', default={}),
            sysctl_file=dict(type='path', default='/etc/sysctl.d/90-versatile-jupyter.conf'),
            swap=dict(type='str', choices=['off', 'keep'], default='off'),
            fstab=dict(type='path', default='/etc/fstab'),
            kubelet=dict(type='dict', default={}, options=dict(
                reserve=dict(type='bool', default=False),
                system_reserved=dict(type='dict', default={}),
                kube_reserved=dict(type='dict', default={}),
                eviction_hard=dict(type='dict', default={}),
                max_pods=dict(type='int', default=0),
                extra_args=dict(type='list', elements='str', default=[]),
            )),
            k3s_dropin=dict(type='path', default='/etc/rancher/k3s/config.yaml.d/50-versatile-jupyter-node.yaml'),
            firewall=dict(type='dict', default={}, options=dict(
                manage=dict(type='bool', default=False),
                nodes=dict(type='list', elements='dict', default=[]),
                is_server=dict(type='bool', default=False),
                node_ports=dict(type='list', elements='dict', default=[]),
                server_ports=dict(type='list', elements='dict', default=[]),
                etcd_ports=dict(type='list', elements='dict', default=[]),
                public_ports=dict(type='list', elements='dict', default=[]),
                admin_networks=dict(type='list', elements='str', default=[]),
                trusted_cidrs=dict(type='list', elements='str', default=[]),
            )),
            data_dir=dict(type='path'),
            packages=dict(type='list', elements='str', default=[]),
            service=dict(type='str', default=''),
        ),
        supports_check_mode=True,
    )
    p = module.params
    node = Node(module)
    container = in_container()
    host_sysctls = kernel(node, p, container)
    swap(node, p)
    k3s_changed = kubelet(node, p)
    active = firewall(node, p)
    data_dir(node, p["data_dir"])
    result = dict(changed=bool(node.changes), changes=node.changes, container=container, host_sysctls=host_sysctls,
                  firewall=active, k3s_config_changed=k3s_changed, k3s_running=k3s_running(node),
                  missing_packages=missing_packages(node, p["packages"]),
                  service_ok=service_ok(node, p["service"], container))
    if module._diff:
        summary = [{"before": "", "after": "\n".join(node.changes) + "\n", "after_header": "changes"}]
        result["diff"] = node.diffs + (summary if node.changes else [])
    module.exit_json(**result)


if __name__ == '__main__':
    main()
