"""The cluster playbooks/k3s.yml leaves behind (k3s stand-in, air-gap path)."""
import os

import yaml

from conftest import AGENT, DESKTOP, SERVER, UNITS

VERSION = "v1.31.4+k3s1"


def test_binary_version(host):
    assert host.check_output("k3s --version").startswith(f"k3s version {VERSION} ")


def test_unit_active_and_enabled(host, name):
    unit = host.service(UNITS[name])
    assert unit.is_running and unit.is_enabled
    other = "k3s-agent" if UNITS[name] == "k3s" else "k3s"
    assert not host.file(f"/etc/systemd/system/{other}.service").exists


def test_config_files_are_private(host, name):
    for path in ("/etc/rancher/k3s/config.yaml", "/etc/rancher/k3s/registries.yaml"):
        f = host.file(path)
        assert f.user == "root" and f.mode == 0o600, path
    if name == SERVER:
        for path in ("/etc/rancher/k3s/k3s.yaml", "/var/lib/rancher/k3s/server/token",
                     "/var/lib/rancher/k3s/server/node-token"):
            assert host.file(path).mode == 0o600, path
    else:
        assert host.file("/etc/rancher/k3s/cluster-token").mode == 0o600


def test_images_archive_in_place(host):
    assert host.file("/var/lib/rancher/k3s/agent/images/k3s-airgap-images-amd64.tar.gz").is_file
    # The images archive's copy makes its folders, the configuration folder has a task of its own: root's, 0755.
    for path in ("/var/lib/rancher/k3s/agent/images", "/var/lib/rancher/k3s/agent", "/etc/rancher/k3s"):
        folder = host.file(path)
        assert folder.is_directory and folder.user == "root" and folder.mode == 0o755, path


def test_server_config(host, name):
    if name != SERVER:
        return
    config = yaml.safe_load(host.file("/etc/rancher/k3s/config.yaml").content_string)
    assert config["secrets-encryption"] is True
    assert config["write-kubeconfig-mode"] == "0600"
    assert config["tls-san"] == ["k3s-server"]
    assert config["egress-selector-mode"] == "disabled"
    assert config["node-name"] == SERVER
    # A single server: no embedded etcd, no join URL, and no token of ours (k3s generated it).
    assert "cluster-init" not in config and "server" not in config and "token-file" not in config


def test_agent_config_joins_with_a_token_file(host, name):
    if name == SERVER:
        return
    config = yaml.safe_load(host.file("/etc/rancher/k3s/config.yaml").content_string)
    assert config["server"] == "https://k3s-server:6443"
    assert config["token-file"] == "/etc/rancher/k3s/cluster-token"
    assert "token" not in config
    # The token is nowhere on the unit's command line or environment.
    unit = host.file("/etc/systemd/system/k3s-agent.service").content_string
    assert "K3S_TOKEN" not in unit and "--token" not in unit
    assert "K3S_TOKEN" not in host.file("/etc/systemd/system/k3s-agent.service.env").content_string


def test_agent_token_is_the_servers(host, name):
    if name == SERVER:
        return
    import testinfra

    server = testinfra.get_host("podman://" + SERVER)
    assert host.file("/etc/rancher/k3s/cluster-token").content_string.strip() == \
        server.file("/var/lib/rancher/k3s/server/token").content_string.strip()


def test_registries(host):
    registries = yaml.safe_load(host.file("/etc/rancher/k3s/registries.yaml").content_string)
    assert registries["mirrors"]["registry.hub.internal:5000"]["endpoint"] == ["http://registry.hub.internal:5000"]


