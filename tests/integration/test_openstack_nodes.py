"""playbooks/provision.yml and the role openstack_nodes against the OpenStack API stand-in.

Real ansible-playbook, real openstack.cloud modules and real openstacksdk talk to
tests/standins/openstack/openstack_standin.py (a stand-in for Keystone, Nova, Neutron, Glance and Cinder on 127.0.0.1).
The lifecycle tests run in order on one stand-in cloud: create -> re-run -> scale up -> scale down ->
teardown refused -> teardown. playbooks/provision.yml is copied next to a stand-in of remove_node.yml (no
k3s here) and followed by a play that records the in-memory groups the next plays of site.yml would see.
"""
import base64
import json
import os
import shutil
import socket
import subprocess
import sys

import pytest
import yaml

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
STANDIN_DIR = os.path.join(REPO, "tests", "standins", "openstack")
sys.path.insert(0, STANDIN_DIR)

from openstack_standin import StandIn  # noqa: E402  (the stand-in lives under tests/standins)

SUBNET = "127.0.42.0/24"
EXTERNAL = "127.0.43.0/24"
CLUSTER = "demo"

NEXT_PLAY = """
- name: Provision
  ansible.builtin.import_playbook: provision.yml

- name: What the next plays of the same run see
  hosts: localhost
  gather_facts: false
  tasks:
    - name: Record the in-memory groups and addresses
      changed_when: false
      check_mode: false
      ansible.builtin.copy:
        dest: "{{ record_file }}"
        mode: "0600"
        content: >-
          {{ {'groups': {'k3s_servers': groups['k3s_servers'] | default([]),
                         'k3s_agents': groups['k3s_agents'] | default([]),
                         'surplus': groups['openstack_nodes_surplus'] | default([])},
              'hosts': dict(groups['openstack_nodes'] | default([])
                            | zip(groups['openstack_nodes'] | default([]) | map('extract', hostvars)
                                  | map('dict2items')
                                  | map('selectattr', 'key', 'in', ['ansible_host', 'ansible_port',
                                        'ansible_user', 'openstack_nodes_fixed_ip',
                                        'openstack_nodes_floating_ip'])
                                  | map('items2dict')))} | to_json }}
"""


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def groups_decl(agents=1, servers=1, volume=10):
    return [
        {"name": "server", "inventory_group": "k3s_servers", "count": servers, "flavor": "m1.medium",
         "image": "debian-12"},
        {"name": "agent", "inventory_group": "k3s_agents", "count": agents, "flavor": "m1.small",
         "image": "debian-12", "volume_size": volume},
    ]


