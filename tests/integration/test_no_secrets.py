"""No secret in any output: the real playbooks at -v and -vvv, succeeding and failing, with a marker in every
secret variable, and none of the markers in what ansible-playbook prints.

Secret variables and where the markers go:
  - hub auth: a GitHub `auth.client_secret`, a native `auth.admin_password` (the initial admins' password);
  - hub values: `proxy.secretToken`, `hub.cookieSecret` and `hub.config.GitLabOAuthenticator.client_secret`
    in a hub's `values`, and a values file with another client secret;
  - k3s: `k3s_token` and a registry password in `k3s_registries`;
  - cluster_services: the TLS key `cluster_services_tls_key`;
  - hub_images: `hub_images_registry_password`;
  - OpenStack: the password in clouds.yaml.

Runs that reach the tasks handling secrets:
  - playbooks/hubs.yml on localhost (connection local) with the helm STAND-IN (tests/standins/helm) and a
    chart air-gap folder built from the real upstream values and schemas (tests/standins/helm/build_airgap.py):
    the hub checks, the chart unpacking, module hub_values merging and validating every layer against the real
    z2jh and BinderHub schemas and writing the values files, and kubernetes.core.helm installing both releases
    through the stand-in, which renders the real charts with the real helm (HELM_BIN), and kubernetes.core.k8s
    creating each hub's namespace in the k3s STAND-IN's API (tests/standins/k3s). Succeeding: a first
    install with --diff -vvv, then --check --diff -v after a change of every secret (the diff must say a secret
    changed, the end of the run warns about a plain-http hub on a network name). Failing: helm cannot reach the
    API (the rescue message must say which hub and why), a value the chart schema refuses, a network host
    without TLS.
  - playbooks/cluster_services.yml on localhost in --check --diff with cluster_tls: secret (the preflight
    checks the key, the TLS manifest template renders it), and failing with a key that is no PEM block.
  - every playbook of playbooks/ and site.yml against an inventory whose hosts are unreachable (TEST-NET
    addresses), with every secret variable set: preflight checks and the controller-side plays run, the
    first task on a node fails to connect.
  - playbooks/images.yml on localhost with registry credentials and no container engine: the preflight and
    module repo2docker_image run and fail.
  - playbooks/provision.yml against the OpenStack STAND-IN (tests/standins/openstack) with a clouds.yaml whose
    password the cloud refuses: openstacksdk authenticates and fails (the password never is a module argument).
  - site.yml with a k3s token and a TLS key the inventory checks refuse.
Where one level is run only, it is -vvv: it prints everything -v prints, plus module arguments and diffs.
"""
import json
import os
import shutil
import socket
import subprocess
import sys
import time

import pytest
import yaml

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
UPSTREAM = os.path.join(os.path.dirname(REPO), "shared", "upstream")
HELM_STANDIN = os.path.join(REPO, "tests", "standins", "helm", "helm")
K3S_STANDIN = os.path.join(REPO, "tests", "standins", "k3s", "k3s")
KUBECTL_STANDIN = os.path.join(REPO, "tests", "standins", "kubectl", "kubectl")
BUILD_CHARTS = os.path.join(REPO, "tests", "standins", "helm", "build_airgap.py")
PLAYBOOK = os.path.join(os.path.dirname(sys.executable), "ansible-playbook")
# The real helm binary the helm stand-in renders charts with (scripts/test sets HELM_BIN).
REAL_HELM = os.environ.get("HELM_BIN") or shutil.which("helm") or ""

pytestmark = [
    pytest.mark.skipif(not os.path.exists(PLAYBOOK), reason="ansible-playbook is not beside %s" % sys.executable),
]