def test_every_node_registered_ready_with_labels_and_taints(nodes):
    assert sorted(nodes) == [AGENT, DESKTOP, SERVER]
    for node in nodes.values():
        ready = [c for c in node["status"]["conditions"] if c["type"] == "Ready"]
        assert ready[0]["status"] == "True"
        assert node["status"]["nodeInfo"]["kubeletVersion"] == VERSION
    labels = {n: nodes[n]["metadata"]["labels"] for n in nodes}
    taints = {n: nodes[n]["spec"].get("taints", []) for n in nodes}
    assert labels[SERVER]["hub.jupyter.org/node-purpose"] == "core"
    assert labels[AGENT]["hub.jupyter.org/node-purpose"] == "user"
    assert labels[DESKTOP]["hub.jupyter.org/node-purpose"] == "user"
    assert labels[DESKTOP]["versatile.jupyter/desktop"] == "true"
    assert "versatile.jupyter/desktop" not in labels[AGENT]
    # BinderHub's privileged builder goes to the agents only (the cluster has one): not to servers or desktops.
    assert labels[AGENT]["versatile.jupyter/builds"] == "true"
    assert "versatile.jupyter/builds" not in labels[SERVER] and "versatile.jupyter/builds" not in labels[DESKTOP]
    assert taints[AGENT] == [] and taints[SERVER] == []
    assert taints[DESKTOP] == [{"key": "versatile.jupyter/desktop", "value": "true", "effect": "NoSchedule"}]


def test_wrong_token_is_refused(host, name):
    """An agent presenting another token never joins; the stand-in server answers 401 like k3s refuses it."""
    if name != AGENT:
        return
    out = host.run("timeout 6 k3s agent --server https://k3s-server:6443 --token K10bad::server:wrong"
                   " --node-name intruder")
    assert out.rc == 124  # still retrying when the timeout ends: never joined
    assert "token is invalid" in out.stderr


def test_kubeconfig_on_the_controller():
    path = os.path.join(os.environ["MOLECULE_EPHEMERAL_DIRECTORY"], "kube", "k3s-molecule.yaml")
    assert os.stat(path).st_mode & 0o777 == 0o600
    with open(path, encoding="utf-8") as f:
        config = yaml.safe_load(f)
    assert config["current-context"] == "k3s-molecule"
    assert [c["name"] for c in config["contexts"]] == ["k3s-molecule"]
    assert config["contexts"][0]["context"] == {"cluster": "k3s-molecule", "user": "k3s-molecule"}
    assert config["clusters"][0]["cluster"]["server"] == "https://k3s-server:6443"
    assert config["clusters"][0]["cluster"]["certificate-authority-data"]
    assert config["users"][0]["user"]["client-key-data"]


def test_hardening_in_config(host, name):
    """k3s CIS hardening guide: protect-kernel-defaults on servers and agents (not desktops: an oops would reboot
    the owner's machine), and on servers the audit log's kube-apiserver-arg entries. The k3s stand-in only reads
    these files: that the API server writes and rotates the log, and that the kubelet refuses wrong kernel
    settings, happens in real k3s only."""
    config = yaml.safe_load(host.file("/etc/rancher/k3s/config.yaml").content_string)
    if name == DESKTOP:
        assert "protect-kernel-defaults" not in config
    else:
        assert config["protect-kernel-defaults"] is True
    if name != SERVER:
        assert "kube-apiserver-arg" not in config
        assert not host.file("/etc/rancher/k3s/audit-policy.yaml").exists
        return
    assert config["kube-apiserver-arg"] == [
        "audit-log-path=/var/lib/rancher/k3s/server/logs/audit.log",
        "audit-policy-file=/etc/rancher/k3s/audit-policy.yaml",
        "audit-log-maxage=30", "audit-log-maxbackup=10", "audit-log-maxsize=100"]
    policy_file = host.file("/etc/rancher/k3s/audit-policy.yaml")
    assert policy_file.user == "root" and policy_file.mode == 0o600
    policy = yaml.safe_load(policy_file.content_string)
    assert policy["apiVersion"] == "audit.k8s.io/v1" and policy["kind"] == "Policy"
    assert policy["omitStages"] == ["RequestReceived"]
    # No rule records bodies (Request/RequestResponse would put Secrets in the log); the last catches everything.
    assert {rule["level"] for rule in policy["rules"]} <= {"None", "Metadata"}
    assert policy["rules"][-1] == {"level": "Metadata"}
    logs = host.file("/var/lib/rancher/k3s/server/logs")
    assert logs.is_directory and logs.user == "root" and logs.mode == 0o700
