"""After playbooks/remove_node.yml for the desktop: gone from the cluster and uninstalled."""
from conftest import AGENT, DESKTOP, SERVER


def test_desktop_removed(host, nodes, name):
    assert sorted(nodes) == [AGENT, SERVER]
    if name == DESKTOP:
        assert not host.file("/etc/systemd/system/k3s-agent.service").exists
        assert not host.file("/usr/local/bin/k3s").exists
        assert not host.file("/etc/rancher/k3s").exists
