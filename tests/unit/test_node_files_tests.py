"""Unit tests: the Jinja tests that compare k3s_node_info's answer with what a role would write."""
import hashlib

from ansible_collections.versatile.jupyter.plugins.test.node_files import file_holds, root_folder, same_file

CONTENT = "kind: ClusterIssuer\n"
SHA = hashlib.sha256(CONTENT.encode()).hexdigest()


def test_same_file_only_when_content_mode_and_owner_match():
    state = {"exists": True, "sha256": SHA, "mode": "0600", "uid": 0, "gid": 0}
    assert same_file(state, CONTENT, "0600")
    assert not same_file(dict(state, sha256="0" * 64), CONTENT, "0600")
    assert not same_file(state, CONTENT, "0644")
    assert not same_file(dict(state, uid=1000), CONTENT, "0600")
    assert not same_file(dict(state, gid=4), CONTENT, "0600")
    assert not same_file({"exists": False, "sha256": "", "mode": "", "uid": -1, "gid": -1}, CONTENT, "0600")


def test_same_file_hashes_utf8():
    text = "name: Zoë\n"
    state = {"exists": True, "sha256": hashlib.sha256(text.encode("utf-8")).hexdigest(), "mode": "0600",
             "uid": 0, "gid": 0}
    assert same_file(state, text, "0600")


def test_root_folder():
    state = {"exists": True, "entries": [], "mode": "0700", "uid": 0, "gid": 0}
    assert root_folder(state, "0700")
    assert not root_folder(state, "0755")
    assert not root_folder(dict(state, uid=1), "0700")
    assert not root_folder({"exists": False, "entries": [], "mode": "", "uid": -1, "gid": -1}, "0700")


def test_file_holds_only_when_sha256_mode_and_owner_match():
    digest = hashlib.sha256(b"K10abc::server:secret\n").hexdigest()
    state = {"exists": True, "sha256": digest, "mode": "0600", "uid": 0, "gid": 4}
    assert file_holds(state, digest, "0600")
    assert not file_holds(state, "0" * 64, "0600")
    assert not file_holds(state, digest, "0644")
    assert not file_holds(dict(state, uid=1000), digest, "0600")
    assert not file_holds(dict(state, exists=False), digest, "0600")
    # An empty sha256 (the cluster's token not seen) never matches, not even a file reported without one.
    assert not file_holds(dict(state, sha256=""), "", "0600")
    assert not file_holds({}, digest, "0600")
