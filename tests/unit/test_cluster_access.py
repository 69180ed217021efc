"""Who may reach the NFS export: the nodes' addresses, the exports(5) line, refused client lists."""
import pytest

from ansible_collections.versatile.jupyter.plugins.module_utils.cluster_access import (
    cluster_nodes,
    export_line,
    export_problems,
    known_node_address,
    node_addresses,
)


def test_node_addresses_prefer_cluster_node_address_then_the_default_route_then_ansible_host_then_the_name():
    hostvars = {
        "srv1": {"ansible_facts": {"default_ipv4": {"address": "10.0.0.11"}}, "ansible_host": "203.0.113.5"},
        "cpu1": {"ansible_facts": {}, "ansible_host": "10.0.0.21"},
        "pc01": {"ansible_facts": {}},
        "dup": {"ansible_facts": {"default_ipv4": {"address": "10.0.0.11"}}},
        "nas": {"ansible_facts": {"default_ipv4": {"address": "192.0.2.9"}}, "cluster_node_address": "10.0.1.9"},
    }
    assert node_addresses(["srv1", "cpu1", "pc01", "dup", "unknown", "nas"], hostvars) == [
        "10.0.0.11", "10.0.0.21", "10.0.1.9", "pc01", "unknown"]


def test_known_node_address_is_empty_where_node_address_falls_back_to_ansible_host_or_the_name():
    assert known_node_address({"ansible_facts": {}, "ansible_host": "10.0.0.21"}) == ""
    assert known_node_address({}) == ""
    assert known_node_address({"cluster_node_address": "", "ansible_facts": {"default_ipv4": {}}}) == ""
    assert known_node_address({"ansible_facts": {"default_ipv4": {"address": "10.0.0.11"}}}) == "10.0.0.11"


def test_cluster_nodes_from_cluster_node_address_then_the_default_route():
    hostvars = {
        "srv1": {"ansible_facts": {"default_ipv4": {"address": "10.0.0.11"}}, "ansible_host": "203.0.113.5"},
        "nas": {"ansible_facts": {"default_ipv4": {"address": "192.0.2.9"}}, "cluster_node_address": "10.0.1.9"},
        "cpu1": {"ansible_facts": {"default_ipv4": {"address": "10.0.0.21"}}, "cluster_node_address": ""},
    }
    assert cluster_nodes(["srv1", "nas", "cpu1"], hostvars, []) == [
        {"name": "srv1", "address": "10.0.0.11", "server": False},
        {"name": "nas", "address": "10.0.1.9", "server": False},
        {"name": "cpu1", "address": "10.0.0.21", "server": False}]


def test_cluster_nodes_unknown_address_is_empty_not_ansible_host_or_the_name():
    hostvars = {"cpu1": {"ansible_facts": {}, "ansible_host": "10.0.0.21"}, "pc01": {"ansible_facts": {}}}
    assert cluster_nodes(["cpu1", "pc01", "absent"], hostvars, []) == [
        {"name": "cpu1", "address": "", "server": False},
        {"name": "pc01", "address": "", "server": False},
        {"name": "absent", "address": "", "server": False}]


def test_cluster_nodes_flag_the_servers_and_keep_the_order():
    hostvars = {"b": {"cluster_node_address": "10.0.0.2"}, "a": {"cluster_node_address": "10.0.0.1"}}
    assert cluster_nodes(["b", "a"], hostvars, ["a"]) == [
        {"name": "b", "address": "10.0.0.2", "server": False},
        {"name": "a", "address": "10.0.0.1", "server": True}]
    assert cluster_nodes([], hostvars, ["a"]) == []


def test_export_line_lists_each_client_with_root_squash_by_default():
    assert export_line("/srv/nfs/hubs", ["10.0.0.11", "10.0.0.21"]) == (
        "/srv/nfs/hubs 10.0.0.11(rw,sync,no_subtree_check,root_squash) "
        "10.0.0.21(rw,sync,no_subtree_check,root_squash)")
    assert export_line("/h", ["10.0.0.0/24"], root_squash=False) == (
        "/h 10.0.0.0/24(rw,sync,no_subtree_check,no_root_squash)")


@pytest.mark.parametrize("clients", [["10.0.0.11"], ["10.0.0.0/24", "nas.lab.example.org"], ["fd00::1"]])
def test_exact_clients_pass(clients):
    assert export_problems(clients) == []


@pytest.mark.parametrize("clients, words", [
    ("*", "must be a list"),
    ("10.0.0.0/24", "must be a list"),
    ([], "is empty"),
    (["*"], "wildcards"),
    (["10.0.0.*"], "'10.0.0.*'"),
    (["a b"], "'a b'"),
    (["host(rw)"], "'host(rw)'"),
])
def test_wildcards_and_strings_are_refused_naming_the_variable(clients, words):
    problems = export_problems(clients)
    assert len(problems) == 1 and "cluster_services_nfs_clients" in problems[0] and words in problems[0]
