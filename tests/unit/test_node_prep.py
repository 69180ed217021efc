"""node_prep's plain functions (plugins/module_utils/node_prep.py): files, swap, kubelet arguments, firewall plans."""
import pytest

from ansible_collections.versatile.jupyter.plugins.module_utils import node_prep as np

NODE_PORTS = [{"port": "10250", "proto": "tcp"}, {"port": "8472", "proto": "udp"}]
SERVER_PORTS = [{"port": "6443", "proto": "tcp"}]
ETCD_PORTS = [{"port": "2379:2380", "proto": "tcp"}]
PUBLIC_PORTS = [{"port": "80", "proto": "tcp"}, {"port": "443", "proto": "tcp"}]
TRUSTED = ["10.42.0.0/16", "10.43.0.0/16"]
NODES = [{"name": "srv1", "address": "10.0.0.5", "server": True},
         {"name": "cpu1", "address": "10.0.0.11", "server": False},
         {"name": "pc01", "address": "", "server": False}]

# `ufw show added` of a node prepared by the earlier role version (ports open to any address) plus the site's SSH.
UFW_BEFORE = """Added user rules (see 'ufw status' for running firewall):
ufw allow 22/tcp
ufw allow 10250/tcp comment 'versatile.jupyter'
ufw allow 8472/udp comment 'versatile.jupyter'
ufw allow 80/tcp comment 'versatile.jupyter'
ufw allow from 10.42.0.0/16 comment 'versatile.jupyter'
"""


def rules(is_server, admin=()):
    return np.firewall_rules(NODES, is_server, NODE_PORTS, SERVER_PORTS, ETCD_PORTS, PUBLIC_PORTS, list(admin),
                             TRUSTED)


def test_files_are_sorted_and_stable():
    assert np.modules_load_content(["overlay", "br_netfilter"]) == "overlay\nbr_netfilter\n"
    text = np.sysctl_content({"net.ipv4.ip_forward": 1, "fs.inotify.max_user_watches": 524288})
    assert text.splitlines()[1:] == ["fs.inotify.max_user_watches=524288", "net.ipv4.ip_forward=1"]
    assert np.sysctl_path("net.bridge.bridge-nf-call-iptables") == "/proc/sys/net/bridge/bridge-nf-call-iptables"


def test_only_differing_sysctls_are_set():
    wanted = {"a.b": 1, "c.d": "4096 87380 6291456", "e.f": 2}
    live = {"a.b": "1\n", "c.d": "4096\t87380\t6291456\n", "e.f": "0\n"}
    assert np.sysctls_to_set(wanted, live) == ["e.f"]
    assert np.sysctls_to_set({"x.y": 1}, {"x.y": None}) == ["x.y"]


def test_whole_machine_kernel_parameters():
    """vm.* and kernel.* are the whole machine's, except the IPC and UTS namespaces' kernel.* parameters."""
    for name in ("vm.overcommit_memory", "vm.panic_on_oom", "kernel.panic", "kernel.panic_on_oops"):
        assert np.host_kernel_sysctl(name), name
    for name in ("net.ipv4.ip_forward", "net.bridge.bridge-nf-call-iptables", "fs.inotify.max_user_watches",
                 "kernel.shmmax", "kernel.msgmnb", "kernel.sem", "kernel.hostname", "kernel.domainname"):
        assert not np.host_kernel_sysctl(name), name


class FakeNode:
    """node_os.Node's recording side, without a module: file() and change() only note what would happen."""

    def __init__(self):
        self.files, self.changes = {}, []

    def file(self, path, content, mode=0o644):
        self.files[path] = content

    def change(self, what, action):
        self.changes.append(what)


KUBELET = {"vm.panic_on_oom": 0, "vm.overcommit_memory": 1, "kernel.panic": 10, "kernel.panic_on_oops": 1}


