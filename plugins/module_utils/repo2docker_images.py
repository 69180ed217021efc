# -*- coding: utf-8 -*-
# Copyright (c) versatile.jupyter contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The list form of repo2docker_image (``images``): every item checked and named by its index before anything
runs (``image_items``), then the build decision (repo2docker.ensure_image) for each: the existence checks side by
side, the builds one at a time (``ensure_images``).

Plain functions, no Ansible import: unit-tested in tests/unit/test_repo2docker_images.py.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import collections
from concurrent.futures import ThreadPoolExecutor

from ansible_collections.versatile.jupyter.plugins.module_utils.binder_names import PROVIDERS
from ansible_collections.versatile.jupyter.plugins.module_utils.repo2docker import ensure_image, target_image
from ansible_collections.versatile.jupyter.plugins.module_utils.repo2docker_command import run, target_repo_dir_error
from ansible_collections.versatile.jupyter.plugins.module_utils.repo2docker_errors import Repo2DockerError

# What an item of ``images`` may set, and the type each must have. Everything else (registry, engine,
# user, command, timeouts) is the task's: one build host and one registry per call.
ITEM_TYPES = collections.OrderedDict([
    ("name", "str"), ("repo", "str"), ("ref", "str"), ("image_name", "str"), ("image_prefix", "str"),
    ("binder_provider", "str"), ("push", "bool"), ("force", "bool"), ("labels", "dict"),
    ("target_repo_dir", "str"), ("extra_args", "list"),
])
NAMING_KEYS = ("image_name", "image_prefix")
SECRET_KEYS = ("registry_username", "registry_password")
TRUE_WORDS = ("true", "yes", "on", "1", "y", "t")
FALSE_WORDS = ("false", "no", "off", "0", "n", "f")
CHECK_WORKERS = 8


def _label(index, item):
    name = item.get("name") if isinstance(item, dict) else None
    return "images[%d]%s" % (index, " (%s)" % name if isinstance(name, str) and name else "")


def _describe(value):
    if isinstance(value, bool):
        return "the boolean %s" % value
    if isinstance(value, str):
        return "the string %r" % value
    return "%s %r" % (type(value).__name__, value)


def _coerce(kind, value):
    """``value`` as ``kind`` (str, bool, dict, list of str), or raise ValueError with what was expected."""
    if kind == "str":
        if isinstance(value, (str, int, float)) and not isinstance(value, bool):
            return str(value)
        raise ValueError("a string")
    if kind == "bool":
        if isinstance(value, bool):
            return value
        if isinstance(value, (str, int)) and str(value).lower() in TRUE_WORDS + FALSE_WORDS:
            return str(value).lower() in TRUE_WORDS
        raise ValueError("a boolean (true or false)")
    if kind == "dict":
        if isinstance(value, dict):
            return dict((str(key), str(val)) for key, val in value.items())
        raise ValueError("a mapping of label names to values")
    if isinstance(value, (list, tuple)) and all(isinstance(arg, str) for arg in value):
        return list(value)
    raise ValueError("a list of strings")