class Env:
    """A work directory with clouds.yaml, an SSH key, an inventory and the playbooks; runs ansible-playbook."""

    def __init__(self, root, standin, ssh_port):
        self.root = str(root)
        self.standin = standin
        self.ssh_port = ssh_port
        self.clouds = os.path.join(self.root, "clouds.yaml")
        with open(self.clouds, "w", encoding="utf-8") as handle:
            handle.write(standin.clouds_yaml())
        os.chmod(self.clouds, 0o600)
        self.key = os.path.join(self.root, "id_test.pub")
        with open(self.key, "w", encoding="utf-8") as handle:
            handle.write("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIDtestkeytestkeytestkeytestkeytestkeytestke test\n")
        self.playbooks = os.path.join(self.root, "playbooks")
        os.makedirs(self.playbooks)
        shutil.copy(os.path.join(REPO, "playbooks", "provision.yml"), self.playbooks)
        shutil.copy(os.path.join(REPO, "playbooks", "check.yml"), self.playbooks)
        shutil.copy(os.path.join(STANDIN_DIR, "remove_node.yml"), os.path.join(self.playbooks, "remove_node.yml"))
        with open(os.path.join(self.playbooks, "next_play.yml"), "w", encoding="utf-8") as handle:
            handle.write(NEXT_PLAY)
        self.inventory = os.path.join(self.root, "inventory")
        os.makedirs(os.path.join(self.inventory, "group_vars"))
        with open(os.path.join(self.inventory, "hosts.yml"), "w", encoding="utf-8") as handle:
            yaml.safe_dump({"all": {"children": {"k3s_cluster": {"children": {
                "k3s_servers": {"hosts": {}}, "k3s_agents": {"hosts": {}}}}}}}, handle)
        self.config = os.path.join(self.root, "ansible.cfg")
        with open(self.config, "w", encoding="utf-8") as handle:
            handle.write("[defaults]\nretry_files_enabled = false\n")
        self.drain_log = os.path.join(self.root, "drain.log")
        self.record = os.path.join(self.root, "record.json")
        self.write_vars()

    def write_vars(self, **overrides):
        variables = {
            # Every "node" is reached with a local connection: the servers are the stand-in's.
            "ansible_connection": "local",
            "ansible_python_interpreter": sys.executable,
            "openstack_nodes_cloud": "standin",
            "openstack_nodes_cluster_name": CLUSTER,
            "openstack_nodes_public_key_file": self.key,
            "openstack_nodes_admin_cidrs": ["192.0.2.0/24"],
            "openstack_nodes_api_cidrs": ["198.51.100.0/24"],
            "openstack_nodes_subnet_cidr": SUBNET,
            # Unsorted on purpose: the second run must still send no write (the subnet module compares sorted).
            "openstack_nodes_dns_nameservers": ["9.9.9.9", "1.1.1.1"],
            "openstack_nodes_ssh_port": self.ssh_port,
            "openstack_nodes_wait_timeout": 20,
            "openstack_nodes_api_timeout": 60,
            "openstack_nodes_groups": groups_decl(),
            "standin_drain_log": self.drain_log,
            # What provision.yml's inventory check (playbooks/check.yml) needs besides the nodes.
            "cluster_api_endpoint": "k3s.example.org",
            "k3s_install_method": "online",
        }
        variables.update(overrides)
        with open(os.path.join(self.inventory, "group_vars", "all.yml"), "w", encoding="utf-8") as handle:
            yaml.safe_dump(variables, handle)

    def run(self, *extra, playbook="next_play.yml", inventory=None):
        if os.path.exists(self.record):
            os.remove(self.record)
        env = dict(os.environ)
        env.update({
            "OS_CLIENT_CONFIG_FILE": self.clouds,
            "ANSIBLE_COLLECTIONS_PATH": os.path.join(REPO, ".ansible", "collections"),
            "ANSIBLE_LOCAL_TEMP": os.path.join(self.root, "tmp"),
            "ANSIBLE_NOCOLOR": "1",
            "ANSIBLE_CONFIG": self.config,
        })
        env.pop("OS_CLOUD", None)
        cmd = ["ansible-playbook", "-i", inventory or self.inventory, "-e", "record_file=" + self.record]
        cmd += list(extra) + [os.path.join(self.playbooks, playbook) if not os.path.isabs(playbook) else playbook]
        mark = len(self.standin.requests)
        result = subprocess.run(cmd, cwd=self.root, env=env, capture_output=True, text=True, timeout=240)
        result.requests = self.standin.requests[mark:]
        return result

    def recorded(self):
        with open(self.record, encoding="utf-8") as handle:
            return json.load(handle)


def writes(requests):
    """Requests that change the cloud (token requests are reads of a kind)."""
    return [r for r in requests if r[0] in ("POST", "PUT", "DELETE", "PATCH") and not r[1].endswith("/auth/tokens")]


def recap(output, host="localhost"):
    for line in output.splitlines():
        if line.startswith(host + " ") and "ok=" in line:
            return dict(part.split("=") for part in line.split(":", 1)[1].split())
    raise AssertionError("no recap for %s in:\n%s" % (host, output[-3000:]))


def unwrap(value):
    """ansible-inventory --list marks strings from the cloud as {"__ansible_unsafe": "..."}."""
    if isinstance(value, dict):
        if set(value) == {"__ansible_unsafe"}:
            return value["__ansible_unsafe"]
        return dict((k, unwrap(v)) for k, v in value.items())
    if isinstance(value, list):
        return [unwrap(v) for v in value]
    return value


def by_name(store):
    return dict((item["name"], item) for item in store.values())


@pytest.fixture(scope="module")
def standin():
    ssh_port = free_port()
    with StandIn(ssh_port=ssh_port, external_cidr=EXTERNAL) as cloud:
        cloud.ssh_port = ssh_port
        yield cloud


