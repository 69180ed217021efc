"""plugins/module_utils/image_ref.py: the collection's one image-reference parser (registry host, repository,
tag, digest), the registry-host rule, lower-casing a path for a suggestion, and reference validation."""
import pytest

from ansible_collections.versatile.jupyter.plugins.module_utils.image_ref import (
    ImageRef,
    image_reference_problems,
    lower_path,
    parse_image,
)

SHA = "0123456789abcdef0123456789abcdef01234567"


@pytest.mark.parametrize("image,parts", [
    ("127.0.0.1:5000/p/x:abc", ("127.0.0.1:5000", "p/x", "abc")),
    ("registry.example.org/p/x", ("registry.example.org", "p/x", None)),
    ("jupyter/base-notebook:2024", (None, "jupyter/base-notebook", "2024")),
    ("localhost/course", ("localhost", "course", None)),
])
def test_parse_image(image, parts):
    assert parse_image(image)[:3] == parts


@pytest.mark.parametrize("image,ref", [
    ("quay.io/lab/physics:2026.11@sha256:" + "a" * 64,
     ImageRef("quay.io", "lab/physics", "2026.11", "sha256:" + "a" * 64)),
    ("registry:5000/lab/img", ImageRef("registry:5000", "lab/img", None, None)),
    ("jupyter/base@sha256:" + "b" * 64, ImageRef(None, "jupyter/base", None, "sha256:" + "b" * 64)),
])
def test_parse_image_digest_and_port(image, ref):
    assert parse_image(image) == ref


@pytest.mark.parametrize("image,name,hub", [
    ("127.0.0.1:5000/p/x:abc", "127.0.0.1:5000/p/x", False),
    ("jupyter/base-notebook:2024", "jupyter/base-notebook", True),
    ("docker.io/library/python:3", "docker.io/library/python", True),
    ("localhost/course", "localhost/course", False),
])
def test_name_and_docker_hub(image, name, hub):
    assert parse_image(image).name == name and parse_image(image).docker_hub is hub


@pytest.mark.parametrize("ref,lowered", [
    ("Registry.Example.org/Lab/Physics:V1", "Registry.Example.org/lab/physics:v1"),
    ("Jupyter/Base", "jupyter/base"),
    ("10.0.0.10:30500/Binder/Hub-", "10.0.0.10:30500/binder/hub-"),
])
def test_lower_path_keeps_the_registry_host(ref, lowered):
    assert lower_path(ref) == lowered


@pytest.mark.parametrize("image,valid", [
    ("127.0.0.1:5000/binder/test-file-3a-2f-2f-2fsrv-abc123:" + SHA, True),
    ("localhost/course:v1.0_rc", True),
    ("r.example/p/-leading-dash:x", False),
    ("r.example/p/trailing-:x", False),
    ("r.example/p/x:-bad", False),
])
def test_image_reference_problems(image, valid):
    assert (image_reference_problems(image) == []) is valid


def test_a_digest_is_refused_by_name():
    assert any("digest" in problem for problem in image_reference_problems("r.example/p/x:1@sha256:" + "c" * 64))
