"""The same path against a REAL OpenStack cloud, when one is configured; skipped otherwise.

No cloud can be reached from the test machines, so this runs only where VJ_OPENSTACK_CLOUD names an entry
of the user's clouds.yaml. It creates one small server (cluster name vj-test-<random>), checks that it is
handed on with an address whose SSH port answered, runs again expecting no change, and deletes everything.

  VJ_OPENSTACK_CLOUD=mycloud VJ_OPENSTACK_IMAGE=debian-12 VJ_OPENSTACK_FLAVOR=m1.small \\
  VJ_OPENSTACK_EXTERNAL_NETWORK=public VJ_OPENSTACK_ADMIN_CIDR=203.0.113.7/32 \\
  VJ_OPENSTACK_SSH_USER=debian python -m pytest tests/integration/test_openstack_nodes_real_cloud.py
"""
import json
import os
import subprocess
import uuid

import pytest
import yaml

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CLOUD = os.environ.get("VJ_OPENSTACK_CLOUD")

pytestmark = pytest.mark.skipif(
    not CLOUD, reason="no OpenStack cloud here: set VJ_OPENSTACK_CLOUD (and VJ_OPENSTACK_*) to run against one")

NEXT_PLAY = """
- name: Provision
  ansible.builtin.import_playbook: {provision}

- name: Record what the next play sees
  hosts: localhost
  gather_facts: false
  tasks:
    - name: Record the servers group
      changed_when: false
      ansible.builtin.copy:
        dest: "{{{{ record_file }}}}"
        mode: "0600"
        content: "{{{{ {{'servers': groups['k3s_servers'] | default([]),
                       'hosts': groups['k3s_servers'] | default([]) | map('extract', hostvars, 'ansible_host') | list}}
                    | to_json }}}}"
"""


def run(tmp_path, inventory, *extra):
    playbook = tmp_path / "next_play.yml"
    playbook.write_text(NEXT_PLAY.format(provision=os.path.join(REPO, "playbooks", "provision.yml")))
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=os.path.join(REPO, ".ansible", "collections"))
    cmd = ["ansible-playbook", "-i", str(inventory), "-e", "record_file=%s" % (tmp_path / "record.json")]
    return subprocess.run(cmd + list(extra) + [str(playbook)], cwd=str(tmp_path), env=env, capture_output=True,
                          text=True, timeout=1800)


def test_create_rerun_and_delete_on_a_real_cloud(tmp_path):
    cluster = "vj-test-" + uuid.uuid4().hex[:6]
    inventory = tmp_path / "inventory"
    (inventory / "group_vars").mkdir(parents=True)
    (inventory / "hosts.yml").write_text(yaml.safe_dump({"all": {"children": {"k3s_cluster": {"children": {
        "k3s_servers": {"hosts": {}}, "k3s_agents": {"hosts": {}}}}}}}))
    (inventory / "group_vars" / "all.yml").write_text(yaml.safe_dump({
        "openstack_nodes_cloud": CLOUD,
        "openstack_nodes_cluster_name": cluster,
        "openstack_nodes_public_key_file": os.environ.get("VJ_OPENSTACK_PUBLIC_KEY", "~/.ssh/id_ed25519.pub"),
        "openstack_nodes_ssh_user": os.environ.get("VJ_OPENSTACK_SSH_USER", "debian"),
        "openstack_nodes_external_network": os.environ.get("VJ_OPENSTACK_EXTERNAL_NETWORK", "public"),
        "openstack_nodes_admin_cidrs": [os.environ.get("VJ_OPENSTACK_ADMIN_CIDR", "0.0.0.0/0")],
        "openstack_nodes_address": "floating",
        "openstack_nodes_groups": [{"name": "server", "inventory_group": "k3s_servers", "count": 1,
                                    "flavor": os.environ.get("VJ_OPENSTACK_FLAVOR", "m1.small"),
                                    "image": os.environ.get("VJ_OPENSTACK_IMAGE", "debian-12")}],
    }))
    try:
        first = run(tmp_path, inventory)
        assert first.returncode == 0, first.stdout[-4000:]
        record = json.loads((tmp_path / "record.json").read_text())
        assert record["servers"] == [cluster + "-server-1"] and record["hosts"][0]
        again = run(tmp_path, inventory)
        assert again.returncode == 0, again.stdout[-4000:]
        assert " changed=0 " in again.stdout
    finally:
        gone = run(tmp_path, inventory, "-e", "openstack_nodes_state=absent",
                   "-e", "openstack_nodes_confirm_delete=" + cluster)
        assert gone.returncode == 0, gone.stdout[-4000:]
