"""What node_prep leaves on a node, checked on the running containers."""


def test_base_packages(host):
    for name in ("nfs-common", "conntrack", "iptables", "curl", "jq", "chrony"):
        assert host.package(name).is_installed, name


def test_sysctls_applied_and_persisted(host):
    assert host.sysctl("fs.inotify.max_user_watches") == 524288
    assert host.sysctl("fs.inotify.max_user_instances") == 8192
    assert host.sysctl("net.ipv4.ip_forward") == 1
    assert host.sysctl("net.bridge.bridge-nf-call-iptables") == 1
    conf = host.file("/etc/sysctl.d/90-versatile-jupyter.conf")
    assert conf.contains("^fs.inotify.max_user_watches=524288$")
    assert conf.contains("^net.bridge.bridge-nf-call-iptables=1$")


def test_kernel_modules_load_at_boot(host):
    f = host.file("/etc/modules-load.d/versatile-jupyter.conf")
    assert f.mode == 0o644
    assert f.content_string.split() == ["overlay", "br_netfilter"]


def test_data_directory(host):
    d = host.file("/var/lib/versatile-jupyter")
    assert d.is_directory and d.user == "root" and d.mode == 0o755


def test_swap_entries_are_disabled(host):
    for line in host.file("/etc/fstab").content_string.splitlines():
        fields = line.split()
        if len(fields) > 2 and fields[2] == "swap":
            assert line.startswith("#"), line


def test_firewall_ports_follow_the_node_role(host):
    hostname = host.backend.get_hostname()
    if hostname != "np-server":
        # No firewall is active on the agent: the role must not have enabled one.
        assert not host.package("ufw").is_installed
        return
    status = host.run("ufw status").stdout
    assert "Status: active" in status
    for rule in ("6443/tcp", "2379:2380/tcp", "10250/tcp", "8472/udp", "443/tcp"):
        assert rule in status, rule
    assert "10.42.0.0/16" in status and "10.43.0.0/16" in status
