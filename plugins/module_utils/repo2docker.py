# -*- coding: utf-8 -*-
# Copyright (c) versatile.jupyter contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The build decision for one image: resolve the ref, name the image, look for it, build and push it only when
it is missing (``ensure_image``, one result dict; ``target_image`` names the image).

The pieces it puts together, each in its own file: repo2docker_git (refs and checkout), repo2docker_registry
(manifest digests, push credentials), repo2docker_engine (the Docker API through the Docker SDK),
repo2docker_command (running commands, the repo2docker command line), image_ref (parsing references),
binder_names (BinderHub's names). The list form (``images``) is repo2docker_images.

Plain functions, no Ansible import: used by the module versatile.jupyter.repo2docker_image, unit-tested in
tests/unit/test_repo2docker.py, and end to end in tests/integration/test_repo2docker_image*.py.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import shutil
import tempfile

from ansible_collections.versatile.jupyter.plugins.module_utils.binder_names import (
    binder_image_name,
    validate_image_prefix,
)
from ansible_collections.versatile.jupyter.plugins.module_utils.image_ref import image_reference_problems, parse_image
from ansible_collections.versatile.jupyter.plugins.module_utils.repo2docker_command import (
    LOG_TAIL_LINES,
    build_argv,
    build_labels,
    repo2docker_command,
    run,
    tail,
    target_repo_dir_error,
)
from ansible_collections.versatile.jupyter.plugins.module_utils.repo2docker_engine import (
    engine_image,
    engine_ping,
    find_engine_host,
)
from ansible_collections.versatile.jupyter.plugins.module_utils.repo2docker_errors import Repo2DockerError
from ansible_collections.versatile.jupyter.plugins.module_utils.repo2docker_git import checkout, resolve_ref
from ansible_collections.versatile.jupyter.plugins.module_utils.repo2docker_registry import (
    registry_manifest,
    write_docker_config,
)

SUMMARY_KEYS = ("image", "name", "tag", "digest", "resolved_ref", "built")


def target_image(resolved_ref, repo, image_name=None, image_prefix=None, binder_provider="auto"):
    """The full image reference to build: an explicit name (the resolved ref is its tag unless it has
    one), or BinderHub's name under ``image_prefix``."""
    if bool(image_name) == bool(image_prefix):
        raise Repo2DockerError("bad_input", "set exactly one of image_name and image_prefix")
    if image_prefix:
        problems = validate_image_prefix(image_prefix)
        if problems:
            raise Repo2DockerError("bad_input", "; ".join(problems))
        try:
            image = binder_image_name(image_prefix, repo, resolved_ref, binder_provider)
        except ValueError as exc:
            raise Repo2DockerError("bad_input", str(exc))
    else:
        if image_name != image_name.lower() or " " in image_name:
            raise Repo2DockerError("bad_input", "image_name %r must be lower case without spaces" % image_name)
        if "@" in image_name:
            raise Repo2DockerError("bad_input", "image_name %r must not carry a digest" % image_name)
        image = image_name if parse_image(image_name).tag else "%s:%s" % (image_name, resolved_ref)
    problems = image_reference_problems(image)
    if problems:
        raise Repo2DockerError("bad_input", "; ".join(problems))
    return image


def ensure_image(params, check_mode=False, runner=run):
    """Build ``params['repo']`` at ``params['ref']`` unless its image exists. Returns the result dict.

    params: repo, ref, image_name | image_prefix, binder_provider, push, force, registry_url,
    registry_username, registry_password, registry_insecure, engine_host, user_id, user_name, labels,
    target_repo_dir, extra_args, repo2docker_command, build_timeout, log_lines.
    """
    repo = params["repo"]
    problem = target_repo_dir_error(params.get("target_repo_dir"))
    if problem:
        raise Repo2DockerError("bad_input", problem)
    ref = params.get("ref") or "HEAD"
    # Bad naming input fails before any network or git call (a placeholder commit stands in for the tag).
    target_image("0" * 40, repo, params.get("image_name"), params.get("image_prefix"),
                 params.get("binder_provider") or "auto")
    resolved = resolve_ref(repo, ref, runner)
    image = target_image(resolved, repo, params.get("image_name"), params.get("image_prefix"),
                         params.get("binder_provider") or "auto")
    ref_parts = parse_image(image)
    push = bool(params.get("push"))
    username = params.get("registry_username")
    password = params.get("registry_password")
    result = {"image": image, "name": ref_parts.name, "tag": ref_parts.tag,
              "resolved_ref": resolved, "digest": None, "image_id": None, "built": False, "pushed": False,
              "exists": False, "checked": "registry" if push else "engine"}

    def registry_digest():
        return registry_manifest(image, username, password, params.get("registry_insecure", False),
                                 params.get("registry_url"))

    engine_host = None
    if push:
        digest = registry_digest()
        result["exists"] = digest is not None
        result["digest"] = digest
    else:
        engine_host = find_engine_host(params.get("engine_host"))
        found = engine_image(engine_host, image)
        result["exists"] = found is not None
        if found:
            result["image_id"] = found["Id"]
            result["digest"] = found["Id"]

    result["changed"] = bool(params.get("force")) or not result["exists"]
    if not result["changed"] or check_mode:
        return with_summary(result)

    engine_host = engine_host or find_engine_host(params.get("engine_host"))
    engine_ping(engine_host)
    workdir = tempfile.mkdtemp(prefix="vj-repo2docker-")
    try:
        os.chmod(workdir, 0o700)
        source = os.path.join(workdir, "src")
        checkout(repo, resolved, source, runner)
        env = {"DOCKER_HOST": engine_host}
        if push and username:
            env["DOCKER_CONFIG"] = write_docker_config(workdir, ref_parts.registry, username, password)
        argv = build_argv(
            repo2docker_command(params.get("repo2docker_command")), source,
            image=image, user_id=params.get("user_id", 1000), user_name=params.get("user_name", "jovyan"),
            labels=build_labels(repo, ref, resolved, params.get("labels")), push=push,
            target_repo_dir=params.get("target_repo_dir"), extra_args=params.get("extra_args"))
        result["cmd"] = argv
        rc, out, err = runner(argv, env=env, cwd=workdir, timeout=params.get("build_timeout") or 3600)
        if rc != 0:
            raise Repo2DockerError(
                "build_failed", "repo2docker failed (exit %s) building %s" % (rc, image),
                tail(out + "\n" + err, params.get("log_lines") or LOG_TAIL_LINES, (password,)))
    finally:
        shutil.rmtree(workdir, ignore_errors=True)

    result["built"] = True
    found = engine_image(engine_host, image)
    if found is None:
        raise Repo2DockerError("build_failed", "repo2docker reported success but the engine has no image %s" % image)
    result["image_id"] = found["Id"]
    result["digest"] = found["Id"]
    if push:
        digest = registry_digest()
        if digest is None:
            raise Repo2DockerError("build_failed", "the push of %s did not reach the registry" % image)
        result["digest"] = digest
        result["pushed"] = True
    return with_summary(result)


def with_summary(result):
    """Add ``summary``: the keys a hub needs (image, name, tag, digest, resolved_ref, built)."""
    result["summary"] = dict((key, result.get(key)) for key in SUMMARY_KEYS)
    return result
