"""Helpers for the k3s scenario's testinfra checks (run from verify.yml with --hosts podman://...)."""
import json

import pytest

SERVER, AGENT, DESKTOP = "k3s-server", "k3s-agent", "k3s-desktop"
UNITS = {SERVER: "k3s", AGENT: "k3s-agent", DESKTOP: "k3s-agent"}


@pytest.fixture
def name(host):
    return host.backend.get_hostname()


@pytest.fixture
def nodes(host):
    """The server's node list, as `k3s kubectl get nodes -o json` reports it (run on the server)."""
    import testinfra

    server = testinfra.get_host("podman://" + SERVER)
    out = server.check_output("k3s kubectl get nodes -o json")
    return {n["metadata"]["name"]: n for n in json.loads(out)["items"]}