# One marker per secret variable; a second set replaces them to show a changed secret in --diff.
MARKERS = {
    "github_client_secret": "mk-github-client-secret-1a",
    "native_admin_password": "mk-native-admin-password-2b",
    "proxy_secret_token": "mk-proxy-secret-token-3c",
    "cookie_secret": "mk-hub-cookie-secret-4d",
    "values_client_secret": "mk-values-client-secret-5e",
    "file_client_secret": "mk-file-client-secret-6f",
    "k3s_token": "mk-k3s-token-7a",
    "k3s_registry_password": "mk-k3s-registry-password-8b",
    "tls_key": "mk-tls-key-body-9c",
    "images_registry_password": "mk-images-registry-password-0d",
    "openstack_password": "mk-openstack-password-1e",
    "restic_password": "mk-restic-password-2f",
}
CHANGED = {key: value.replace("mk-", "mk2-") for key, value in MARKERS.items()}
ALL_MARKERS = list(MARKERS.values()) + list(CHANGED.values())


def assert_no_marker(text, where):
    leaked = [marker for marker in ALL_MARKERS if marker in text]
    assert not leaked, "%s printed the secret(s) %s:\n%s" % (where, leaked, text[-6000:])


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_api(root):
    """The k3s stand-in's server (tests/standins/k3s) on a free port of this machine, its data under root:
    (process, kubeconfig path) once the API answers."""
    binary = os.path.join(root, "k3s-standin")
    with open(K3S_STANDIN, encoding="utf-8") as handle:
        text = handle.read().replace('VERSION = "@VERSION@"', 'VERSION = "v1.31.4+k3s1"')
    with open(binary, "w", encoding="utf-8") as handle:
        handle.write(text)
    port, kubeconfig = free_port(), os.path.join(root, "kubeconfig")
    config = os.path.join(root, "k3s-config.yaml")
    with open(config, "w", encoding="utf-8") as handle:
        handle.write("node-name: lab-server\nhttps-listen-port: %d\ndata-dir: %s\nwrite-kubeconfig: %s\n"
                     % (port, os.path.join(root, "k3s-data"), kubeconfig))
    env = {k: v for k, v in os.environ.items() if k != "NOTIFY_SOCKET"}
    log = open(os.path.join(root, "k3s-standin.log"), "w")
    proc = subprocess.Popen([sys.executable, binary, "server", "--config", config], stdout=log,
                            stderr=subprocess.STDOUT, env=env)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if os.path.exists(kubeconfig):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                return proc, kubeconfig
            except OSError:
                pass
        time.sleep(0.1)
    proc.terminate()
    raise AssertionError("the k3s stand-in's API did not start: %s" % open(log.name).read()[-2000:])


def tls_key(marker):
    return "-----BEGIN PRIVATE KEY-----\n%s\n-----END PRIVATE KEY-----\n" % marker


def secret_vars(markers):
    """Every secret variable of the collection, set to its marker."""
    return {
        "k3s_token": markers["k3s_token"],
        "k3s_registries": {"configs": {"registry.example.org": {
            "auth": {"username": "lab", "password": markers["k3s_registry_password"]}}}},
        "cluster_services_tls_cert": "-----BEGIN CERTIFICATE-----\nMIIBcert\n-----END CERTIFICATE-----\n",
        "cluster_services_tls_key": tls_key(markers["tls_key"]),
        "hub_images_registry_username": "builder",
        "hub_images_registry_password": markers["images_registry_password"],
        "backup_restic_password": markers["restic_password"],
    }


def hubs(markers, values_file, host="jupyter.localhost"):
    return [
        {"name": "jupyter", "kind": "jupyterhub", "host": host,
         "auth": {"type": "github", "client_id": "lab-client", "client_secret": markers["github_client_secret"],
                  "allowed_organizations": ["lab"], "admin_users": ["alice"]},
         "values_files": [values_file],
         "values": {"proxy": {"secretToken": markers["proxy_secret_token"]},
                    "hub": {"cookieSecret": markers["cookie_secret"],
                            "config": {"GitLabOAuthenticator": {"client_secret": markers["values_client_secret"]}}}}},
        {"name": "binder", "kind": "binderhub", "host": "binder.localhost", "hub_host": "hub.binder.localhost",
         "auth": {"type": "native", "admin_users": ["admin"], "admin_password": markers["native_admin_password"]}},
    ]


