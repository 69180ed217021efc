"""plugins/module_utils/repo2docker_command.py: the repo2docker command line (described once), its labels, where
repo2docker is found, and log tails without secrets."""
from ansible_collections.versatile.jupyter.plugins.module_utils import repo2docker_command as r2d_cmd
from repo2docker_fixtures import SHA


def test_build_argv_is_described_once():
    argv = r2d_cmd.build_argv(["repo2docker"], "/tmp/src", image="r/p/x:t", user_id=1000, user_name="jovyan",
                              labels={"b": "2", "a": "1"}, push=True, extra_args=["--appendix", "RUN true"])
    assert argv == ["repo2docker", "--no-run", "--image-name", "r/p/x:t", "--user-id", "1000",
                    "--user-name", "jovyan", "--label", "a=1", "--label", "b=2", "--push",
                    "--appendix", "RUN true", "/tmp/src"]
    assert "--push" not in r2d_cmd.build_argv(["r2d"], "/s", image="x:y", push=False)
    assert r2d_cmd.build_argv(["r2d"], "/s", image="x:y", target_repo_dir="/srv/repo")[-3:] == [
        "--target-repo-dir", "/srv/repo", "/s"]
    assert "--target-repo-dir" not in r2d_cmd.build_argv(["r2d"], "/s", image="x:y", target_repo_dir="")


def test_build_labels_record_repo_and_commit():
    labels = r2d_cmd.build_labels("https://h/x.git", "main", SHA, {"team": "physics"})
    assert labels["repo2docker.repo"] == "https://h/x.git" and labels["repo2docker.ref"] == SHA
    assert labels["org.opencontainers.image.revision"] == SHA and labels["team"] == "physics"


def test_repo2docker_command_resolution(monkeypatch):
    assert r2d_cmd.repo2docker_command(["python3", "-m", "repo2docker"]) == ["python3", "-m", "repo2docker"]
    monkeypatch.setattr(r2d_cmd.sys, "executable", "/nonexistent/bin/python")
    assert r2d_cmd.repo2docker_command(which=lambda name: "/usr/bin/repo2docker") == ["/usr/bin/repo2docker"]
    assert r2d_cmd.repo2docker_command(which=lambda name: None) == ["/nonexistent/bin/python", "-m", "repo2docker"]


def test_tail_hides_secrets():
    text = "\n".join("line %d" % i for i in range(100)) + "\npassword s3cret leaked\n"
    out = r2d_cmd.tail(text, 5, ("s3cret",))
    assert out == ["line 96", "line 97", "line 98", "line 99", "password ******** leaked"]
