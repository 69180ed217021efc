#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) versatile.jupyter contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: repo2docker_image
short_description: Build a git repository into a Jupyter image with repo2docker, once per commit
version_added: "0.1.0"
description:
  - Resolves O(ref) of O(repo) to a commit, names the image (O(image_name), or from O(image_prefix)
    exactly as BinderHub names it), and builds it with repo2docker only when the image does not exist
    yet; in the registry when O(push=true), otherwise in the local engine.
  - The image runs as a non-root user (O(user_id), O(user_name)) and carries labels that record the
    repository and the commit.
  - Runs repo2docker as a command line (the C(repo2docker) executable or C(python -m repo2docker)) against
    a Docker API (docker, or podman's compatible socket C(podman system service)).
  - Registry credentials go to repo2docker only through a private, temporary Docker config file; they are
    never on a command line or in the module's output.
  - With O(images), one task handles a list of images, the task's options being every item's defaults. The
    existence checks of all items run side by side in one module run, then the missing images are built one at
    a time. Ten images that exist cost one module run, not ten.
author:
  - versatile.jupyter developers (@versatile)
requirements:
  - git on the host that builds
  - jupyter-repo2docker (2024.07.0 is the version tested; it talks to the Docker API without buildx)
  - a Docker API socket (docker, or podman with C(podman system service))
  - the Docker SDK for Python (C(docker), which repo2docker depends on; Debian's C(python3-docker)) for the Python
    that runs the module, when it asks the engine (O(push=false), and every build); checking pushed images in their
    registry needs no engine
options:
  repo:
    description:
      - Git repository URL (https, ssh, git, file) or a local path to a git repository.
      - Exactly one of O(repo) and O(images).
    type: str
  images:
    description:
      - Several images in one task, instead of O(repo). Each item is a mapping with O(repo) and optionally
        C(name) (a key of your own, returned as C(item_name) in RV(images); unique), O(ref), O(image_name) or
        O(image_prefix), O(binder_provider), O(push), O(force), O(labels), O(target_repo_dir), O(extra_args).
      - What an item does not set comes from the task's options. An item's own O(image_name) or O(image_prefix)
        replaces the task's naming.
      - The registry credentials, engine, user, command and timeouts are the task's only; an item that carries
        C(registry_username) or C(registry_password) is refused.
      - Every item is checked before anything runs; the errors name the item (index and name) and the key.
    type: list
    elements: raw
  ref:
    description:
      - Branch, tag or commit to build. Remote repositories resolve names with C(git ls-remote) and take
        full 40-hex shas as they are; local paths also accept short shas and expressions.
    type: str
    default: HEAD
  image_name:
    description:
      - Full image name, for example C(registry.example.org/lab/physics). Without a tag the resolved
        commit sha becomes the tag; with a tag that tag is used as is (and a new commit does not rebuild).
      - Exactly one of O(image_name) and O(image_prefix). With O(images), on each item, or O(image_prefix) here
        for every item.
    type: str
  image_prefix:
    description:
      - BinderHub's C(image_prefix) with a project level, for example C(registry.example.org/binder/prod-).
        The image is named as BinderHub would name it (escaped build slug, short hash, resolved ref as tag,
        lower case), so a BinderHub that shares the registry finds it.
    type: str
  binder_provider:
    description:
      - Whose naming rules make the build slug when O(image_prefix) is set, as BinderHub's repository
        providers do. V(auto) picks V(gh) for github.com, V(gl) for gitlab.com, V(gist) for
        gist.github.com and V(git) for any other URL or path.
    type: str
    choices: [auto, gh, gl, gist, git]
    default: auto
  push:
    description:
      - Push the image to its registry after the build. The existence check then asks the registry.
    type: bool
    default: false
  force:
    description:
      - Build (and push) even when the image exists.
    type: bool
    default: false
  registry_url:
    description:
      - Registry API base URL, for example C(https://registry.example.org). Default is taken from the
        image name (Docker Hub for names without a registry host).
    type: str
  registry_username:
    description:
      - User for the registry (basic auth, or the token service of the bearer-token flow).
    type: str
  registry_password:
    description:
      - Password or token for O(registry_username).
    type: str
  registry_insecure:
    description:
      - Talk to the registry over plain http. The engine must trust it too (docker's C(insecure-registries),
        podman's C(registries.conf) C(insecure = true)).
    type: bool
    default: false
  engine_host:
    description:
      - Docker API address, for example C(unix:///run/podman/podman.sock). Default is C(DOCKER_HOST), then
        C(/var/run/docker.sock), then C(/run/podman/podman.sock).
    type: str
  user_id:
    description:
      - Uid of the image's user (repo2docker refuses to build root images).
    type: int
    default: 1000
  user_name:
    description:
      - Name of the image's user.
    type: str
    default: jovyan
  labels:
    description:
      - Extra image labels.
    type: dict
    default: {}
  target_repo_dir:
    description:
      - Folder in the image where repo2docker copies the repository and runs its build steps
        (C(repo2docker --target-repo-dir)), and the image's working folder. Default is the user's home.
      - A hub that mounts persistent homes at C(/home/jovyan) hides whatever the image has there (binderhub
        issue 377); an image built with for example C(/srv/repo) keeps its repository visible under a home volume.
      - A repository with its own C(Dockerfile) receives it as the build argument C(REPO_DIR) only.
      - "An absolute path. Changing it does not rebuild a commit whose image exists: set O(force)."
    type: str
  extra_args:
    description:
      - Extra repo2docker arguments, placed before the repository, for example C([--appendix, "RUN ..."]).
    type: list
    elements: str
    default: []
  repo2docker_command:
    description:
      - Command that runs repo2docker, as a list. Default is the C(repo2docker) executable next to the
        module's Python or on C(PATH), else C(python -m repo2docker).
    type: list
    elements: str
  build_timeout:
    description:
      - Seconds a build (with its push) may take.
    type: int
    default: 3600
  log_lines:
    description:
      - Lines of the build log returned when a build fails.
    type: int
    default: 40
notes:
  - Check mode resolves the ref and looks for the image, and reports whether a build would happen (for
    O(images), changed when any item would build).
  - With O(image_prefix), the tag is the resolved commit sha. For annotated tags the commit is used (BinderHub's
    generic C(git) provider would use the tag object's sha).
seealso:
  - name: BinderHub image names
    description: How BinderHub names images (binderhub/builder.py).
    link: https://github.com/jupyterhub/binderhub/blob/main/binderhub/builder.py
"""

EXAMPLES = r"""
- name: Build the physics environment into the cluster registry, named as BinderHub would
  versatile.jupyter.repo2docker_image:
    repo: https://github.com/lab/physics-env
    ref: main
    image_prefix: registry.lab.example.org/binder/prod-
    push: true
    registry_username: builder
    registry_password: "{{ vault_registry_password }}"
  register: physics_image

- name: Build every course environment that does not exist yet, in one task
  versatile.jupyter.repo2docker_image:
    image_prefix: registry.lab.example.org/binder/courses-
    push: true
    registry_username: builder
    registry_password: "{{ vault_registry_password }}"
    images:
      - {name: physics, repo: https://github.com/lab/physics-env, ref: main}
      - {name: chemistry, repo: https://github.com/lab/chemistry-env, ref: "2026.11"}
      - {name: local, repo: /srv/envs/local, image_name: registry.lab.example.org/hub/local, push: true}
  register: course_images
# course_images.images[0].image is physics' reference; course_images.images[1].built whether it was built.

- name: Build a local repository into the local engine only
  versatile.jupyter.repo2docker_image:
    repo: /srv/envs/course-2026
    image_name: localhost/course
    engine_host: unix:///run/podman/podman.sock
"""

RETURN = r"""
images:
  description:
    - With O(images), one result per item in the items' order, each with the keys below for one image
      (RV(image), RV(name), RV(tag), RV(resolved_ref), RV(digest), RV(image_id), RV(built), RV(pushed),
      RV(exists), RV(checked), RV(summary), RV(cmd) when built), plus C(index), C(item_name) (the item's
      C(name)) and C(changed); a failed item has C(failed), C(msg), C(error_kind) and C(log_tail) instead.
    - The single-image keys below are not returned at the top level then.
  returned: when O(images) is set
  type: list
  elements: dict
image:
  description: Full image reference (name and tag).
  returned: when O(repo) is set
  type: str
  sample: registry.lab.example.org/binder/prod-lab-2dphysics-2denv-5d3f2a:0123456789abcdef0123456789abcdef01234567
name:
  description: Image name without the tag (for C(singleuser.image.name)).
  returned: when O(repo) is set
  type: str
tag:
  description: Image tag (for C(singleuser.image.tag)).
  returned: when O(repo) is set
  type: str
resolved_ref:
  description: The commit sha that O(ref) resolved to.
  returned: when O(repo) is set
  type: str
digest:
  description: Registry manifest digest when O(push=true), else the engine's image id; null when unknown.
  returned: when O(repo) is set
  type: str
image_id:
  description: The engine's image id, when the image is in the local engine.
  returned: when O(repo) is set
  type: str
built:
  description: Whether repo2docker built the image in this run.
  returned: when O(repo) is set
  type: bool
pushed:
  description: Whether the image was pushed in this run.
  returned: when O(repo) is set
  type: bool
exists:
  description: Whether the image existed before this run (where RV(checked) says).
  returned: when O(repo) is set
  type: bool
checked:
  description: Where existence was checked, V(registry) or V(engine).
  returned: when O(repo) is set
  type: str
summary:
  description: The keys a hub needs, as one dict (image, name, tag, digest, resolved_ref, built).
  returned: when O(repo) is set
  type: dict
cmd:
  description: The repo2docker command line that ran (it never holds credentials).
  returned: when O(repo) is set and the image was built
  type: list
  elements: str
log_tail:
  description: Last lines of the build log (for O(images), of the first failed item).
  returned: on build failure
  type: list
  elements: str
error_kind:
  description: >-
    What failed: unreachable, ref_not_found, no_engine, registry_unreachable, credentials_refused,
    build_failed, bad_input.
  returned: on failure
  type: str
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.versatile.jupyter.plugins.module_utils.repo2docker import ensure_image
from ansible_collections.versatile.jupyter.plugins.module_utils.repo2docker_errors import Repo2DockerError
from ansible_collections.versatile.jupyter.plugins.module_utils.repo2docker_images import ensure_images

# The task's own options: not passed on to an item.
TASK_ONLY = ("images",)


def main():
    module = AnsibleModule(
        argument_spec=dict(
            repo=dict(type="str"),
            images=dict(type="list", elements="raw"),
            ref=dict(type="str", default="HEAD"),
            image_name=dict(type="str"),
            image_prefix=dict(type="str"),
            binder_provider=dict(type="str", default="auto", choices=["auto", "gh", "gl", "gist", "git"]),
            push=dict(type="bool", default=False),
            force=dict(type="bool", default=False),
            registry_url=dict(type="str"),
            registry_username=dict(type="str"),
            registry_password=dict(type="str", no_log=True),
            registry_insecure=dict(type="bool", default=False),
            engine_host=dict(type="str"),
            user_id=dict(type="int", default=1000),
            user_name=dict(type="str", default="jovyan"),
            labels=dict(type="dict", default={}),
            target_repo_dir=dict(type="str"),
            extra_args=dict(type="list", elements="str", default=[]),
            repo2docker_command=dict(type="list", elements="str"),
            build_timeout=dict(type="int", default=3600),
            log_lines=dict(type="int", default=40),
        ),
        mutually_exclusive=[("image_name", "image_prefix"), ("repo", "images")],
        required_one_of=[("repo", "images")],
        required_together=[("registry_username", "registry_password")],
        supports_check_mode=True,
    )
    if module.params["user_id"] == 0 or module.params["user_name"] == "root":
        module.fail_json(msg="user_id/user_name: repo2docker images run as a non-root user (default 1000/jovyan)",
                         error_kind="bad_input")
    if module.params["images"] is not None:
        run_list(module)
    if not (module.params["image_name"] or module.params["image_prefix"]):
        module.fail_json(msg="set exactly one of image_name and image_prefix", error_kind="bad_input")
    try:
        result = ensure_image(module.params, check_mode=module.check_mode)
    except Repo2DockerError as exc:
        module.fail_json(msg=exc.message, error_kind=exc.kind, log_tail=exc.log_tail)
    if module._diff:
        result["diff"] = {
            "before": {"image": result["image"], "present": result["exists"]},
            "after": {"image": result["image"], "present": True,
                      "rebuilt": result["changed"]},
        }
    module.exit_json(**result)


def run_list(module):
    """The O(images) form: every item checked first, then one result per item."""
    defaults = dict((key, value) for key, value in module.params.items() if key not in TASK_ONLY)
    try:
        results, failures = ensure_images(module.params["images"], defaults, check_mode=module.check_mode)
    except Repo2DockerError as exc:
        module.fail_json(msg=exc.message, error_kind=exc.kind, images=[])
    changed = any(result["changed"] for result in results)
    extra = {}
    if module._diff:
        extra["diff"] = {
            "before": {"images": [{"image": r.get("image"), "present": r.get("exists")} for r in results]},
            "after": {"images": [{"image": r.get("image"), "present": not r.get("failed"),
                                  "rebuilt": r["changed"]} for r in results]},
        }
    if failures:
        message = "%d of %d images failed: %s" % (len(failures), len(results), "; ".join(f["msg"] for f in failures))
        module.fail_json(msg=message,
                         error_kind=failures[0]["error_kind"], log_tail=failures[0]["log_tail"],
                         images=results, changed=changed, **extra)
    module.exit_json(changed=changed, images=results, **extra)


if __name__ == "__main__":
    main()