def play(workdir, inventory, playbook, *args, env=None):
    config = os.path.join(workdir, "ansible.cfg")
    if not os.path.exists(config):
        with open(config, "w") as handle:
            handle.write("[defaults]\nhost_key_checking = false\nretry_files_enabled = false\n"
                         "fact_caching = memory\n")
    environ = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=os.path.join(REPO, ".ansible", "collections"),
                   ANSIBLE_NOCOLOR="1", ANSIBLE_FORCE_COLOR="0", ANSIBLE_CONFIG=config,
                   ANSIBLE_LOCAL_TEMP=os.path.join(workdir, "ansible-tmp"), **(env or {}))
    cmd = [PLAYBOOK, "-i", inventory, os.path.join(REPO, playbook)] + list(args)
    proc = subprocess.run(cmd, capture_output=True, text=True, env=environ, cwd=workdir, timeout=600, check=False)
    return proc.returncode, proc.stdout + proc.stderr


def recap(output, host="localhost"):
    lines = [ln for ln in output.splitlines() if ln.startswith(host + " ") and "ok=" in ln]
    assert lines, output[-4000:]
    return lines[-1]


# --------------------------------------------------------------------------------------------------------------
# playbooks/hubs.yml and cluster_services.yml on localhost with the helm stand-in
# --------------------------------------------------------------------------------------------------------------

class LocalLab:
    """A localhost inventory for hubs.yml / cluster_services.yml: every path under a temporary folder, helm is
    the stand-in, the charts come from a stand-in air-gap folder with the real upstream values and schemas."""

    def __init__(self, root):
        self.root = str(root)
        self.data = os.path.join(self.root, "data")
        for sub in ("charts", "downloads"):
            os.makedirs(os.path.join(self.data, sub))
        self.airgap = os.path.join(self.root, "airgap")
        charts = []
        for role, key in (("hub", "hub_charts"), ("cluster_services", "cluster_services_charts")):
            with open(os.path.join(REPO, "roles", role, "defaults", "main.yml")) as handle:
                pinned = yaml.safe_load(handle)[key]
            charts += ["--chart=%s=%s" % (name, chart["version"]) for name, chart in pinned.items()]
        subprocess.run([sys.executable, BUILD_CHARTS, "--out", self.airgap, "--upstream", UPSTREAM,
                        "--helm-diff-version", "v3.9.14"] + charts, check=True, capture_output=True)
        self.state = os.path.join(self.root, "helm-state")
        os.makedirs(self.state)
        # The cluster's API: the k3s stand-in's server (namespaces for the hub role's namespace task, made with
        # kubernetes.core.k8s; the helm stand-in only checks that it answers).
        self.api, self.kubeconfig = start_api(self.root)
        self.unreachable_kubeconfig = self.write_kubeconfig("kubeconfig-down", free_port())
        self.values_file = os.path.join(self.root, "jupyter.values.yaml")
        self.inventory = os.path.join(self.root, "hosts.yml")
        self.write(MARKERS)

    def write_kubeconfig(self, name, port):
        path = os.path.join(self.root, name)
        with open(path, "w") as handle:
            yaml.safe_dump({"apiVersion": "v1", "clusters": [{"name": "c", "cluster": {
                "server": "https://127.0.0.1:%d" % port}}]}, handle)
        return path

    def write(self, markers, **overrides):
        with open(self.values_file, "w") as handle:
            yaml.safe_dump({"hub": {"config": {"GitHubOAuthenticator": {
                "client_secret": markers["file_client_secret"]}}},
                "singleuser": {"memory": {"limit": "1G"}}}, handle)
        variables = {
            "ansible_connection": "local", "ansible_python_interpreter": sys.executable, "ansible_become": False,
            "cluster_api_endpoint": "127.0.0.1", "k3s_install_method": "online",
            "cluster_airgap_dir": self.airgap,
            "cluster_services_data_dir": self.data,
            "cluster_services_kubeconfig": self.kubeconfig,
            "cluster_services_manifests_dir": os.path.join(self.root, "manifests"),
            "cluster_services_python_packages": [],
            "cluster_services_helm_install_path": HELM_STANDIN,
            "cluster_services_helm_plugins_dir": os.path.join(self.root, "helm-plugins"),
            "cluster_registry_address": "127.0.0.1:30500",
            "hub_kubeconfig": self.kubeconfig,
            "hub_helm_path": HELM_STANDIN,
            "hub_kubectl_path": KUBECTL_STANDIN,
            "hub_server_packages": [],   # kubernetes.core.k8s runs in this Python, which has the client
            "hub_values_dir": os.path.join(self.root, "values"),
            "hub_health_check": False,
            "hub_check_config_on_controller": False,
            "hubs": hubs(markers, self.values_file),
        }
        variables.update(secret_vars(markers))
        variables.update(overrides)
        data = {"all": {"vars": variables, "children": {
            "k3s_cluster": {"children": {"k3s_servers": {"hosts": {"localhost": {}}}}},
            "nfs_servers": {"hosts": {}}}}}
        with open(self.inventory, "w") as handle:
            yaml.safe_dump(data, handle)

    def run(self, playbook, *args):
        return play(self.root, self.inventory, playbook, *args,
                    env={"HELM_STANDIN_STATE": self.state, "HELM_STANDIN_CHARTS": os.path.join(self.root, "none"),
                         "KUBECTL_STANDIN_PODS": os.path.join(self.root, "pods.json"),
                         "HELM_PLUGINS": os.path.join(self.root, "helm-plugins"), "HELM_STANDIN_REAL_HELM": REAL_HELM})

    def close(self):
        self.api.terminate()
        self.api.wait(timeout=10)