@pytest.fixture(scope="module")
def env(standin, tmp_path_factory):
    return Env(tmp_path_factory.mktemp("openstack"), standin, standin.ssh_port)


def test_creates_the_cluster_and_hands_the_nodes_on(env, standin):
    result = env.run()
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    cloud = standin.cloud
    servers = by_name(cloud.servers)
    assert sorted(servers) == ["demo-agent-1", "demo-server-1"]
    agent = servers["demo-agent-1"]
    assert agent["metadata"] == {"versatile_jupyter_cluster": "demo", "versatile_jupyter_node_group": "agent",
                                 "versatile_jupyter_index": "1", "versatile_jupyter_inventory_group": "k3s_agents"}
    assert agent["key_name"] == "demo" and "demo" in cloud.keypairs
    assert cloud.flavors[agent["flavor_id"]]["name"] == "m1.small"
    user_data = base64.b64decode(agent["user_data_raw"]).decode()
    assert user_data.startswith("#cloud-config\n")
    cloud_config = yaml.safe_load(user_data)
    assert cloud_config["hostname"] == "demo-agent-1"
    volume = by_name(cloud.volumes)["demo-agent-1-data"]
    device = "/dev/disk/by-id/virtio-" + volume["id"][:20]
    assert cloud_config["mounts"] == [[device, "/var/lib/rancher", "ext4", "defaults,nofail", "0", "2"]]
    # The data volumes are attached at boot; the server group has no volume.
    assert volume["size"] == 10 and volume["status"] == "in-use"
    assert volume["attachments"][0]["server_id"] == agent["id"]
    assert servers["demo-server-1"]["volume_ids"] == []
    # Network, subnet, router with an interface on the subnet and a gateway on the external network.
    network = by_name(cloud.networks)["demo-net"]
    subnet = by_name(cloud.subnets)["demo-subnet"]
    assert subnet["cidr"] == SUBNET and subnet["network_id"] == network["id"]
    assert subnet["dns_nameservers"] == ["1.1.1.1", "9.9.9.9"]
    router = by_name(cloud.routers)["demo-router"]
    assert router["external_gateway_info"]["network_id"] == by_name(cloud.networks)["public"]["id"]
    assert any(p["device_id"] == router["id"] and p["fixed_ips"][0]["subnet_id"] == subnet["id"]
               for p in cloud.ports.values())
    # Security group: cluster ports only between members, web to the world, SSH from the admin network.
    group = by_name(cloud.security_groups)["demo-k3s"]
    rules = [r for r in cloud.security_group_rules.values() if r["security_group_id"] == group["id"]]
    ingress = sorted((r["protocol"], r["port_range_min"], r["port_range_max"],
                      r["remote_group_id"] == group["id"] and "members" or r["remote_ip_prefix"])
                     for r in rules if r["direction"] == "ingress")
    assert ingress == sorted([
        ("tcp", 6443, 6443, "members"), ("udp", 8472, 8472, "members"), ("tcp", 10250, 10250, "members"),
        ("tcp", 2379, 2380, "members"), ("tcp", 30000, 32767, "members"),
        ("tcp", 80, 80, "0.0.0.0/0"), ("tcp", 443, 443, "0.0.0.0/0"),
        ("tcp", env.ssh_port, env.ssh_port, "192.0.2.0/24"), ("tcp", 6443, 6443, "198.51.100.0/24")])
    assert all(s["security_group_ids"] == [group["id"]] for s in cloud.servers.values())
    # One floating IP, on the ingress node (the first server).
    assert len(cloud.floatingips) == 1
    fip = list(cloud.floatingips.values())[0]
    assert cloud.ports[fip["port_id"]]["device_id"] == servers["demo-server-1"]["id"]
    # The next play sees the nodes in their groups with their fixed addresses.
    record = env.recorded()
    assert record["groups"] == {"k3s_servers": ["demo-server-1"], "k3s_agents": ["demo-agent-1"], "surplus": []}
    for name, server in servers.items():
        fixed = [a["addr"] for a in cloud.server_addresses(server)["demo-net"] if a["OS-EXT-IPS:type"] == "fixed"]
        host = record["hosts"][name]
        assert host["ansible_host"] == fixed[0] == host["openstack_nodes_fixed_ip"]
        assert host["ansible_host"].startswith("127.0.42.")
        assert host["ansible_port"] == env.ssh_port and host["ansible_user"] == "debian"
    assert record["hosts"]["demo-server-1"]["openstack_nodes_floating_ip"] == fip["floating_ip_address"]
    assert record["hosts"]["demo-agent-1"]["openstack_nodes_floating_ip"] == ""


