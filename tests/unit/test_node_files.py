"""Unit tests: module_utils/node_files (copy_files puts transferred files in place, root's) and the module's
input checks. Real files as root; the transfer itself is Ansible's (the action plugin), exercised by molecule k3s."""
import hashlib
import os

import pytest

from ansible_collections.versatile.jupyter.plugins.module_utils.node_files import converge_copies
from ansible_collections.versatile.jupyter.plugins.modules.copy_files import entry_problems

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="the module makes root-owned files; run as root (as CI does)")


def staged_copy(folder, name, content):
    """A file as the action plugin leaves it in the task's temporary folder, and its entry."""
    staged = folder / ("staged-" + name)
    staged.write_bytes(content)
    return staged, hashlib.sha256(content).hexdigest()


def entry(dest, sha256, staged=None, mode="0644"):
    return {"dest": str(dest), "sha256": sha256, "staged": str(staged) if staged else None, "mode": mode}


def test_copies_into_missing_folders_root_owned(tmp_path):
    staged, sha = staged_copy(tmp_path, "k3s", b"#!/bin/sh\necho k3s\n")
    dest = tmp_path / "usr" / "local" / "bin" / "k3s"
    copied, diffs = converge_copies([entry(dest, sha, staged, "0755")], 0o755, check_mode=False)
    assert copied == [str(dest)]
    assert dest.read_bytes() == b"#!/bin/sh\necho k3s\n"
    st = os.stat(dest)
    assert (st.st_mode & 0o7777, st.st_uid, st.st_gid) == (0o755, 0, 0)
    assert os.stat(dest.parent).st_mode & 0o7777 == 0o755
    assert os.listdir(dest.parent) == ["k3s"]  # no temporary file left beside it
    assert not staged.exists()
    assert diffs[0]["before"] == "" and sha in diffs[0]["after"]


def test_nothing_to_do_when_content_mode_and_owner_match(tmp_path):
    dest = tmp_path / "install.sh"
    staged, sha = staged_copy(tmp_path, "a", b"script\n")
    converge_copies([entry(dest, sha, staged, "0755")], 0o755, check_mode=False)
    again, _ = staged_copy(tmp_path, "b", b"script\n")
    assert converge_copies([entry(dest, sha, again, "0755")], 0o755, check_mode=False) == ([], [])
    assert not again.exists()  # the transferred copy that was not needed is removed


def test_mode_drift_is_mended(tmp_path):
    dest = tmp_path / "install.sh"
    staged, sha = staged_copy(tmp_path, "a", b"script\n")
    converge_copies([entry(dest, sha, staged, "0755")], 0o755, check_mode=False)
    os.chmod(dest, 0o777)
    again, _ = staged_copy(tmp_path, "b", b"script\n")
    assert converge_copies([entry(dest, sha, again, "0755")], 0o755, check_mode=False)[0] == [str(dest)]
    assert os.stat(dest).st_mode & 0o7777 == 0o755


def test_check_mode_reports_without_writing(tmp_path):
    dest = tmp_path / "images" / "k3s-airgap-images-amd64.tar.zst"
    sha = hashlib.sha256(b"images").hexdigest()
    copied, diffs = converge_copies([entry(dest, sha)], 0o755, check_mode=True)
    assert copied == [str(dest)] and not dest.parent.exists()


def test_a_copy_that_arrived_altered_is_refused_and_the_old_file_kept(tmp_path):
    dest = tmp_path / "k3s"
    dest.write_bytes(b"old\n")
    staged, _ = staged_copy(tmp_path, "k3s", b"truncat")
    with pytest.raises(ValueError, match="arrived with sha256"):
        converge_copies([entry(dest, hashlib.sha256(b"truncated\n").hexdigest(), staged)], 0o755, check_mode=False)
    assert dest.read_bytes() == b"old\n"


def test_entry_problems_name_the_file():
    problems = entry_problems([entry("/usr/local/bin/k3s", None, None, "0755"), entry("/x", "a" * 64, "/t", "rwx")],
                              check_mode=False)
    assert problems == [
        "/usr/local/bin/k3s: no sha256 (the action plugin gives it; run this module as a task)",
        "/usr/local/bin/k3s: nothing was transferred (the action plugin does it; run this module as a task)",
        "/x: mode 'rwx' is not an octal file mode such as \"0644\""]