def open_lab(tmp_path):
    """A LocalLab, or the test skipped when this machine lacks what it needs (test_hub_upgrades.py uses it too)."""
    if not os.path.isdir(UPSTREAM):
        pytest.skip("no upstream chart data at %s (the charts' values and schemas)" % UPSTREAM)
    if not os.access(REAL_HELM, os.X_OK):
        pytest.skip("no real helm binary (HELM_BIN, or helm on PATH) for the helm stand-in to render charts with")
    if os.geteuid() != 0:
        pytest.skip("the roles create root-owned folders; run as root (as CI does)")
    return LocalLab(tmp_path)


@pytest.fixture
def lab(tmp_path):
    environment = open_lab(tmp_path)
    yield environment
    environment.close()


def test_hubs_succeeding_at_v_and_vvv_show_no_secret_and_diff_says_a_secret_changed(lab):
    rc, out = lab.run("playbooks/hubs.yml", "--diff", "-vvv")
    assert rc == 0, out[-6000:]
    assert_no_marker(out, "hubs.yml --diff -vvv (first install)")
    assert "failed=0" in recap(out)
    releases = json.load(open(os.path.join(lab.state, "releases.json")))["releases"]
    assert set(releases) == {"jupyter/jupyter", "binder/binder"}, releases
    values = open(os.path.join(lab.root, "values", "jupyter.values.yaml")).read()
    assert MARKERS["github_client_secret"] in values and MARKERS["proxy_secret_token"] in values
    assert oct(os.stat(os.path.join(lab.root, "values", "jupyter.values.yaml")).st_mode & 0o777) == "0o600"
    # The loops name the hubs, not their entries.
    assert "(item=jupyter)" in out and "(item=binder)" in out
    # Each hub's namespace, made in the API before its release, with the Pod Security labels of its kind.
    import kubernetes  # the controller's client (requirements.txt), as kubernetes.core.k8s used it

    api = kubernetes.client.CoreV1Api(kubernetes.config.new_client_from_config(lab.kubeconfig))
    for name, enforce in (("jupyter", "restricted"), ("binder", "privileged")):
        labels = api.read_namespace(name).metadata.labels
        assert labels["pod-security.kubernetes.io/enforce"] == enforce, (name, labels)
        assert labels["pod-security.kubernetes.io/warn"] == labels["pod-security.kubernetes.io/audit"] == "restricted"

    # Every secret changes and the hub moves to a network name with cluster_tls: none written on purpose;
    # --check --diff tells what would change.
    lab.write(CHANGED, cluster_tls="none", hubs=hubs(CHANGED, lab.values_file, host="jupyter.lab.example.org"))
    rc, out = lab.run("playbooks/hubs.yml", "--check", "--diff", "-v")
    assert rc == 0, out[-6000:]
    assert_no_marker(out, "hubs.yml --check --diff -v (secrets changed)")
    assert "cookieSecret: '******** (changed)'" in out and "secretToken: '******** (changed)'" in out
    assert "client_secret: '******** (changed)'" in out
    assert MARKERS["cookie_secret"] in open(os.path.join(lab.root, "values", "jupyter.values.yaml")).read()
    # The end of the run warns about the plain http hub.
    warning = out.index("WARNING: cluster_tls is none: jupyter.lab.example.org served over plain http")
    assert warning > out.index("Say where each hub is")


