"""After playbooks/reset.yml with k3s_reset_confirm=true: no k3s anywhere, no kubeconfig on the controller."""
import os


def test_k3s_gone(host):
    for path in ("/usr/local/bin/k3s", "/etc/systemd/system/k3s.service", "/etc/systemd/system/k3s-agent.service",
                 "/etc/rancher/k3s", "/var/lib/rancher/k3s", "/usr/local/bin/k3s-install.sh"):
        assert not host.file(path).exists, path
    assert host.run("pgrep -f 'k3s (server|agent)'").rc == 1


def test_kubeconfig_removed_from_the_controller():
    assert not os.path.exists(os.path.join(os.environ["MOLECULE_EPHEMERAL_DIRECTORY"], "kube", "k3s-molecule.yaml"))