def test_second_run_creates_and_changes_nothing(env):
    result = env.run()
    assert result.returncode == 0, result.stdout[-4000:]
    assert writes(result.requests) == []
    assert recap(result.stdout)["changed"] == "0"
    assert env.recorded()["groups"]["k3s_agents"] == ["demo-agent-1"]


def test_check_mode_predicts_the_scale_up_and_changes_nothing(env, standin):
    env.write_vars(openstack_nodes_groups=groups_decl(agents=3))
    result = env.run("--check")
    assert result.returncode == 0, result.stdout[-4000:]
    assert writes(result.requests) == []
    assert "to create: demo-agent-2, demo-agent-3;" in result.stdout
    assert int(recap(result.stdout)["changed"]) > 0
    assert len(standin.cloud.servers) == 2
    # Only the servers that exist are handed on in check mode.
    assert env.recorded()["groups"]["k3s_agents"] == ["demo-agent-1"]


def test_scale_up_adds_only_the_new_servers(env, standin):
    result = env.run()
    assert result.returncode == 0, result.stdout[-4000:]
    created = [r for r in writes(result.requests) if r == ("POST", "/compute/v2.1/servers")]
    assert len(created) == 2
    assert sorted(by_name(standin.cloud.servers)) == ["demo-agent-1", "demo-agent-2", "demo-agent-3",
                                                      "demo-server-1"]
    assert by_name(standin.cloud.volumes)["demo-agent-3-data"]["status"] == "in-use"
    assert env.recorded()["groups"]["k3s_agents"] == ["demo-agent-1", "demo-agent-2", "demo-agent-3"]


def test_scale_down_drains_first_and_keeps_a_node_whose_drain_failed(env, standin):
    env.write_vars(openstack_nodes_groups=groups_decl(agents=1), standin_drain_fail=["demo-agent-2"])
    refused = env.run()
    # Deleting servers by lowering a count needs the teardown's confirmation.
    assert refused.returncode != 0 and "run with -e openstack_nodes_confirm_delete=demo" in refused.stdout
    assert sorted(n for n in by_name(standin.cloud.servers) if n.startswith("demo-agent-")) == [
        "demo-agent-1", "demo-agent-2", "demo-agent-3"]
    result = env.run("-e", "openstack_nodes_confirm_delete=demo")
    # The failed drain is a failed host: the run reports it.
    assert result.returncode != 0
    assert "stand-in: drain of demo-agent-2 failed" in result.stdout
    with open(env.drain_log, encoding="utf-8") as handle:
        drained = sorted(handle.read().splitlines())
    # remove_node got the surplus servers, highest number first, while they still existed.
    assert drained == ["demo-agent-2 exists=True k3s_remove_nodes=demo-agent-3,demo-agent-2",
                       "demo-agent-3 exists=True k3s_remove_nodes=demo-agent-3,demo-agent-2"]
    servers = by_name(standin.cloud.servers)
    assert "demo-agent-3" not in servers and "demo-agent-3-data" not in by_name(standin.cloud.volumes)
    assert "demo-agent-2" in servers and "demo-agent-2-data" in by_name(standin.cloud.volumes)
    # The next play no longer sees the removed nodes among the agents.
    assert env.recorded()["groups"]["k3s_agents"] == ["demo-agent-1"]


