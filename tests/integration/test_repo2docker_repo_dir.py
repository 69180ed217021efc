"""repo2docker_image's target_repo_dir against the real parts (repo2docker 2024.07.0 building through podman's
Docker-compatible API, as tests/integration/test_repo2docker_image.py does): binderhub#377, a home volume at
/home/jovyan hides the repository repo2docker copied there; built with target_repo_dir the repository stays
visible under such a volume, and the image starts in it.

The build is offline, so the repository brings its own Dockerfile (repo2docker's build packs need the
internet): repo2docker hands --target-repo-dir to a Dockerfile as the build argument REPO_DIR, and this one
uses it as repo2docker's own build packs do (copy the repository there, make it the working folder).
"""
import os
import sys

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "fixtures", "repo2docker"))
import repo2docker_env as env  # noqa: E402

from ansible_collections.versatile.jupyter.plugins.module_utils import repo2docker as r2d  # noqa: E402

pytestmark = pytest.mark.skipif(bool(env.missing_parts()), reason="; ".join(env.missing_parts()))

IMAGE = "localhost/vj-r2d-repodir-%d" % os.getpid()
REPO_DIR = "/srv/repo"
# The image has a shell and nothing else (tests/fixtures/repo2docker/base): listing is done with shell globs.
DOCKERFILE = """\
FROM {base}
ARG NB_USER=jovyan
ARG NB_UID=1000
ARG REPO_DIR=/home/${NB_USER}
RUN echo "${NB_USER}:x:${NB_UID}:${NB_UID}::/home/${NB_USER}:/bin/sh" >> /etc/passwd && \\
    echo "${NB_USER}:x:${NB_UID}:" >> /etc/group
COPY --chown=${NB_UID}:${NB_UID} . ${REPO_DIR}/
USER ${NB_USER}
WORKDIR ${REPO_DIR}
"""
LIST = 'pwd; for f in {dir}/* {dir}/.[!.]*; do [ -e "$f" ] && echo "$f"; done; echo end'


@pytest.fixture(scope="module")
def engine():
    service = env.PodmanService()
    yield service
    service.remove_images(IMAGE)
    service.stop()


@pytest.fixture
def analysis_repo(tmp_path):
    path = str(tmp_path / "analysis.git")
    env.make_env_repo(path, dockerfile=DOCKERFILE)
    sha = env.new_commit(path, "the analysis notebook")      # notes.txt
    return {"path": path, "sha": sha}


def run_listing(engine, image, home, folder):
    """What a container of ``image`` sees in ``folder`` with ``home`` mounted over /home/jovyan."""
    out = engine.podman("run", "--rm", "--network", "none", "-v", "%s:/home/jovyan" % home, image,
                        "/bin/sh", "-c", LIST.format(dir=folder)).stdout.decode().split()
    assert out[-1] == "end", out
    return out[0], sorted(os.path.basename(p) for p in out[1:-1])


def test_repository_outside_the_home_stays_visible_under_a_home_volume(engine, analysis_repo, tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    (home / "kept.txt").write_text("the user's own file\n")
    os.chmod(home, 0o777)
    repository = [".git", "Dockerfile", "README.md", "notes.txt"]   # the checkout, git folder included

    built = r2d.ensure_image({"repo": analysis_repo["path"], "ref": "main", "image_name": IMAGE + "-srv",
                              "engine_host": engine.host, "target_repo_dir": REPO_DIR})
    assert built["built"] is True
    assert built["cmd"][built["cmd"].index("--target-repo-dir") + 1] == REPO_DIR
    workdir = engine.podman("image", "inspect", "--format", "{{.Config.WorkingDir}}", built["image"])
    assert workdir.stdout.decode().strip() == REPO_DIR

    cwd, files = run_listing(engine, built["image"], home, REPO_DIR)
    assert cwd == REPO_DIR and files == repository
    cwd, files = run_listing(engine, built["image"], home, "/home/jovyan")
    assert files == ["kept.txt"]           # the home volume is the user's, the repository is beside it

    # The same repository built with repo2docker's default: the home volume hides it (binderhub#377).
    default = r2d.ensure_image({"repo": analysis_repo["path"], "ref": "main", "image_name": IMAGE + "-home",
                                "engine_host": engine.host})
    assert "--target-repo-dir" not in default["cmd"]
    cwd, files = run_listing(engine, default["image"], home, "/home/jovyan")
    assert cwd == "/home/jovyan" and files == ["kept.txt"]
    unmounted = engine.podman("run", "--rm", "--network", "none", default["image"], "/bin/sh", "-c",
                              LIST.format(dir="/home/jovyan")).stdout.decode().split()
    assert sorted(os.path.basename(p) for p in unmounted[1:-1]) == repository   # there without the volume