@pytest.mark.parametrize("container", [False, True])
def test_a_container_node_leaves_its_hosts_kernel_alone(monkeypatch, container):
    """On a machine every differing parameter is set; in a container (which shares its host's kernel) the
    kubelet's vm.* and kernel.* settings are only written to the file and returned for the host to set."""
    from ansible_collections.versatile.jupyter.plugins.modules import node_os

    live = {"/proc/sys/vm/panic_on_oom": "0\n", "/proc/sys/vm/overcommit_memory": "0\n",
            "/proc/sys/kernel/panic": "0\n", "/proc/sys/kernel/panic_on_oops": "0\n",
            "/proc/sys/net/ipv4/ip_forward": "0\n"}
    monkeypatch.setattr(node_os, "read", live.get)
    monkeypatch.setattr(node_os.os.path, "exists", lambda path: True)   # every kernel module loaded
    node = FakeNode()
    sysctls = dict(KUBELET, **{"net.ipv4.ip_forward": 1})
    params = {"modules_file": "/etc/modules-load.d/x.conf", "kernel_modules": [], "module_markers": {},
              "sysctl_file": "/etc/sysctl.d/x.conf", "sysctls": sysctls}
    for_host = node_os.kernel(node, params, container)
    assert node.files["/etc/sysctl.d/x.conf"].splitlines()[1:] == [
        "kernel.panic=10", "kernel.panic_on_oops=1", "net.ipv4.ip_forward=1", "vm.overcommit_memory=1",
        "vm.panic_on_oom=0"]
    if container:
        assert for_host == ["kernel.panic=10", "kernel.panic_on_oops=1", "vm.overcommit_memory=1"]
        assert node.changes == ["set kernel parameter net.ipv4.ip_forward=1"]
    else:
        assert for_host == []
        assert node.changes == ["set kernel parameter %s" % p for p in (
            "kernel.panic=10", "kernel.panic_on_oops=1", "net.ipv4.ip_forward=1", "vm.overcommit_memory=1")]


def test_swap_off_comments_out_and_keep_gives_back():
    fstab = "UUID=1 / ext4 defaults 0 1\n/swapfile none swap sw 0 0\n# /old none swap sw 0 0\n"
    off = np.fstab_without_swap(fstab)
    assert off.splitlines()[1] == "# /swapfile none swap sw 0 0  " + np.FSTAB_MARK
    assert off.splitlines()[2] == "# /old none swap sw 0 0"   # the owner's own comment stays
    assert np.fstab_without_swap(off) == off                  # idempotent
    assert np.fstab_restored(off) == fstab
    assert np.fstab_restored(fstab) == fstab
    assert np.active_swaps("Filename Type Size Used Priority\n/swapfile file 1024 0 -2\n") == ["/swapfile"]
    assert np.active_swaps("Filename Type Size Used Priority\n") == []


def test_kubelet_args_for_a_desktop_and_a_server():
    args = np.kubelet_args(True, True, {"memory": "2Gi", "cpu": "1"}, {"cpu": "250m"},
                           {"memory.available": "1Gi", "nodefs.available": "10%"}, 20, ["image-gc-high-threshold=80"])
    assert args == ["fail-swap-on=false", "system-reserved=cpu=1,memory=2Gi", "kube-reserved=cpu=250m",
                    "eviction-hard=memory.available<1Gi,nodefs.available<10%", "max-pods=20",
                    "image-gc-high-threshold=80"]
    text = np.k3s_dropin_content(args)
    assert "kubelet-arg+:" in text and '  - "eviction-hard=memory.available<1Gi,nodefs.available<10%"' in text
    assert np.kubelet_args(False, False, {"cpu": "1"}, {}, {}, 20, []) == []
    assert np.k3s_dropin_content([]) == ""


def test_k3s_restarts_for_a_new_drop_in_only_when_a_unit_runs_or_starts():
    # `systemctl show --property=ActiveState --value k3s.service k3s-agent.service` output: one value a unit.
    assert np.unit_running("inactive\n\nactive\n")
    assert np.unit_running("activating\n\ninactive\n")        # an agent still joining restarts too (try-restart)
    assert not np.unit_running("inactive\n\ninactive\n")      # no k3s installed yet: a first converge
    assert not np.unit_running("failed\n\ninactive\n")
    assert not np.unit_running("")


