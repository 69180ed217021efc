"""The helm STAND-IN (tests/standins/helm/helm) behaves like helm where kubernetes.core.helm depends on it.

The molecule `hubs` scenario trusts it for change detection, release state and schema checks; these tests pin
that behaviour: install/upgrade revisions, `helm list`/`get values` in the shapes kubernetes.core parses,
`diff upgrade` empty when nothing changes, namespaces refused without --create-namespace, schema errors
refused before any state changes, and an unreachable API server failing like helm.
"""
import json
import os
import shutil
import socket
import subprocess
import sys
import threading

import pytest
import yaml

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))  # tests/integration/..
HELM = os.path.join(REPO, "tests", "standins", "helm", "helm")


@pytest.fixture
def api_server():
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(16)
    stop = threading.Event()

    def serve():
        server.settimeout(0.2)
        while not stop.is_set():
            try:
                conn, _ = server.accept()
                conn.close()
            except OSError:
                pass

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield server.getsockname()[1]
    stop.set()
    thread.join()
    server.close()


@pytest.fixture
def env(tmp_path, api_server):
    kubeconfig = tmp_path / "k3s.yaml"
    kubeconfig.write_text(yaml.safe_dump({"clusters": [{"cluster": {"server": "https://127.0.0.1:%d" % api_server}}]}))
    chart = tmp_path / "chart"
    chart.mkdir()
    (chart / "Chart.yaml").write_text("apiVersion: v2\nname: demo\nversion: 1.2.3\nappVersion: '9'\n")
    (chart / "values.yaml").write_text("size: 1\nnested: {a: 1, b: 2}\n")
    (chart / "values.schema.json").write_text(json.dumps(
        {"type": "object", "properties": {"size": {"type": "integer"}}, "required": ["size"]}))
    plugins = tmp_path / "plugins"
    (plugins / "diff").mkdir(parents=True)
    (plugins / "diff" / "plugin.yaml").write_text("name: diff\nversion: 3.9.14\nusage: stand-in\n")
    return {"PATH": os.environ["PATH"], "HELM_STANDIN_STATE": str(tmp_path / "state"),
            "HELM_PLUGINS": str(plugins), "KUBECONFIG": str(kubeconfig), "HELM_NAMESPACE": "demo",
            "chart": str(chart), "tmp": str(tmp_path)}


def helm(env, *args):
    run_env = {k: v for k, v in env.items() if k.isupper()}
    return subprocess.run([sys.executable, HELM] + list(args), env=run_env, capture_output=True, text=True)


def values_file(env, name, data):
    path = os.path.join(env["tmp"], name)
    with open(path, "w") as handle:
        yaml.safe_dump(data, handle)
    return path


def test_install_upgrade_list_get_values(env):
    first = values_file(env, "a.yaml", {"size": 2, "nested": {"a": 5}})
    assert helm(env, "upgrade", "-i", "rel", env["chart"], "--values=" + first).returncode == 1  # no namespace yet
    done = helm(env, "upgrade", "-i", "--create-namespace", "--atomic", "--wait", "--values=" + first, "rel",
                env["chart"])
    assert done.returncode == 0, done.stderr
    listed = yaml.safe_load(helm(env, "list", "--output=yaml", "--filter", "rel").stdout)
    assert listed == [{"name": "rel", "namespace": "demo", "revision": "1", "updated": listed[0]["updated"],
                       "status": "deployed", "chart": "demo-1.2.3", "app_version": "9"}]
    assert yaml.safe_load(helm(env, "get", "values", "--output=yaml", "rel").stdout) == {"size": 2, "nested": {"a": 5}}
    assert yaml.safe_load(helm(env, "get", "values", "--output=yaml", "rel", "-a").stdout) == {
        "size": 2, "nested": {"a": 5, "b": 2}}
    second = values_file(env, "b.yaml", {"size": 3})
    assert helm(env, "upgrade", "-i", "rel", env["chart"], "-f=" + first, "-f=" + second).returncode == 0
    assert yaml.safe_load(helm(env, "list", "-o", "json").stdout)[0]["revision"] == "2"


def test_diff_is_empty_only_without_changes(env):
    path = values_file(env, "a.yaml", {"size": 2})
    helm(env, "upgrade", "-i", "--create-namespace", "rel", env["chart"], "--values=" + path)
    same = helm(env, "diff", "upgrade", "rel", env["chart"], "--reset-values=True", "--values=" + path)
    assert same.returncode == 0 and same.stdout.strip() == ""
    other = values_file(env, "b.yaml", {"size": 7, "secret": "hunter2"})
    changed = helm(env, "diff", "upgrade", "rel", env["chart"], "--values=" + other)
    assert "size" in changed.stdout and "secret" in changed.stdout and "hunter2" not in changed.stdout


def test_diff_needs_the_plugin(env):
    os.remove(os.path.join(env["HELM_PLUGINS"], "diff", "plugin.yaml"))
    result = helm(env, "diff", "upgrade", "rel", env["chart"])
    assert result.returncode == 1 and 'unknown command "diff"' in result.stderr
    assert helm(env, "plugin", "list").stdout.strip() == "NAME\tVERSION\tDESCRIPTION"