def test_hubs_failing_show_no_secret_and_say_which_hub_and_why(lab):
    # helm cannot reach the API: the hidden helm result is told again, scrubbed.
    # The JupyterHub alone (the BinderHub's secrets are shown safe by the succeeding runs): half the work.
    lab.write(MARKERS, hub_kubeconfig=lab.unreachable_kubeconfig, hubs=hubs(MARKERS, lab.values_file)[:1])
    for verbosity in ("-v", "-vvv"):
        rc, out = lab.run("playbooks/hubs.yml", verbosity)
        assert rc != 0, out[-4000:]
        assert_no_marker(out, "hubs.yml %s with helm failing" % verbosity)
        assert "Hub jupyter: helm could not install or upgrade release jupyter" in out, out[-4000:]
        assert "Kubernetes cluster unreachable" in out, out[-4000:]

    # A value the chart's schema refuses: module hub_values names the path and the layer, not the secrets.
    bad = hubs(MARKERS, lab.values_file)[:1]
    bad[0]["values"]["proxy"]["secretToken"] = {"not": "a string"}
    bad[0]["values"]["singleuser"] = {"image": {"pullPolicy": "Sometimes"}}
    lab.write(MARKERS, hubs=bad)
    rc, out = lab.run("playbooks/hubs.yml", "--diff", "-vvv")
    assert rc != 0, out[-4000:]
    assert_no_marker(out, "hubs.yml -vvv with a schema error")
    assert "singleuser.image.pullPolicy" in out, out[-4000:]

    # A network host over plain http, cluster_tls not set: refused before anything, naming cluster_tls.
    lab.write(MARKERS, hubs=hubs(MARKERS, lab.values_file, host="jupyter.lab.example.org"))
    rc, out = lab.run("playbooks/hubs.yml", "-vvv")
    assert rc != 0
    assert_no_marker(out, "hubs.yml -vvv refused for plain http")
    assert "cluster_tls is not set" in out and "jupyter.lab.example.org" in out


def test_cluster_services_check_mode_and_bad_key_show_no_secret(lab):
    # The JupyterHub alone and no registry: the registry's node check needs a real k3s registries.yaml.
    lab.write(MARKERS, cluster_tls="secret", cluster_services_homes="local-path", cluster_registry_address="",
              hubs=hubs(MARKERS, lab.values_file)[:1])
    for verbosity in ("-v", "-vvv"):
        rc, out = lab.run("playbooks/cluster_services.yml", "--check", "--diff", verbosity)
        assert rc == 0, out[-4000:]
        assert_no_marker(out, "cluster_services.yml --check --diff %s" % verbosity)
        assert "Declare the institution's certificate" in out, out[-4000:]
    lab.write(MARKERS, cluster_tls="secret", cluster_services_tls_key="not a key " + MARKERS["tls_key"],
              cluster_registry_address="", hubs=hubs(MARKERS, lab.values_file)[:1])
    rc, out = lab.run("playbooks/cluster_services.yml", "--check", "-vvv")
    assert rc != 0
    assert_no_marker(out, "cluster_services.yml -vvv with a bad key")


