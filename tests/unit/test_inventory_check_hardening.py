"""The inventory checks of the hardening settings (plugins/module_utils/inventory_check.py): the API server's audit
log (k3s role) and the Pod Security admission labels of the hubs' namespaces (hub role). Each bad value is
refused naming the variable and what it must be; the roles' defaults pass."""
import os

import pytest
import yaml

from ansible_collections.versatile.jupyter.plugins.module_utils import inventory_check as ic

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def defaults(role):
    with open(os.path.join(REPO, "roles", role, "defaults", "main.yml"), encoding="utf-8") as handle:
        return yaml.safe_load(handle)


def inventory(**variables):
    return ic.Inventory({"vars": variables, "user_set": sorted(variables)})


def test_the_roles_defaults_pass():
    k3s = defaults("k3s")
    audit = {k: v for k, v in k3s.items() if k.startswith("k3s_audit_")}
    assert set(audit) == {"k3s_audit_log", "k3s_audit_log_path", "k3s_audit_log_maxage", "k3s_audit_log_maxbackup",
                          "k3s_audit_log_maxsize", "k3s_audit_policy_file", "k3s_audit_policy_rules"}
    assert ic.audit_problems(inventory(**audit)) == []
    hub = defaults("hub")
    security = {k: v for k, v in hub.items() if k.startswith("hub_pod_security_")}
    # hub_pod_security_levels.jupyterhub is a template (baseline with hub_shared_volumes): as Ansible computes it.
    security["hub_pod_security_levels"] = dict(security["hub_pod_security_levels"], jupyterhub="restricted")
    assert ic.pod_security_problems(inventory(**security)) == []
    assert ic.audit_problems(inventory(k3s_audit_log=False, k3s_audit_log_maxage=0)) == []


@pytest.mark.parametrize("variables, message", [
    ({"k3s_audit_log_maxage": 0}, "k3s_audit_log_maxage (days an old log file is kept) must be a whole number of at "
                                  "least 1; it is 0."),
    ({"k3s_audit_log_maxbackup": "ten"}, "k3s_audit_log_maxbackup (old log files kept) must be a whole number"),
    ({"k3s_audit_log_maxsize": True}, "k3s_audit_log_maxsize (megabytes before the log is rotated) must be"),
    ({"k3s_audit_log_path": "audit.log"}, "k3s_audit_log_path must be the absolute path of a file on the servers; "
                                          "it is 'audit.log'."),
    ({"k3s_audit_policy_file": "/etc/rancher/k3s/"}, "k3s_audit_policy_file must be the absolute path of a file"),
    ({"k3s_audit_policy_rules": []}, "k3s_audit_policy_rules must hold at least one rule"),
    ({"k3s_audit_policy_rules": [{"level": "Metadata"}, {"level": "Everything"}]},
     "k3s_audit_policy_rules[1]: level must be one of None, Metadata, Request, RequestResponse; it is 'Everything'."),
])
def test_bad_audit_settings_are_named(variables, message):
    problems = ic.audit_problems(inventory(**variables))
    assert any(message in p for p in problems), problems


@pytest.mark.parametrize("variables, message", [
    ({"hub_pod_security_levels": {"jupyterhub": "restricted", "binderhub": "root"}},
     "hub_pod_security_levels.binderhub must be one of privileged, baseline, restricted; it is 'root'."),
    ({"hub_pod_security_levels": {"binderhub": "privileged"}},
     "hub_pod_security_levels.jupyterhub must be one of privileged, baseline, restricted; it is None."),
    ({"hub_pod_security_warn": "strict"}, "hub_pod_security_warn must be one of privileged, baseline, restricted"),
    ({"hub_pod_security_audit": ""}, "hub_pod_security_audit must be one of"),
    ({"hub_pod_security_version": "1.31"}, "hub_pod_security_version must be latest or a Kubernetes minor version "
                                           "such as v1.31; it is '1.31'."),
])
def test_bad_pod_security_settings_are_named(variables, message):
    problems = ic.pod_security_problems(inventory(**variables))
    assert any(message in p for p in problems), problems
