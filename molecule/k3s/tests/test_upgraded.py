"""After playbooks/upgrade.yml to v1.32.1+k3s1: every node on it, the server restarted before the agents."""
from conftest import SERVER, UNITS

NEW = "v1.32.1+k3s1"


def started(host, unit):
    return int(host.check_output(f"systemctl show {unit} -p ExecMainStartTimestampMonotonic --value"))


def test_binary_and_node_on_the_new_version(host, nodes, name):
    assert host.check_output("k3s --version").startswith(f"k3s version {NEW} ")
    assert nodes[name]["status"]["nodeInfo"]["kubeletVersion"] == NEW
    assert host.service(UNITS[name]).is_running


def test_server_restarted_before_the_agents(host, name):
    if name == SERVER:
        return
    import testinfra

    server = testinfra.get_host("podman://" + SERVER)
    # Containers share the host's monotonic clock.
    assert started(server, "k3s") < started(host, "k3s-agent")