# --------------------------------------------------------------------------------------------------------------
# Every playbook against unreachable hosts; images.yml without a container engine; provision.yml refused
# --------------------------------------------------------------------------------------------------------------

def unreachable_inventory(tmp_path, markers):
    hosts = {name: {"ansible_host": "192.0.2.%d" % (i + 1), "ansible_connection": "ssh", "ansible_ssh_timeout": 2}
             for i, name in enumerate(("s1", "a1", "nfs1"))}
    values_file = str(tmp_path / "jupyter.values.yaml")
    with open(values_file, "w") as handle:
        yaml.safe_dump({"hub": {"config": {"GitHubOAuthenticator": {
            "client_secret": markers["file_client_secret"]}}}}, handle)
    variables = {"cluster_api_endpoint": "k3s.example.org", "k3s_install_method": "online",
                 "cluster_tls": "secret", "cluster_registry_address": "192.0.2.1:30500",
                 "hubs": hubs(markers, values_file, host="jupyter.lab.example.org"),
                 "hub_images": [{"name": "physics", "repo": "https://git.example.org/lab/physics.git",
                                 "ref": "main"}],
                 "k3s_version": "v1.31.4+k3s1", "k3s_reset_confirm": True, "backup_sftp_host": "nfs1", "backup_restore_all": True}
    variables.update(secret_vars(markers))
    data = {"all": {"vars": variables, "children": {
        "k3s_cluster": {"children": {"k3s_servers": {"hosts": {"s1": hosts["s1"]}},
                                     "k3s_agents": {"hosts": {"a1": hosts["a1"]}}, "desktops": {"hosts": {}}}},
        "nfs_servers": {"hosts": {"nfs1": hosts["nfs1"]}}}}}
    path = tmp_path / "hosts.yml"
    path.write_text(yaml.safe_dump(data))
    return str(path)


PLAYBOOKS = sorted(["site.yml"] + ["playbooks/" + name for name in os.listdir(os.path.join(REPO, "playbooks"))
                                   if name.endswith(".yml")])


@pytest.mark.parametrize("playbook", PLAYBOOKS)
def test_every_playbook_failing_on_unreachable_hosts_shows_no_secret(tmp_path, playbook):
    inventory = unreachable_inventory(tmp_path, MARKERS)
    extra = ["-e", '{"k3s_remove_nodes": ["a1"]}'] if playbook.endswith("remove_node.yml") else []
    if playbook.endswith("replace_server.yml"):
        extra = ["-e", "k3s_dead_server=s9"]
    if playbook.endswith("render.yml"):
        if not os.path.isdir(os.path.join(UPSTREAM, "charts")):
            pytest.skip("render.yml needs the unpacked charts of %s/charts" % UPSTREAM)
        extra = ["-e", "hub_chart_source=%s" % os.path.join(UPSTREAM, "charts"), "-e", "render_dir=%s" % tmp_path]
    rc, out = play(str(tmp_path), inventory, playbook, "-vvv", *extra)
    # The inventory passes every check: check.yml, render.yml and provision.yml (no OpenStack groups) succeed,
    # the others run their controller-side work and stop at the first node.
    assert rc == 0 or "UNREACHABLE" in out, out[-3000:]
    assert_no_marker(out, "%s -vvv against unreachable hosts" % playbook)


def test_images_failing_without_a_container_engine_shows_no_secret(tmp_path):
    inventory = tmp_path / "hosts.yml"
    variables = {"ansible_connection": "local", "ansible_python_interpreter": sys.executable,
                 "ansible_become": False, "k3s_install_method": "online", "cluster_api_endpoint": "127.0.0.1",
                 "hub_images_registry_address": "127.0.0.1:%d" % free_port(),
                 "hub_images_prepare_build_host": False,
                 "hub_images_engine_host": "unix://%s" % (tmp_path / "no-engine.sock"),
                 "hub_images_repo2docker_command": [sys.executable, "-m", "repo2docker"],
                 "hub_images": [{"name": "physics", "repo": str(tmp_path / "no-repo"), "ref": "main"}]}
    variables.update(secret_vars(MARKERS))
    inventory.write_text(yaml.safe_dump({"all": {"vars": variables, "children": {
        "k3s_cluster": {"children": {"k3s_servers": {"hosts": {"localhost": {}}}}}}}}))
    for verbosity in ("-v", "-vvv"):
        rc, out = play(str(tmp_path), str(inventory), "playbooks/images.yml", verbosity)
        assert rc != 0, out[-3000:]
        assert_no_marker(out, "images.yml %s without an engine" % verbosity)