def test_day2_inventory_plugin_example_finds_the_nodes(env, standin):
    """inventories/examples/openstack/openstack.yml, pointed at the stand-in, rebuilds the groups."""
    with open(os.path.join(REPO, "inventories", "examples", "openstack", "openstack.yml"), encoding="utf-8") as handle:
        config = handle.read()
    assert config.count("labcloud") == 1 and "== 'jupyter'" in config
    day2 = os.path.join(env.root, "day2")
    os.makedirs(day2, exist_ok=True)
    with open(os.path.join(day2, "openstack.yml"), "w", encoding="utf-8") as handle:
        handle.write(config.replace("labcloud", "standin").replace("== 'jupyter'", "== 'demo'"))
    envvars = dict(os.environ, OS_CLIENT_CONFIG_FILE=env.clouds, ANSIBLE_CONFIG=env.config,
                   ANSIBLE_COLLECTIONS_PATH=os.path.join(REPO, ".ansible", "collections"))
    result = subprocess.run(["ansible-inventory", "-i", os.path.join(day2, "openstack.yml"), "--list"],
                            cwd=env.root, env=envvars, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-3000:]
    inventory = json.loads(result.stdout)
    assert inventory["k3s_servers"]["hosts"] == ["demo-server-1"]
    assert sorted(inventory["k3s_agents"]["hosts"]) == ["demo-agent-1", "demo-agent-2"]
    hostvars = unwrap(inventory["_meta"]["hostvars"])
    server = by_name(standin.cloud.servers)["demo-server-1"]
    addresses = standin.cloud.server_addresses(server)["demo-net"]
    fixed = [a["addr"] for a in addresses if a["OS-EXT-IPS:type"] == "fixed"][0]
    floating = [a["addr"] for a in addresses if a["OS-EXT-IPS:type"] == "floating"][0]
    assert hostvars["demo-server-1"]["openstack_nodes_fixed_ip"] == fixed
    assert hostvars["demo-server-1"]["openstack_nodes_floating_ip"] == floating
    assert hostvars["demo-server-1"]["ansible_host"] == floating  # private: false prefers the floating IP
    assert hostvars["demo-agent-1"]["ansible_user"] == "debian"


def test_teardown_refuses_without_confirmation(env, standin):
    result = env.run("-e", "openstack_nodes_state=absent", "-e", "openstack_nodes_confirm_delete=yes")
    assert result.returncode != 0
    assert "set openstack_nodes_confirm_delete=demo" in result.stdout
    assert writes(result.requests) == [] and len(standin.cloud.servers) == 3


def test_teardown_deletes_everything_the_role_created(env, standin):
    result = env.run("-e", "openstack_nodes_state=absent", "-e", "openstack_nodes_confirm_delete=demo")
    assert result.returncode == 0, result.stdout[-4000:]
    cloud = standin.cloud
    assert cloud.servers == {} and cloud.volumes == {} and cloud.floatingips == {} and cloud.keypairs == {}
    assert cloud.security_groups == {} and cloud.routers == {} and cloud.ports == {}
    assert sorted(by_name(cloud.networks)) == ["public"] and sorted(by_name(cloud.subnets)) == ["public-subnet"]
    again = env.run("-e", "openstack_nodes_state=absent", "-e", "openstack_nodes_confirm_delete=demo")
    assert again.returncode == 0 and writes(again.requests) == []
    assert recap(again.stdout)["changed"] == "0"


def test_quota_refusal_names_what_is_short_and_creates_nothing(tmp_path):
    ssh_port = free_port()
    with StandIn(ssh_port=ssh_port, external_cidr=EXTERNAL) as cloud:
        cloud.cloud.limits.update(cores=4, volumes=1)
        env = Env(tmp_path, cloud, ssh_port)
        env.write_vars(openstack_nodes_groups=groups_decl(agents=3))  # 2 + 3x1 cores, 3 volumes
        result = env.run()
        assert result.returncode != 0
        assert "cores: need 5, 4 available (limit 4, used 0)" in result.stdout
        assert "volumes: need 3, 1 available (limit 1, used 0)" in result.stdout
        assert "Nothing was created" in result.stdout
        assert writes(result.requests) == []
        assert cloud.cloud.servers == {} and cloud.cloud.keypairs == {}


def test_bad_declaration_fails_before_calling_the_cloud(tmp_path):
    with StandIn(external_cidr=EXTERNAL) as cloud:
        env = Env(tmp_path, cloud, free_port())
        env.write_vars(openstack_nodes_groups=groups_decl(servers=2))
        result = env.run()
        assert result.returncode != 0
        assert "openstack_nodes_groups: 2 k3s servers declared; embedded etcd needs an odd number" in result.stdout
        assert cloud.requests == []