def test_agent_opens_node_ports_to_known_nodes_only():
    wanted = rules(is_server=False)
    assert (None, "tcp", ("80",)) in wanted and (None, "tcp", ("443",)) in wanted
    assert ("10.0.0.5/32", "tcp", ("10250",)) in wanted and ("10.0.0.11/32", "udp", ("8472",)) in wanted
    assert not [r for r in wanted if r[2] and "6443" in r[2]]     # no API on an agent
    assert not [r for r in wanted if r[0] is None and r[1] == "udp"]  # nothing cluster-only open to any address
    assert np.unknown_nodes(NODES) == ["pc01"]


def test_server_opens_api_to_admins_and_etcd_to_servers():
    wanted = rules(is_server=True, admin=["192.168.7.0/24"])
    assert ("10.0.0.5/32", "tcp", ("2379:2380", "6443", "10250")) in wanted
    assert ("10.0.0.11/32", "tcp", ("6443", "10250")) in wanted       # an agent: no etcd
    assert ("192.168.7.0/24", "tcp", ("6443",)) in wanted
    assert ("10.42.0.0/16", None, ()) in wanted


def test_bad_address_is_named():
    with pytest.raises(ValueError, match="cluster node srv1"):
        np.firewall_rules([{"name": "srv1", "address": "srv1.lab", "server": True}], True, NODE_PORTS,
                          SERVER_PORTS, ETCD_PORTS, [], [], [])
    with pytest.raises(ValueError, match=r"cluster_admin_networks\[0\]"):
        np.firewall_rules([], True, NODE_PORTS, SERVER_PORTS, ETCD_PORTS, [], ["everyone"], [])
    with pytest.raises(ValueError, match="must have a port and a proto"):
        np.firewall_rules([], False, [{"port": "10250", "proto": "sctp"}], [], [], [], [], [])


def test_ufw_plan_moves_from_open_to_restricted_and_then_stays():
    wanted = rules(is_server=False)
    add, delete = np.ufw_plan(UFW_BEFORE, wanted)
    assert delete == ["allow 10250/tcp comment 'versatile.jupyter'", "allow 8472/udp comment 'versatile.jupyter'"]
    assert not [d for d in delete if "22/tcp" in d]                 # the site's own rule is not ours
    assert "allow from 10.0.0.5 to any port 10250 proto tcp comment versatile.jupyter" in add
    assert "allow 443/tcp comment versatile.jupyter" in add
    assert not [a for a in add if a.startswith("allow 80/tcp")]    # already there
    # What ufw prints once the plan ran (it drops /32 and sorts multiport lists numerically).
    after = "\n".join(["ufw allow 22/tcp", "ufw allow 80/tcp comment 'versatile.jupyter'",
                       "ufw allow from 10.42.0.0/16 comment 'versatile.jupyter'"]
                      + ["ufw " + a.replace("comment versatile.jupyter", "comment 'versatile.jupyter'")
                         for a in add])
    assert np.ufw_plan(after, wanted) == ([], [])


def test_ufw_key_ignores_word_order_and_port_order():
    a = "allow from 10.0.0.5 to any port 6443,10250 proto tcp comment 'versatile.jupyter'"
    b = "allow proto tcp from 10.0.0.5/32 to any port 10250,6443 comment versatile.jupyter"
    assert np.ufw_key(a) == np.ufw_key(b)


def test_firewalld_plan_adds_rich_rules_and_removes_ports_open_to_all():
    wanted = rules(is_server=True)
    plan = np.firewalld_plan(
        ['rule family="ipv4" source address="10.0.0.99" port port="10250" protocol="tcp" accept',
         'rule family="ipv4" source address="192.168.1.1" port port="22" protocol="tcp" accept'],
        ["10250/tcp", "22/tcp", "80/tcp"], wanted, NODE_PORTS + SERVER_PORTS + ETCD_PORTS, TRUSTED)
    assert 'rule family="ipv4" source address="10.0.0.5" port port="2379-2380" protocol="tcp" accept' \
        in plan["add_rich"]
    assert plan["remove_rich"] == [
        'rule family="ipv4" source address="10.0.0.99" port port="10250" protocol="tcp" accept']
    assert plan["remove_ports"] == ["10250/tcp"]   # the site's 22/tcp stays
    assert plan["add_ports"] == ["443/tcp"]
