"""Unit tests for plugins/module_utils/openstack_quota.py (quota arithmetic of openstack_quota_info)."""
import pytest

from ansible_collections.versatile.jupyter.plugins.module_utils.openstack_quota import (
    plan_needs,
    quota_table,
    shortfalls,
)

COMPUTE = {"instances": 10, "instances_used": 4, "total_cores": 20, "total_cores_used": 10,
           "total_ram": 51200, "total_ram_used": 16384}
VOLUME = {"max_total_volumes": 10, "total_volumes_used": 9, "max_total_volume_gigabytes": 1000,
          "total_gigabytes_used": 100}
FLAVORS = {"m1.large": {"vcpus": 4, "ram": 8192}, "m1.small": {"vcpus": 1, "ram": 2048}}


def test_table_computes_available_and_unlimited():
    table = quota_table(dict(COMPUTE, total_cores=-1), VOLUME, {"limit": 5, "used": 2, "reserved": 1})
    assert table["instances"] == {"limit": 10, "used": 4, "available": 6}
    assert table["cores"] == {"limit": None, "used": 10, "available": None}
    assert table["volumes"]["available"] == 1
    assert table["floating_ips"] == {"limit": 5, "used": 3, "available": 2}


def test_table_never_reports_negative_availability():
    table = quota_table(dict(COMPUTE, instances_used=12), None, None)
    assert table["instances"]["available"] == 0
    assert "volumes" not in table and "floating_ips" not in table


def test_needs_sum_flavors_volumes_and_floating_ips():
    servers = [{"flavor": "m1.large", "volume_size": 50, "floating_ip": True},
               {"flavor": "m1.large", "volume_size": 0},
               {"flavor": "m1.small"}]
    assert plan_needs(servers, FLAVORS) == {"instances": 3, "cores": 9, "ram": 18432, "volumes": 1,
                                            "gigabytes": 50, "floating_ips": 1}


def test_needs_names_a_missing_flavor():
    with pytest.raises(ValueError, match="flavor m9.huge does not exist"):
        plan_needs([{"flavor": "m9.huge"}], FLAVORS)


def test_shortfalls_name_each_short_resource_with_numbers():
    table = quota_table(COMPUTE, VOLUME, {"limit": 1, "used": 1, "reserved": 0})
    need = plan_needs([{"flavor": "m1.large", "volume_size": 10, "floating_ip": True}] * 4, FLAVORS)
    assert shortfalls(need, table) == [
        "cores: need 16, 10 available (limit 20, used 10)",
        "volumes: need 4, 1 available (limit 10, used 9)",
        "floating_ips: need 4, 0 available (limit 1, used 1)",
    ]


def test_shortfalls_empty_when_everything_fits_or_is_unlimited():
    table = quota_table(dict(COMPUTE, total_ram=-1), VOLUME, {"limit": -1, "used": 7})
    need = plan_needs([{"flavor": "m1.small", "floating_ip": True}], FLAVORS)
    assert shortfalls(need, table) == []


def test_ram_is_reported_in_mib():
    table = quota_table(dict(COMPUTE, total_ram=20480, total_ram_used=16384), VOLUME, None)
    need = plan_needs([{"flavor": "m1.large"}], FLAVORS)
    assert shortfalls(need, table) == ["ram: need 8192 MiB, 4096 MiB available (limit 20480, used 16384)"]


def test_missing_service_is_a_shortfall_only_when_needed():
    table = quota_table(COMPUTE, None, None)
    assert shortfalls(plan_needs([{"flavor": "m1.small"}], FLAVORS), table) == []
    lines = shortfalls(plan_needs([{"flavor": "m1.small", "volume_size": 5}], FLAVORS), table)
    assert lines == ["volumes: need 1, but the cloud offers no quota for it (service missing)",
                     "gigabytes: need 5 GiB, but the cloud offers no quota for it (service missing)"]
