"""Image names as BinderHub gives them (binderhub/builder.py + binderhub/repoproviders.py).

The table pins full names; each row was also checked against the real `escapism` package (the escaping
BinderHub uses) by test_matches_escapism_reference below when escapism is installed.
"""
import hashlib
import string

import pytest

from ansible_collections.versatile.jupyter.plugins.module_utils.binder_names import (
    BinderNameError,
    binder_image_name,
    escape,
    provider_slug,
    safe_build_slug,
    validate_image_prefix,
)

SHA = "0123456789abcdef0123456789abcdef01234567"

# (repo, provider slug BinderHub's provider returns, image_prefix, full image name)
TABLE = [
    ("https://github.com/binder-examples/requirements", "binder-examples-requirements",
     "registry.example.org/binder/prod-",
     "registry.example.org/binder/prod-binder-2dexamples-2drequirements-55ab5c:" + SHA),
    # GitHub: a trailing .git is dropped from the repository name.
    ("https://github.com/jupyterhub/zero-to-jupyterhub-k8s.git", "jupyterhub-zero-to-jupyterhub-k8s",
     "registry.example.org/binder/prod-",
     "registry.example.org/binder/prod-jupyterhub-2dzero-2dto-2djupyterhub-2dk8s-b3e028:" + SHA),
    # The hash is taken before lower-casing: case as typed changes the name.
    ("https://github.com/Binder-Examples/Requirements", "Binder-Examples-Requirements",
     "registry.example.org/binder/prod-",
     "registry.example.org/binder/prod-binder-2dexamples-2drequirements-fb3a16:" + SHA),
    # GitLab: '-' becomes '_-' inside each namespace part (binderhub's own test pins this slug);
    # '_' anywhere in the final name (here in the prefix) becomes '-'.
    ("https://gitlab.com/gitlab-org/gitlab-foss", "gitlab_-org-gitlab_-foss",
     "127.0.0.1:5000/binder/ci_",
     "127.0.0.1:5000/binder/ci-gitlab-5f-2dorg-2dgitlab-5f-2dfoss-a53a80:" + SHA),
    ("https://gist.github.com/user/8a3c6e5b3f1d2a", "8a3c6e5b3f1d2a",
     "harbor.lab.example.org/hub/img-",
     "harbor.lab.example.org/hub/img-8a3c6e5b3f1d2a-355d95:" + SHA),
    # Any other git URL: the URL itself is the slug.
    ("https://git.example.org/lab/env.git", "https://git.example.org/lab/env.git",
     "registry.example.org/binder/prod-",
     "registry.example.org/binder/prod-https-3a-2f-2fgit-2eexample-2eorg-2flab-2fenv-2egit-2437ae:" + SHA),
    # scp-like ssh addresses are rewritten to ssh:// first, as GitRepoProvider does.
    ("git@git.example.org:lab/env.git", "ssh://git@git.example.org/lab/env.git",
     "registry.example.org/binder/prod-",
     "registry.example.org/binder/prod-ssh-3a-2f-2fgit-40git-2eexample-2eorg-2flab-2fenv-2egit-e74ecb:" + SHA),
    ("file:///tmp/fixture/env.git", "file:///tmp/fixture/env.git",
     "localhost:5000/test/r2d-",
     "localhost:5000/test/r2d-file-3a-2f-2f-2ftmp-2ffixture-2fenv-2egit-b3baca:" + SHA),
]


@pytest.mark.parametrize("repo,slug,prefix,image", TABLE)
def test_pinned_names(repo, slug, prefix, image):
    assert provider_slug(repo) == slug
    assert binder_image_name(prefix, repo, SHA) == image


@pytest.mark.parametrize("repo,slug,prefix,image", TABLE)
def test_hash_is_sha256_of_raw_slug(repo, slug, prefix, image):
    name = image.rsplit(":", 1)[0]
    assert name.endswith("-" + hashlib.sha256(slug.encode()).hexdigest()[:6])


@pytest.mark.parametrize("repo,slug,prefix,image", TABLE)
def test_matches_escapism_reference(repo, slug, prefix, image):
    """Rebuild each name with the real escapism package, the formula read from binderhub/builder.py."""
    escapism = pytest.importorskip("escapism")
    escaped = escapism.escape(slug, safe=set(string.ascii_letters + string.digits), escape_char="-")
    limit = 255 - len(prefix)
    safe = ("%s-%s" % (escaped[: limit - 7], hashlib.sha256(slug.encode()).hexdigest()[:6])).lower()
    assert ("%s%s:%s" % (prefix, safe, SHA)).replace("_", "-").lower() == image


def test_escape_rules():
    assert escape("a-b_c.d/e:f") == "a-2Db-5Fc-2Ed-2Fe-3Af"
    assert escape("\n") == "-A"          # no zero padding, as escapism
    assert escape("é") == "-C3-A9"       # each UTF-8 byte


def test_long_slug_is_cut_to_255_with_hash_kept():
    repo = "https://git.example.org/" + "x" * 400
    prefix = "registry.example.org/binder/prod-"
    name = binder_image_name(prefix, repo, SHA).rsplit(":", 1)[0]
    assert len(name) == 255
    assert name.endswith("-" + hashlib.sha256(repo.encode()).hexdigest()[:6])


def test_safe_build_slug_never_ends_with_dash():
    # binderhub#: a repository ending in '_' once produced an invalid image name.
    slug = safe_build_slug("user-repo_", limit=255)
    assert slug == "user-2drepo-5f-" + hashlib.sha256(b"user-repo_").hexdigest()[:6]


def test_explicit_provider_for_enterprise_hosts():
    assert provider_slug("https://github.example.org/lab/env", "gh") == "lab-env"
    assert provider_slug("https://gitlab.example.org/a/b-c/d", "gl") == "a-b_-c-d"
    assert provider_slug("https://github.example.org/lab/env", "auto") == "https://github.example.org/lab/env"


@pytest.mark.parametrize("repo,provider", [
    ("https://github.com/onlyuser", "gh"),
    ("/srv/env", "gh"),
    ("https://gitlab.com/x", "gl"),
    ("https://github.com/a/b", "svn"),
])
def test_bad_provider_input(repo, provider):
    with pytest.raises(BinderNameError):
        provider_slug(repo, provider)


@pytest.mark.parametrize("prefix,ok", [
    ("registry.example.org/binder/prod-", True),
    ("127.0.0.1:5000/project/", True),
    ("localhost/p/x-", True),
    ("registry.example.org/prod-", False),     # no project level (binderhub#800)
    ("binder/prod-", False),                   # no registry host
    ("registry.example.org/p/x:tag", False),
    ("", False),
])
def test_validate_image_prefix(prefix, ok):
    assert (validate_image_prefix(prefix) == []) is ok


def test_local_paths_are_named_as_file_urls():
    # BinderHub never sees local paths; naming them as their file:// URL keeps the name valid (a path
    # component cannot start with '-', which an escaped leading '/' would give).
    assert provider_slug("/srv/envs/course.git") == "file:///srv/envs/course.git"
    assert binder_image_name("r.example/p/", "/srv/envs/course.git", SHA) == \
        binder_image_name("r.example/p/", "file:///srv/envs/course.git", SHA)