def test_plugin_install_links_a_folder_and_uninstall_removes_it(env):
    # kubernetes.core.helm_plugin's calls: install from a local folder (linked, as helm 3 does), refused a second
    # time with helm's "plugin already exists" (the module's "already installed"), then uninstall by name.
    shutil.rmtree(os.path.join(env["HELM_PLUGINS"], "diff"))
    source = os.path.join(env["tmp"], "unpacked", "diff")
    os.makedirs(source)
    with open(os.path.join(source, "plugin.yaml"), "w") as handle:
        handle.write("name: diff\nversion: 3.9.15\nusage: stand-in\n")
    installed = helm(env, "plugin", "install", source)
    assert installed.returncode == 0 and "Installed plugin: diff" in installed.stdout, installed.stderr
    assert os.readlink(os.path.join(env["HELM_PLUGINS"], "diff")) == source
    assert "diff\t3.9.15\tstand-in" in helm(env, "plugin", "list").stdout
    again = helm(env, "plugin", "install", source)
    assert again.returncode == 1 and "plugin already exists" in again.stderr
    removed = helm(env, "plugin", "uninstall", "diff")
    assert removed.returncode == 0 and not os.path.lexists(os.path.join(env["HELM_PLUGINS"], "diff"))
    assert os.path.isfile(os.path.join(source, "plugin.yaml"))  # the folder itself stays, as with helm
    missing = helm(env, "plugin", "uninstall", "diff")
    assert missing.returncode == 1 and "plugin: diff not found" in missing.stderr


def test_schema_error_changes_nothing(env):
    pytest.importorskip("jsonschema")
    bad = values_file(env, "bad.yaml", {"size": "big"})
    result = helm(env, "upgrade", "-i", "--create-namespace", "rel", env["chart"], "--values=" + bad)
    assert result.returncode == 1
    assert "values don't meet the specifications of the schema" in result.stderr and "/size" in result.stderr
    assert yaml.safe_load(helm(env, "list", "-o", "json").stdout) == []
    removed = values_file(env, "null.yaml", {"size": None})
    assert "'size' is a required property" in helm(env, "upgrade", "-i", "--create-namespace", "rel",
                                                     env["chart"], "--values=" + removed).stderr


def test_unreachable_cluster_fails_like_helm(env, tmp_path):
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    (tmp_path / "k3s.yaml").write_text(yaml.safe_dump({"clusters": [{"cluster": {"server": "https://127.0.0.1:%d" % port}}]}))
    result = helm(env, "list", "-o", "json")
    assert result.returncode == 1 and "Kubernetes cluster unreachable" in result.stderr


def test_calls_are_logged_without_values(env):
    path = values_file(env, "a.yaml", {"size": 2, "password": "s3cr3t-value"})
    helm(env, "upgrade", "-i", "--create-namespace", "rel", env["chart"], "--values=" + path)
    log = open(os.path.join(env["HELM_STANDIN_STATE"], "calls.log")).read()
    assert "upgrade" in log and "s3cr3t-value" not in log
    assert oct(os.stat(os.path.join(env["HELM_STANDIN_STATE"], "calls.log")).st_mode & 0o777) == "0o600"


def test_pull_untar_and_show_chart(env, tmp_path):
    source = tmp_path / "charts" / "demo-1.2.3"
    source.parent.mkdir()
    os.symlink(env["chart"], source)
    env = dict(env, HELM_STANDIN_CHARTS=str(tmp_path / "charts"))
    dest = tmp_path / "pulled"
    result = helm(env, "pull", "demo", "--repo", "https://charts.example.org", "--version", "1.2.3", "--untar",
                  "--untardir", str(dest))
    assert result.returncode == 0, result.stderr
    assert yaml.safe_load(helm(env, "show", "chart", str(dest / "demo")).stdout)["version"] == "1.2.3"
    missing = helm(env, "pull", "demo", "--repo", "https://charts.example.org", "--version", "9.9.9", "--untar")
    assert missing.returncode == 1 and 'version "9.9.9" not found' in missing.stderr


def test_release_that_never_becomes_ready_is_rolled_back_with_atomic(env):
    first = values_file(env, "a.yaml", {"size": 2})
    second = values_file(env, "b.yaml", {"size": 3})
    assert helm(env, "upgrade", "-i", "--create-namespace", "--atomic", "--wait", "--values=" + first, "rel",
                env["chart"]).returncode == 0
    with open(os.path.join(env["HELM_STANDIN_STATE"], "fail-wait.json"), "w") as handle:
        json.dump(["demo/rel"], handle)
    failed = helm(env, "upgrade", "-i", "--atomic", "--wait", "--values=" + second, "rel", env["chart"])
    assert failed.returncode == 1
    assert "UPGRADE FAILED: release rel failed, and has been rolled back due to atomic being set" in failed.stderr
    rolled = json.loads(helm(env, "list", "--output=json").stdout)
    assert [(r["name"], r["revision"], r["status"]) for r in rolled] == [("rel", "3", "deployed")]
    assert json.loads(helm(env, "get", "values", "rel", "--output", "json").stdout) == {"size": 2}
    # Without --atomic the release is left failed; a failing first install with --atomic is removed.
    assert helm(env, "upgrade", "-i", "--wait", "--values=" + second, "rel", env["chart"]).returncode == 1
    assert json.loads(helm(env, "list", "--output=json", "--all").stdout)[0]["status"] == "failed"
    with open(os.path.join(env["HELM_STANDIN_STATE"], "fail-wait.json"), "w") as handle:
        json.dump(["demo/new"], handle)
    new = helm(env, "upgrade", "-i", "--atomic", "--wait", "--values=" + first, "new", env["chart"])
    assert "INSTALLATION FAILED: release new failed, and has been uninstalled" in new.stderr
    assert [r["name"] for r in json.loads(helm(env, "list", "--output=json", "--all").stdout)] == ["rel"]