def test_inventory_refusals_show_no_secret(tmp_path):
    """A k3s token with a space and a TLS key that is no PEM block are refused without being shown."""
    inventory = unreachable_inventory(tmp_path, MARKERS)
    data = yaml.safe_load(open(inventory))
    data["all"]["vars"]["k3s_token"] = MARKERS["k3s_token"] + " with a space"
    data["all"]["vars"]["cluster_services_tls_key"] = "not a key " + MARKERS["tls_key"]
    with open(inventory, "w") as handle:
        yaml.safe_dump(data, handle)
    rc, out = play(str(tmp_path), inventory, "site.yml", "-vvv")
    assert rc != 0 and "UNREACHABLE" not in out, out[-3000:]
    assert "k3s_token" in out and "cluster_services_tls_key" in out, out[-3000:]
    assert_no_marker(out, "site.yml -vvv refusing a bad token and key")


def test_provision_refused_by_the_cloud_shows_no_password(tmp_path):
    """The password lives in clouds.yaml and reaches openstacksdk only (the role names the cloud, never passes
    credentials as module arguments): the path that can print it is the cloud's refusal. A succeeding
    provision is tests/integration/test_openstack_nodes.py (77 s here under load, so not repeated)."""
    sys.path.insert(0, os.path.join(REPO, "tests", "standins", "openstack"))
    from openstack_standin import StandIn  # pylint: disable=import-outside-toplevel  (a stand-in under tests/)

    ssh_port = free_port()
    key = tmp_path / "id_test.pub"
    key.write_text("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIDtestkeytestkeytestkeytestkeytestkeytestke test\n")
    inventory = tmp_path / "hosts.yml"
    inventory.write_text(yaml.safe_dump({"all": {"vars": {
        "ansible_connection": "local", "ansible_python_interpreter": sys.executable,
        "cluster_api_endpoint": "k3s.example.org", "k3s_install_method": "online",
        "openstack_nodes_cloud": "standin", "openstack_nodes_cluster_name": "demo",
        "openstack_nodes_public_key_file": str(key), "openstack_nodes_admin_cidrs": ["192.0.2.0/24"],
        "openstack_nodes_api_cidrs": ["198.51.100.0/24"], "openstack_nodes_subnet_cidr": "127.0.42.0/24",
        "openstack_nodes_ssh_port": ssh_port, "openstack_nodes_wait_timeout": 20, "openstack_nodes_api_timeout": 60,
        "openstack_nodes_groups": [{"name": "server", "inventory_group": "k3s_servers", "count": 1,
                                    "flavor": "m1.medium", "image": "debian-12"}]},
        "children": {"k3s_cluster": {"children": {"k3s_servers": {"hosts": {}}, "k3s_agents": {"hosts": {}}}}}}}))
    clouds = tmp_path / "clouds.yaml"
    with StandIn(ssh_port=ssh_port, external_cidr="127.0.43.0/24", password=MARKERS["openstack_password"]) as cloud:
        env = {"OS_CLIENT_CONFIG_FILE": str(clouds)}
        clouds.write_text(cloud.clouds_yaml().replace(MARKERS["openstack_password"], CHANGED["openstack_password"]))
        for verbosity in ("-v", "-vvv"):
            rc, out = play(str(tmp_path), str(inventory), "playbooks/provision.yml", verbosity, env=env)
            assert rc != 0, out[-4000:]
            assert "HTTP 401" in out, out[-4000:]
            assert_no_marker(out, "provision.yml %s with a password the cloud refuses" % verbosity)
