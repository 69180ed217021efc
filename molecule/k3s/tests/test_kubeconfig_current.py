"""After the server's certificates were rotated (`k3s certificate rotate`, which writes a new kubeconfig at the next
start) and playbooks/k3s.yml ran again: the controller's kubeconfig is the server's new one. Its first line names
the sha256 of the server's file as it is now, and it holds the new client certificate and key."""
import os

import yaml

from conftest import SERVER


def test_controller_kubeconfig_follows_the_server(host, name):
    if name != SERVER:
        return
    server_file = host.file("/etc/rancher/k3s/k3s.yaml")
    server_user = yaml.safe_load(server_file.content_string)["users"][0]["user"]
    path = os.path.join(os.environ["MOLECULE_EPHEMERAL_DIRECTORY"], "kube", "k3s-molecule.yaml")
    with open(path, encoding="utf-8") as f:
        local_text = f.read()
    assert "sha256 " + server_file.sha256sum + "," in local_text.splitlines()[0]
    local_user = yaml.safe_load(local_text)["users"][0]["user"]
    assert local_user["client-certificate-data"] == server_user["client-certificate-data"]
    assert local_user["client-key-data"] == server_user["client-key-data"]