def image_items(images, defaults):
    """Each item of ``images`` merged over the task's ``defaults`` (the single-image parameters), as the
    parameters of ``ensure_image``. Every problem of every item is found before anything runs; they are
    raised together as one Repo2DockerError(bad_input), each naming the item (index and name) and the key.

    An item's own image_name or image_prefix replaces the task's naming (a task-level image_prefix is the
    default for items that set neither). Credentials are the task's only: an item may not carry them.
    """
    if not isinstance(images, (list, tuple)):
        raise Repo2DockerError("bad_input", "images must be a list of mappings (repo, ref, image_prefix...); "
                                            "it is %s" % _describe(images))
    problems = []
    items = []
    names = {}
    for index, item in enumerate(images):
        label = _label(index, item)
        if not isinstance(item, dict):
            problems.append("%s must be a mapping with at least repo; it is %s" % (label, _describe(item)))
            continue
        params = dict(defaults)
        params.pop("images", None)
        if any(item.get(key) not in (None, "") for key in NAMING_KEYS):
            for key in NAMING_KEYS:
                params[key] = None
        for key, value in item.items():
            if key in SECRET_KEYS:
                problems.append("%s: %s is not an item setting: set the registry credentials once, on the task "
                                "(registry_username, registry_password)" % (label, key))
                continue
            if key not in ITEM_TYPES:
                problems.append("%s: unknown key %r; an image takes %s" % (label, key, ", ".join(ITEM_TYPES)))
                continue
            if value is None or (value == "" and key != "name"):
                continue  # unset: the task's value
            try:
                params[key] = _coerce(ITEM_TYPES[key], value)
            except ValueError as exc:
                problems.append("%s: %s must be %s; it is %s" % (label, key, exc, _describe(value)))
        params["ref"] = params.get("ref") or "HEAD"
        params["binder_provider"] = params.get("binder_provider") or "auto"
        if not params.get("repo"):
            problems.append("%s: repo is missing (a git URL or a path on the build host)" % label)
        if bool(params.get("image_name")) == bool(params.get("image_prefix")):
            problems.append("%s: set exactly one of image_name and image_prefix (on the item, or image_prefix "
                            "on the task for every item)" % label)
        if params.get("binder_provider") not in PROVIDERS:
            problems.append("%s: binder_provider must be one of %s; it is %s"
                            % (label, ", ".join(PROVIDERS), _describe(params.get("binder_provider"))))
        problem = target_repo_dir_error(params.get("target_repo_dir"))
        if problem:
            problems.append("%s: %s" % (label, problem))
        name = params.get("name")
        if name is not None:
            if name in names:
                problems.append("%s: name %s is also images[%d]'s; names must be unique" % (label, name, names[name]))
            names.setdefault(name, index)
        items.append((label, params))
    for label, params in items:
        if params.get("repo") and bool(params.get("image_name")) != bool(params.get("image_prefix")):
            try:  # naming problems, with a placeholder commit, before any git or network call
                target_image("0" * 40, params["repo"], params.get("image_name"), params.get("image_prefix"),
                             params.get("binder_provider") or "auto")
            except Repo2DockerError as exc:
                problems.append("%s: %s" % (label, exc.message))
    if problems:
        raise Repo2DockerError("bad_input", "; ".join(problems))
    return items


def ensure_images(images, defaults, check_mode=False, runner=run, workers=CHECK_WORKERS):
    """``ensure_image`` for every item of ``images`` (see ``image_items``) in one call.

    The items' existence checks (ref resolution, registry or engine look-up) run side by side on up to
    ``workers`` threads: they wait on git and the network, not on this process. Builds then run one at a time
    (each re-checks its own image first). A failing item does not stop the others. Returns (results in the
    items' order, failures): each result has ``index`` and ``item_name`` (the item's name); failed ones carry
    ``failed``, ``msg``, ``error_kind`` and ``log_tail``; ``failures`` is the list of those.
    """
    items = image_items(images, defaults)

    def check(entry):
        label, params = entry
        try:
            return ensure_image(params, check_mode=True, runner=runner)
        except Repo2DockerError as exc:
            return exc

    if items:
        with ThreadPoolExecutor(max_workers=max(1, min(workers, len(items)))) as pool:
            checked = list(pool.map(check, items))
    else:
        checked = []
    results = []
    for index, ((label, params), outcome) in enumerate(zip(items, checked)):
        if not check_mode and isinstance(outcome, dict) and outcome["changed"]:
            try:
                outcome = ensure_image(params, check_mode=False, runner=runner)
            except Repo2DockerError as exc:
                outcome = exc
        if isinstance(outcome, Repo2DockerError):
            outcome = {"failed": True, "changed": False, "msg": "%s: %s" % (label, outcome.message),
                       "error_kind": outcome.kind, "log_tail": outcome.log_tail}
        outcome["index"] = index
        outcome["item_name"] = params.get("name")
        results.append(outcome)
    return results, [result for result in results if result.get("failed")]