@pytest.mark.parametrize("inventory", ["inventories/local", "inventories/examples/lab"])
def test_inventories_without_openstack_nodes_pass_through(inventory, tmp_path):
    """The real provision.yml (with the real remove_node.yml) does nothing for bare-metal inventories."""
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=os.path.join(REPO, ".ansible", "collections"),
               ANSIBLE_LOCAL_TEMP=str(tmp_path), ANSIBLE_NOCOLOR="1")
    # The inventory check of provision.yml needs values for the vault variables: the test ones.
    result = subprocess.run(["ansible-playbook", "-i", inventory, "-e", "@tests/fixtures/inventory-secrets.yml",
                             "playbooks/provision.yml"], cwd=REPO, env=env, capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    assert recap(result.stdout)["changed"] == "0"
    assert "unreachable=1" not in result.stdout


def test_interrupted_run_converges_and_a_server_in_error_is_reported_not_waited_on(tmp_path):
    """Run 1 is cut short: creating demo-agent-1 fails with an API error and demo-agent-2 boots into ERROR. Run 2
    creates what is missing and stops at the server in ERROR, naming it with its fault, without waiting for its SSH
    port. Once it is deleted (as the admin would), run 3 creates it anew and hands every node on; run 4 changes
    nothing."""
    ssh_port = free_port()
    wait = "Wait until every node's SSH port answers"
    fault = "No valid host was found. There are not enough hosts available."
    with StandIn(ssh_port=ssh_port, external_cidr=EXTERNAL) as standin:
        cloud = standin.cloud
        env = Env(tmp_path, standin, ssh_port)
        env.write_vars(openstack_nodes_groups=groups_decl(agents=2), openstack_nodes_wait_timeout=120)
        cloud.create_faults["demo-agent-1"] = "stand-in: the compute API failed in the middle of the run"
        cloud.boot_faults["demo-agent-2"] = fault
        first = env.run()
        assert first.returncode != 0
        assert "stand-in: the compute API failed in the middle of the run" in first.stdout
        # openstacksdk's wait for the new server fails on the ERROR (its message depends on the SDK release).
        assert "failed: [localhost] (item=demo-agent-2 (m1.small, debian-12))" in first.stdout
        assert wait not in first.stdout
        servers = by_name(cloud.servers)
        assert sorted(servers) == ["demo-agent-2", "demo-server-1"] and servers["demo-agent-2"]["status"] == "ERROR"

        second = env.run()
        assert second.returncode != 0
        assert [r for r in writes(second.requests) if r == ("POST", "/compute/v2.1/servers")] == [
            ("POST", "/compute/v2.1/servers")]
        assert by_name(cloud.servers)["demo-agent-1"]["status"] == "ACTIVE"
        assert f"These servers are in ERROR: demo-agent-2 ({fault}). They are not waited on" in " ".join(
            second.stdout.split())
        assert wait not in second.stdout

        with cloud.lock:  # openstack server delete demo-agent-2, with room in the cloud again
            cloud.boot_faults.clear()
            cloud.delete_server(by_name(cloud.servers)["demo-agent-2"])
        third = env.run()
        assert third.returncode == 0, third.stdout[-4000:]
        servers = by_name(cloud.servers)
        assert sorted(servers) == ["demo-agent-1", "demo-agent-2", "demo-server-1"]
        assert all(s["status"] == "ACTIVE" for s in servers.values())
        volumes = by_name(cloud.volumes)
        assert sorted(volumes) == ["demo-agent-1-data", "demo-agent-2-data"]
        for name in ("demo-agent-1", "demo-agent-2"):
            assert volumes[name + "-data"]["attachments"][0]["server_id"] == servers[name]["id"]
        assert env.recorded()["groups"]["k3s_agents"] == ["demo-agent-1", "demo-agent-2"]

        fourth = env.run()
        assert fourth.returncode == 0 and writes(fourth.requests) == []
        assert recap(fourth.stdout)["changed"] == "0"
