"""What node_prep leaves on a node, checked on the running containers (np-server with ufw, np-desktop)."""
import testinfra

DROPIN = "/etc/rancher/k3s/config.yaml.d/50-versatile-jupyter-node.yaml"


def address(name):
    """The node's address on the scenario's network (what the role read from its facts)."""
    other = testinfra.get_host("podman://" + name)
    return other.check_output("ip -4 -o route get 1.1.1.1 | sed -n 's/.* src \\([0-9.]*\\).*/\\1/p'").strip()


def test_base_packages(host):
    assert host.package("ca-certificates").is_installed
    # k3s brings its own conntrack (k3s-root); node_prep no longer installs it.
    assert not host.package("conntrack").is_installed


def test_no_time_service_in_a_container(host):
    # These nodes are containers: they share the host's clock and may not set it, so chrony is not installed.
    assert host.file("/run/.containerenv").exists or host.file("/run/systemd/container").exists
    assert not host.package("chrony").is_installed


def test_no_nfs_client_without_nfs(host):
    # This cluster has no NFS server and no shared volumes (cluster_nfs_in_use is false).
    assert not host.package("nfs-common").is_installed


def test_sysctls_applied_and_persisted(host):
    assert host.sysctl("fs.inotify.max_user_watches") == 524288
    assert host.sysctl("fs.inotify.max_user_instances") == 8192
    assert host.sysctl("net.ipv4.ip_forward") == 1
    assert host.sysctl("net.bridge.bridge-nf-call-iptables") == 1
    conf = host.file("/etc/sysctl.d/90-versatile-jupyter.conf")
    assert conf.mode == 0o644
    assert conf.contains("^fs.inotify.max_user_watches=524288$")
    assert conf.contains("^net.bridge.bridge-nf-call-iptables=1$")


def test_kernel_modules_load_at_boot(host):
    f = host.file("/etc/modules-load.d/versatile-jupyter.conf")
    assert f.mode == 0o644
    assert f.content_string.split() == ["overlay", "br_netfilter"]


def test_data_directory(host):
    d = host.file("/var/lib/versatile-jupyter")
    assert d.is_directory and d.user == "root" and d.mode == 0o755


def test_swap_off_on_the_server_kept_on_the_desktop(host):
    fstab = host.file("/etc/fstab").content_string.splitlines()
    if host.backend.get_hostname() == "np-server":
        assert "# /swapfile none swap sw 0 0  # disabled by versatile.jupyter.node_prep" in fstab
        assert not host.file(DROPIN).exists
        return
    # The desktop's own swap line is untouched, and the one an earlier version disabled is given back.
    assert fstab == ["/home/owner.swap none swap sw 0 0", "/old.swap none swap sw 0 0"]


def test_desktop_kubelet_reservations_in_the_k3s_config(host):
    if host.backend.get_hostname() != "np-desktop":
        return
    dropin = host.file(DROPIN)
    assert dropin.user == "root" and dropin.mode == 0o600
    assert dropin.content_string.splitlines()[1:] == [
        "kubelet-arg+:",
        '  - "fail-swap-on=false"',
        '  - "system-reserved=cpu=1,ephemeral-storage=5Gi,memory=2Gi"',
        '  - "kube-reserved=cpu=250m,memory=512Mi"',
        '  - "eviction-hard=imagefs.available<10%,memory.available<1Gi,nodefs.available<10%"',
        '  - "max-pods=20"',
    ]


def test_no_firewall_enabled_where_there_was_none(host):
    if host.backend.get_hostname() == "np-desktop":
        assert not host.package("ufw").is_installed


def test_ufw_cluster_ports_only_to_the_cluster_nodes(host):
    if host.backend.get_hostname() != "np-server":
        return
    server, desktop = address("np-server"), address("np-desktop")
    assert host.run("ufw status").stdout.startswith("Status: active")
    added = set(line.strip() for line in host.check_output("ufw show added").splitlines()[1:])
    c = "comment 'versatile.jupyter'"
    assert added == {
        "ufw allow 22/tcp",                      # the site's own rule stays
        "ufw allow from %s to any port 2379:2380,6443,10250 proto tcp %s" % (server, c),
        "ufw allow from %s to any port 8472 proto udp %s" % (server, c),
        "ufw allow from %s to any port 6443,10250 proto tcp %s" % (desktop, c),
        "ufw allow from %s to any port 8472 proto udp %s" % (desktop, c),
        "ufw allow from 192.0.2.0/24 to any port 6443 proto tcp %s" % c,
        "ufw allow from 10.42.0.0/16 %s" % c,
        "ufw allow from 10.43.0.0/16 %s" % c,
        "ufw allow 80/tcp %s" % c,
        "ufw allow 443/tcp %s" % c,
    }, added
    # The rules an earlier version opened to any address are gone.
    assert "ufw allow 10250/tcp %s" % c not in added and "ufw allow 6443/tcp %s" % c not in added
