"""plugins/module_utils/repo2docker_git.py: ref resolution on real git repositories (local paths and file://
URLs; branches, light and annotated tags, shas, missing refs, unreachable repositories) and the checkout."""
import os

import pytest
from repo2docker_fixtures import git, repo  # noqa: F401  (pytest fixture)

from ansible_collections.versatile.jupyter.plugins.module_utils import repo2docker_git as r2d_git
from ansible_collections.versatile.jupyter.plugins.module_utils.repo2docker_errors import Repo2DockerError


@pytest.mark.parametrize("where", ["path", "url"])
@pytest.mark.parametrize("ref,expect", [("HEAD", "second"), ("main", "second"), ("old", "first"),
                                        ("v1", "first"), ("light", "first")])
def test_resolve_ref(repo, where, ref, expect):
    assert r2d_git.resolve_ref(repo[where], ref) == repo[expect]


def test_annotated_tag_resolves_to_the_commit_not_the_tag_object(repo):
    tag_object = git("rev-parse", "v1", cwd=repo["path"])
    assert tag_object != repo["first"]
    assert r2d_git.resolve_ref(repo["url"], "v1") == repo["first"]


def test_local_paths_take_short_shas_and_expressions(repo):
    assert r2d_git.resolve_ref(repo["path"], repo["first"][:8]) == repo["first"]
    assert r2d_git.resolve_ref(repo["path"], "main~1") == repo["first"]


def test_remote_full_sha_is_taken_as_is(repo):
    assert r2d_git.resolve_ref(repo["url"], repo["first"]) == repo["first"]


@pytest.mark.parametrize("where", ["path", "url"])
def test_ref_not_found(repo, where):
    with pytest.raises(Repo2DockerError) as err:
        r2d_git.resolve_ref(repo[where], "no-such-branch")
    assert err.value.kind == "ref_not_found"
    assert "no-such-branch" in err.value.message


def test_remote_short_sha_gets_a_hint(repo):
    with pytest.raises(Repo2DockerError) as err:
        r2d_git.resolve_ref(repo["url"], repo["first"][:8])
    assert err.value.kind == "ref_not_found" and "full 40-hex" in err.value.message


@pytest.mark.parametrize("source", ["file:///nonexistent/repo.git", "/nonexistent/repo"])
def test_unreachable(source):
    with pytest.raises(Repo2DockerError) as err:
        r2d_git.resolve_ref(source, "main")
    assert err.value.kind == "unreachable"


def test_plain_directory_is_not_a_repository(tmp_path):
    with pytest.raises(Repo2DockerError) as err:
        r2d_git.resolve_ref(str(tmp_path), "HEAD")
    assert err.value.kind == "unreachable" and "not a git repository" in err.value.message


def test_checkout_gets_the_resolved_commit(repo, tmp_path):
    dest = str(tmp_path / "co")
    r2d_git.checkout(repo["url"], repo["first"], dest)
    assert git("rev-parse", "HEAD", cwd=dest) == repo["first"]
    assert not os.path.exists(os.path.join(dest, "README"))


def test_pick_ref_order():
    refs = r2d_git.parse_ls_remote(
        "a" * 40 + "\trefs/tags/main\n" + "b" * 40 + "\trefs/heads/main\n" + "c" * 40 + "\trefs/remotes/o/x\n"
        "not a line\n")
    assert r2d_git.pick_ref(refs, "main") == "b" * 40      # branches before tags, like git
    assert r2d_git.pick_ref(refs, "x") == "c" * 40
    assert r2d_git.pick_ref(refs, "y") is None


@pytest.mark.parametrize("text,local", [("/srv/env", True), ("./env", True), ("~/env", True),
                                        ("https://h/x", False), ("git@h:x.git", False),
                                        ("file:///srv/env", False)])
def test_is_local_repo(text, local):
    assert r2d_git.is_local_repo(text) is local
