"""Unit tests: module config_files (several small root-owned files in one module run)."""
import os

import pytest

from ansible_collections.versatile.jupyter.plugins.modules.config_files import converge, entry_problems

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="the module makes root-owned files; run as root (as CI does)")


def entry(path, content=None, mode="0600", state="present", secret=False):
    return {"path": str(path), "content": content, "mode": mode, "state": state, "secret": secret}


def test_writes_new_files_and_their_missing_folder(tmp_path):
    folder = tmp_path / "rancher" / "k3s"
    written, removed, diffs = converge(
        [entry(folder / "config.yaml", "node-name: a\n"), entry(folder / "cluster-token", "K10::s3cret\n", secret=True)],
        0o755, check_mode=False)
    assert written == [str(folder / "config.yaml"), str(folder / "cluster-token")] and removed == []
    assert (folder / "config.yaml").read_text() == "node-name: a\n"
    assert (folder / "cluster-token").read_text() == "K10::s3cret\n"
    for path in (folder / "config.yaml", folder / "cluster-token"):
        st = os.stat(path)
        assert (st.st_mode & 0o7777, st.st_uid, st.st_gid) == (0o600, 0, 0)
    assert os.stat(folder).st_mode & 0o7777 == 0o755
    assert sorted(os.listdir(folder)) == ["cluster-token", "config.yaml"]  # no temporary file left
    # The secret never reaches the diff; the other file's content does.
    assert "s3cret" not in repr(diffs)
    assert diffs[0]["after"] == "node-name: a\n"


def test_nothing_to_do_when_content_mode_and_owner_match(tmp_path):
    path = tmp_path / "config.yaml"
    converge([entry(path, "a: 1\n")], 0o755, check_mode=False)
    assert converge([entry(path, "a: 1\n")], 0o755, check_mode=False) == ([], [], [])


def test_rewrites_a_file_whose_mode_or_owner_drifted(tmp_path):
    path = tmp_path / "config.yaml"
    converge([entry(path, "a: 1\n")], 0o755, check_mode=False)
    os.chmod(path, 0o644)
    assert converge([entry(path, "a: 1\n")], 0o755, check_mode=False)[0] == [str(path)]
    assert os.stat(path).st_mode & 0o7777 == 0o600
    os.chown(path, 1000, 1000)
    assert converge([entry(path, "a: 1\n")], 0o755, check_mode=False)[0] == [str(path)]
    assert (os.stat(path).st_uid, os.stat(path).st_gid) == (0, 0)


def test_check_mode_reports_and_changes_nothing(tmp_path):
    path = tmp_path / "config.yaml"
    converge([entry(path, "a: 1\n")], 0o755, check_mode=False)
    written, removed, diffs = converge([entry(path, "a: 2\n"), entry(tmp_path / "registries.yaml", state="absent")],
                                       0o755, check_mode=True)
    assert written == [str(path)] and removed == []
    assert path.read_text() == "a: 1\n"
    assert diffs == [{"before_header": str(path), "after_header": str(path), "before": "a: 1\n", "after": "a: 2\n"}]


def test_removes_a_file_asked_absent(tmp_path):
    path = tmp_path / "registries.yaml"
    converge([entry(path, "configs: {}\n", secret=True)], 0o755, check_mode=False)
    assert converge([entry(path, state="absent", secret=True)], 0o755, check_mode=True)[1] == [str(path)]
    assert path.exists()
    assert converge([entry(path, state="absent", secret=True)], 0o755, check_mode=False)[1] == [str(path)]
    assert not path.exists()


def test_bad_entries_are_named():
    problems = entry_problems([entry("/etc/x", None), entry("/etc/y", "a", mode="rw-r--r--")])
    assert problems == ["/etc/x: content is required unless state is absent",
                        "/etc/y: mode 'rw-r--r--' is not an octal file mode such as \"0600\""]
