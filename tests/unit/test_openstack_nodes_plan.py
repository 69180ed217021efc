"""Unit tests for plugins/module_utils/openstack_nodes_plan.py (which servers the role creates, keeps,
removes, and which addresses it hands on)."""
import pytest

from ansible_collections.versatile.jupyter.plugins.module_utils.openstack_nodes_plan import (
    PlanError,
    group_errors,
    host_entries,
    missing_attachments,
    missing_floating_ips,
    plan,
    servers_in_error,
)

GROUPS = [
    {"name": "server", "inventory_group": "k3s_servers", "count": 1, "flavor": "m1.large", "image": "debian-12"},
    {"name": "agent", "inventory_group": "k3s_agents", "count": 2, "flavor": "m1.small", "image": "debian-12",
     "volume_size": 20},
]


def existing(name, group, index, cluster="demo", inventory_group="k3s_agents"):
    return {"name": name, "id": "id-" + name, "metadata": {
        "versatile_jupyter_cluster": cluster, "versatile_jupyter_node_group": group,
        "versatile_jupyter_index": str(index), "versatile_jupyter_inventory_group": inventory_group}}


def test_fresh_project_creates_every_server_and_ingress_is_first():
    result = plan("demo", GROUPS, [], "demo-net")
    assert result["create"] == ["demo-server-1", "demo-agent-1", "demo-agent-2"]
    assert result["surplus"] == []
    assert result["ingress"] == "demo-server-1"
    first = result["desired"][0]
    assert first["floating_ip"] is True and first["volume_name"] == ""
    assert first["metadata"] == {"versatile_jupyter_cluster": "demo", "versatile_jupyter_node_group": "server",
                                 "versatile_jupyter_index": "1", "versatile_jupyter_inventory_group": "k3s_servers"}
    agent = result["desired"][1]
    assert agent["volume_name"] == "demo-agent-1-data" and agent["floating_ip"] is False
    assert result["quota_request"] == [
        {"flavor": "m1.large", "volume_size": 0, "floating_ip": True},
        {"flavor": "m1.small", "volume_size": 20, "floating_ip": False},
        {"flavor": "m1.small", "volume_size": 20, "floating_ip": False}]


def test_existing_servers_are_not_created_again():
    servers = [existing("demo-server-1", "server", 1, inventory_group="k3s_servers"),
               existing("demo-agent-1", "agent", 1)]
    result = plan("demo", GROUPS, servers, "demo-net")
    assert result["create"] == ["demo-agent-2"]
    assert [d["exists"] for d in result["desired"]] == [True, True, False]
    assert result["quota_request"] == [{"flavor": "m1.small", "volume_size": 20, "floating_ip": False}]


def test_scale_down_picks_highest_numbers_and_removed_groups():
    servers = [existing("demo-agent-%d" % i, "agent", i) for i in (1, 2, 3, 4)]
    servers += [existing("demo-gpu-1", "gpu", 1), existing("other-agent-9", "agent", 9, cluster="other"),
                {"name": "unrelated", "id": "x", "metadata": {}}]
    result = plan("demo", GROUPS, servers, "demo-net")
    assert [s["name"] for s in result["surplus"]] == ["demo-agent-4", "demo-agent-3", "demo-gpu-1"]
    assert result["surplus"][0] == {"name": "demo-agent-4", "id": "id-demo-agent-4", "group": "agent",
                                    "index": 4, "inventory_group": "k3s_agents"}


def test_floating_address_mode_gives_every_server_a_floating_ip():
    result = plan("demo", GROUPS, [], "demo-net", address="floating", ingress_node="none")
    assert result["ingress"] is None
    assert all(d["floating_ip"] for d in result["desired"])


def test_named_ingress_node_must_be_declared():
    assert plan("demo", GROUPS, [], "net", ingress_node="demo-agent-2")["ingress"] == "demo-agent-2"
    with pytest.raises(PlanError, match="openstack_nodes_ingress_node: demo-agent-7 is not one of"):
        plan("demo", GROUPS, [], "net", ingress_node="demo-agent-7")


def test_metadata_layers_cannot_override_the_role_markers():
    groups = [dict(GROUPS[0], metadata={"team": "physics", "versatile_jupyter_cluster": "evil"})]
    desired = plan("demo", groups, [], "net", metadata={"owner": "it", "team": "all"})["desired"][0]
    assert desired["metadata"]["team"] == "physics" and desired["metadata"]["owner"] == "it"
    assert desired["metadata"]["versatile_jupyter_cluster"] == "demo"


