"""The k3s role's names: a node's Kubernetes name and the API URL (module_utils/k3s_names.py)."""
from ansible_collections.versatile.jupyter.plugins.module_utils.k3s_names import api_url, node_name, node_names


def test_node_name_is_k3s_node_name_else_the_inventory_name():
    assert node_name("pc01", "desk-01") == "desk-01"
    assert node_name("pc01") == "pc01"
    assert node_name("pc01", "") == "pc01"
    # Kept as given: the inventory check names a k3s_node_name that is not a string.
    assert node_name("pc01", 7) == 7


def test_node_names_in_order_as_strings_unknown_hosts_by_their_inventory_name():
    hostvars = {"s1": {"k3s_node_name": "server-1"}, "a1": {}, "d1": {"k3s_node_name": ""}, "n": {"k3s_node_name": 12}}
    assert node_names(["d1", "s1", "a1", "gone", "n"], hostvars) == ["d1", "server-1", "a1", "gone", "12"]
    assert node_names(None, hostvars) == []


def test_api_url_brackets_ipv6_addresses_only():
    assert api_url("k3s.lab.example.org", 6443) == "https://k3s.lab.example.org:6443"
    assert api_url("10.0.0.5", "6443") == "https://10.0.0.5:6443"
    assert api_url("2001:db8::10", 6443) == "https://[2001:db8::10]:6443"
