"""What a k3s node holds (plugins/module_utils/k3s_node.py): parsing of k3s and systemctl output, file and
folder state, all of it in one pass as module k3s_node_info returns it."""
import hashlib
import os

from ansible_collections.versatile.jupyter.plugins.module_utils import k3s_node as kn


def test_version_from_k3s_output():
    out = "k3s version v1.31.4+k3s1 (a562d090)\ngo version go1.22.9\n"
    assert kn.parse_version(out) == "v1.31.4+k3s1"
    assert kn.parse_version("") == ""
    assert kn.parse_version("bash: k3s: command not found") == ""


def test_systemctl_show_blocks_in_the_order_asked():
    out = ("LoadState=loaded\nActiveState=active\nUnitFileState=enabled\nInvocationID=4f0c\n\n"
           "LoadState=not-found\nActiveState=inactive\nUnitFileState=\nInvocationID=\n")
    shown = kn.parse_systemctl_show(out, ["k3s.service", "k3s-agent.service"])
    assert shown["k3s.service"] == {"LoadState": "loaded", "ActiveState": "active", "UnitFileState": "enabled",
                                    "InvocationID": "4f0c"}
    assert shown["k3s-agent.service"]["LoadState"] == "not-found"
    assert shown["k3s-agent.service"]["ActiveState"] == "inactive"


def test_systemctl_show_without_output_reports_empty_states():
    shown = kn.parse_systemctl_show("", ["k3s.service"])
    assert shown == {"k3s.service": {"LoadState": "", "ActiveState": "", "UnitFileState": "", "InvocationID": ""}}


def test_file_state_reports_checksum_mode_and_owner(tmp_path):
    path = tmp_path / "config.yaml"
    path.write_bytes(b"node-name: a\n")
    os.chmod(path, 0o600)
    state = kn.file_state(str(path))
    assert state["exists"] is True
    assert state["sha256"] == hashlib.sha256(b"node-name: a\n").hexdigest()
    assert state["mode"] == "0600"
    assert state["uid"] == os.getuid()
    assert kn.file_state(str(tmp_path / "missing"))["exists"] is False
    # A folder where a file is expected is not the file.
    assert kn.file_state(str(tmp_path))["exists"] is False


def test_directory_state(tmp_path):
    (tmp_path / "b.tar").write_text("x")
    (tmp_path / "a.tar.zst").write_text("x")
    os.chmod(tmp_path, 0o750)
    assert kn.directory_state(str(tmp_path)) == {"exists": True, "entries": ["a.tar.zst", "b.tar"], "mode": "0750",
                                                 "uid": os.getuid(), "gid": os.getgid()}
    assert kn.directory_state(str(tmp_path / "none")) == {"exists": False, "entries": [], "mode": "", "uid": -1,
                                                          "gid": -1}


def test_node_state_asks_k3s_and_systemctl_once_each(tmp_path):
    binary = tmp_path / "k3s"
    binary.write_text("#!/bin/sh\n")
    os.chmod(binary, 0o755)
    config = tmp_path / "config.yaml"
    config.write_text("a: 1\n")
    calls = []

    def run(argv):
        calls.append(argv)
        if argv[0] == str(binary):
            return 0, "k3s version v1.31.4+k3s1 (abc)\n", ""
        return 0, "LoadState=loaded\nActiveState=failed\nUnitFileState=enabled\nInvocationID=\n\n" \
                  "LoadState=not-found\nActiveState=inactive\nUnitFileState=\nInvocationID=\n", ""

    state = kn.node_state(str(tmp_path), ["k3s", "k3s-agent"], [str(config)], [str(tmp_path)], run=run)
    assert [c[0] for c in calls] == [str(binary), "systemctl"]
    assert calls[1][-2:] == ["k3s.service", "k3s-agent.service"]
    assert state["version"] == "v1.31.4+k3s1"
    assert state["units"]["k3s"]["ActiveState"] == "failed"
    assert state["units"]["k3s-agent"]["LoadState"] == "not-found"
    assert state["files"][str(config)]["sha256"] == hashlib.sha256(b"a: 1\n").hexdigest()
    assert "config.yaml" in state["directories"][str(tmp_path)]["entries"]
    assert state["architecture"]


def test_node_state_without_k3s(tmp_path):
    def run(argv):
        assert argv[0] == "systemctl", "k3s --version must not run when there is no binary"
        return 1, "", ""

    state = kn.node_state(str(tmp_path), ["k3s"], [], [], run=run)
    assert state["version"] == ""
    assert state["units"] == {"k3s": {"LoadState": "", "ActiveState": "", "UnitFileState": "", "InvocationID": ""}}


def test_dpkg_query_lines():
    text = ("python3-kubernetes\tii \t22.6.0-2\n"
            "python3-bcrypt:amd64\tii \t3.2.2-1\n"
            "nfs-common\trc \t1:2.6.2-4\n")
    state = kn.parse_dpkg_query(text, ["python3-kubernetes", "python3-bcrypt", "nfs-common", "python3-passlib"])
    assert state == {
        "python3-kubernetes": {"installed": True, "version": "22.6.0-2"},
        "python3-bcrypt": {"installed": True, "version": "3.2.2-1"},
        "nfs-common": {"installed": False, "version": "1:2.6.2-4"},   # removed, its configuration kept
        "python3-passlib": {"installed": False, "version": ""},       # dpkg-query knows nothing of it
    }


def test_node_state_packages_and_queries_in_one_pass():
    calls = []

    def run(argv):
        calls.append(argv)
        if argv[0] == "dpkg-query":
            return 1, "python3-kubernetes\tii \t22.6.0-2\n", ""
        if argv[0] == "/usr/local/bin/helm":
            return 0, "v3.16.4\n", "WARNING: kubeconfig is group-readable\n"
        return 127, "", "No such file or directory: '/nope'"

    state = kn.node_state("", [], [], [], packages=["python3-kubernetes", "python3-passlib"],
                          commands={"helm": ["/usr/local/bin/helm", "version"], "missing": ["/nope"]}, run=run)
    assert [c[0] for c in calls] == ["dpkg-query", "/usr/local/bin/helm", "/nope"]
    assert calls[0][-2:] == ["python3-kubernetes", "python3-passlib"]
    assert state["packages"]["python3-kubernetes"]["installed"] and not state["packages"]["python3-passlib"]["installed"]
    assert state["commands"] == {
        "helm": {"rc": 0, "stdout": "v3.16.4", "stderr": "WARNING: kubeconfig is group-readable"},
        "missing": {"rc": 127, "stdout": "", "stderr": "No such file or directory: '/nope'"}}
    assert state["version"] == "" and state["units"] == {}


def test_dpkg_query_runs_for_real_where_dpkg_is():
    import shutil
    import pytest
    if not shutil.which("dpkg-query"):
        pytest.skip("no dpkg-query here")
    state = kn.node_state("", [], [], [], packages=["dpkg", "no-such-package-vj"])
    assert state["packages"]["dpkg"]["installed"] and state["packages"]["dpkg"]["version"]
    assert state["packages"]["no-such-package-vj"] == {"installed": False, "version": ""}