@pytest.mark.parametrize("groups,message", [
    ([dict(GROUPS[0], name="Server_1")], "openstack_nodes_groups[0].name: 'Server_1' must be lowercase"),
    ([GROUPS[0], dict(GROUPS[0])], "openstack_nodes_groups[1].name: server is declared twice"),
    ([dict(GROUPS[0], inventory_group="masters")], "openstack_nodes_groups[0].inventory_group: 'masters' must be"),
    ([dict(GROUPS[0], count=-1)], "openstack_nodes_groups[0].count: -1 must be a whole number"),
    ([dict(GROUPS[0], count="3")], "openstack_nodes_groups[0].count: '3' must be a whole number"),
    ([dict(GROUPS[0], flavor="")], "openstack_nodes_groups[0].flavor is required"),
    ([dict(GROUPS[0], volume_size=-5)], "openstack_nodes_groups[0].volume_size: -5 must be"),
    ([dict(GROUPS[0], count=2)], "2 k3s servers declared; embedded etcd needs an odd number"),
])
def test_bad_declarations_are_named(groups, message):
    errors = group_errors("demo", groups)
    assert any(message in e for e in errors), errors
    with pytest.raises(PlanError):
        plan("demo", groups, [], "net")


def test_good_declaration_has_no_errors_and_bad_cluster_name_is_named():
    assert group_errors("demo", GROUPS) == []
    assert group_errors("Demo!", GROUPS) == [
        "openstack_nodes_cluster_name: 'Demo!' must be lowercase letters, digits and dashes"]
    assert group_errors("demo", {"name": "x"}) == ["openstack_nodes_groups must be a list of node groups, got dict"]


SERVERS = [
    {"name": "demo-server-1", "addresses": {
        "demo-net": [{"addr": "10.20.0.11", "version": 4, "OS-EXT-IPS:type": "fixed"},
                     {"addr": "203.0.113.5", "version": 4, "OS-EXT-IPS:type": "floating"}],
        "other": [{"addr": "192.168.9.9", "version": 4, "OS-EXT-IPS:type": "fixed"}]}},
    {"name": "demo-agent-1", "addresses": {
        "demo-net": [{"addr": "fd00::5", "version": 6, "OS-EXT-IPS:type": "fixed"},
                     {"addr": "10.20.0.12", "version": 4, "OS-EXT-IPS:type": "fixed"}]}},
]


def test_host_entries_pick_fixed_or_floating_on_the_group_network():
    wanted = [{"name": "demo-server-1", "inventory_group": "k3s_servers", "network": "demo-net"},
              {"name": "demo-agent-1", "inventory_group": "k3s_agents", "network": "demo-net"}]
    assert host_entries(wanted, SERVERS) == [
        {"name": "demo-server-1", "inventory_group": "k3s_servers", "ansible_host": "10.20.0.11",
         "fixed_ip": "10.20.0.11", "floating_ip": "203.0.113.5"},
        {"name": "demo-agent-1", "inventory_group": "k3s_agents", "ansible_host": "10.20.0.12",
         "fixed_ip": "10.20.0.12", "floating_ip": None}]
    assert host_entries(wanted[:1], SERVERS, "floating")[0]["ansible_host"] == "203.0.113.5"


def test_host_entries_fail_clearly():
    with pytest.raises(PlanError, match="demo-agent-1 has no floating IPv4 address"):
        host_entries([{"name": "demo-agent-1", "network": "demo-net"}], SERVERS, "floating")
    with pytest.raises(PlanError, match="server demo-agent-9 was not found"):
        host_entries([{"name": "demo-agent-9"}], SERVERS)


def test_missing_attachments_and_floating_ips():
    desired = plan("demo", GROUPS, [], "demo-net")["desired"]
    servers = [{"name": "demo-server-1", "id": "s1", "addresses": {}},
               {"name": "demo-agent-1", "id": "a1", "addresses": {}},
               {"name": "demo-agent-2", "id": "a2", "addresses": {}}]
    volumes = [{"name": "demo-agent-1-data", "attachments": [{"server_id": "a1"}]},
               {"name": "demo-agent-2-data", "attachments": []}]
    assert missing_attachments(desired, servers, volumes) == [{"server": "demo-agent-2", "volume": "demo-agent-2-data"}]
    # A volume that does not exist yet (or a server) is not an attachment to make.
    assert missing_attachments(desired, servers[:2], volumes[:1]) == []
    assert [d["name"] for d in missing_floating_ips(desired, servers)] == ["demo-server-1"]
    servers[0]["addresses"] = {"demo-net": [{"addr": "203.0.113.5", "version": 4, "OS-EXT-IPS:type": "floating"}]}
    assert missing_floating_ips(desired, servers) == []


def test_servers_in_error_in_plan_order_with_their_fault():
    desired = plan("demo", GROUPS, [], "demo-net")["desired"]
    servers = [{"name": "demo-agent-2", "status": "ERROR", "fault": {"code": 500, "message": "No valid host"}},
               {"name": "demo-server-1", "status": "ACTIVE", "fault": None},
               {"name": "demo-agent-1", "status": "error"},
               {"name": "other-cluster-1", "status": "ERROR", "fault": {"message": "not ours"}}]
    assert servers_in_error(desired, servers) == [{"name": "demo-agent-1", "fault": ""},
                                                  {"name": "demo-agent-2", "fault": "No valid host"}]
    assert servers_in_error(desired, servers[1:2]) == []
