# -*- coding: utf-8 -*-
# Copyright (c) versatile.jupyter contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Upgrade rules, as plain functions (playbooks/upgrade.yml and the hub role call them through filters).

- k3s: every node moves to ``k3s_version`` from the version it runs. Kubernetes supports upgrades one minor
  version at a time and no downgrades, so ``k3s_upgrade_problems`` refuses a lower release and a skipped minor
  version, naming each node, both versions and the variable, before any node is changed.
  ``k3s_node_problems`` refuses, just as early, a node whose architecture has no k3s release or that runs k3s of
  the other kind than its group says (an agent is never turned into a server or the reverse);
  ``k3s_installs`` names the nodes that have k3s to install, with the release architecture each needs.
- Image roll-outs: ``hub_user_images`` reads the user images a hub's merged values offer (the single-user image
  and every profile's), ``hub_users_on_old_images`` lists the users whose running server uses another one.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

from ansible_collections.versatile.jupyter.plugins.module_utils.k3s_node import parse_version

K3S_VERSION_RE = re.compile(r"^v(\d+)\.(\d+)\.(\d+)(?:-rc(\d+))?\+k3s(\d+)$")


def parse_k3s_version(text):
    """``v1.31.4+k3s1`` -> a tuple that sorts like the releases (a release candidate before its release);
    None when ``text`` is not a k3s release name."""
    match = K3S_VERSION_RE.match(text or "")
    if not match:
        return None
    major, minor, patch, rc, k3s = match.groups()
    # A release candidate sorts before the release of the same number.
    return (int(major), int(minor), int(patch), int(rc) if rc is not None else float("inf"), int(k3s))


def k3s_version_of(output):
    """The release named in ``k3s --version`` output, or None (no k3s, or an output without a version); read by
    ``k3s_node.parse_version``, as module k3s_node_info reads it."""
    return parse_version(output) or None


def k3s_upgrade_problem(node, installed, target, variable="k3s_version"):
    """Why ``node`` cannot move from ``installed`` to ``target`` (None when it can or nothing is to do)."""
    wanted = parse_k3s_version(target)
    if wanted is None:
        return "%s is %r: it must be a k3s release such as v1.31.4+k3s1." % (variable, target)
    if not installed:
        return ("%s runs no k3s: playbooks/upgrade.yml only moves installed nodes to %s %s; install the node "
                "with playbooks/k3s.yml." % (node, variable, target))
    have = parse_k3s_version(installed)
    if have is None:
        return "%s runs k3s %r, which is not a k3s release name: upgrade it by hand." % (node, installed)
    if have == wanted:
        return None
    if have > wanted:
        return ("%s runs k3s %s, newer than %s %s: k3s cannot be downgraded (restore the cluster from a backup "
                "instead, see playbooks/restore.yml), or set %s to %s or later."
                % (node, installed, variable, target, variable, installed))
    if wanted[0] != have[0]:
        return ("%s runs k3s %s and %s is %s: a change of major version is not an upgrade this playbook makes."
                % (node, installed, variable, target))
    if wanted[1] > have[1] + 1:
        step = "v%d.%d" % (have[0], have[1] + 1)
        return ("%s runs k3s %s and %s is %s, which skips minor version(s) (Kubernetes upgrades one minor version "
                "at a time): set %s to a %s release first, run playbooks/upgrade.yml, then go on."
                % (node, installed, variable, target, variable, step))
    return None


def k3s_upgrade_problems(installed, target, variable="k3s_version"):
    """Every node's problem, in node order: ``installed`` maps inventory names to the version each runs
    (None or "" when k3s is not installed)."""
    out = []
    for node in sorted(installed):
        problem = k3s_upgrade_problem(node, installed[node], target, variable)
        if problem and problem not in out:
            out.append(problem)
    return out


def _kinds(node, servers):
    """(the node's kind, the other kind): a server when listed in ``servers``, else an agent."""
    return ("server", "agent") if node in servers else ("agent", "server")


def _has_file(answer, path):
    """Whether a k3s_node_info answer shows the file at ``path``."""
    return bool(((answer.get("files") or {}).get(path) or {}).get("exists"))


def k3s_node_problems(answers, servers, version, arch_map, unit_files):
    """Every node's problem, in node order: ``answers`` maps inventory names to each node's k3s_node_info answer
    (``architecture``, ``version``, ``files``); a node is a server when listed in ``servers``, else an agent.
    ``arch_map`` maps machine architectures to k3s release architectures, ``unit_files`` each kind to its unit
    file. The architecture is judged only where k3s is to be installed (k3s_installs). A node without an answer
    (not looked at in this run, as with --tags) is not judged."""
    installs = k3s_installs(answers, servers, version, arch_map, unit_files)
    out = []
    for node in sorted(answers):
        answer = answers[node]
        if not answer:
            continue
        kind, other = _kinds(node, servers)
        if installs.get(node) == "":
            out.append("%s: k3s has no release for the architecture %r (releases exist for %s)."
                       % (node, answer.get("architecture", ""), ", ".join(sorted(arch_map))))
        if _has_file(answer, unit_files[other]):
            out.append("%s is listed as a k3s %s but runs a k3s %s (%s). An agent is never turned into a server or "
                       "the reverse: remove the node first (playbooks/remove_node.yml -e '{\"k3s_remove_nodes\": "
                       "[\"%s\"]}')." % (node, kind, other, unit_files[other], node))
    return out


def k3s_installs(answers, servers, version, arch_map, unit_files):
    """The nodes that have k3s to install, each with its k3s release architecture ('' when not known): those
    whose answer shows no unit of their kind or another version than ``version`` (as k3s_install_needed in the
    role's vars decides for one node), nodes without an answer included. ``answers``, ``servers``, ``arch_map`` and
    ``unit_files`` as for k3s_node_problems; ``version`` is k3s_version."""
    out = {}
    for node in sorted(answers):
        answer = answers[node] or {}
        kind = _kinds(node, servers)[0]
        if not _has_file(answer, unit_files[kind]) or answer.get("version") != version:
            out[node] = arch_map.get(answer.get("architecture"), "")
    return out


def _image(spec):
    """``{name, tag}`` (as the z2jh chart takes an image) -> ``name:tag`` (``name`` alone without a tag)."""
    if not isinstance(spec, dict) or not spec.get("name"):
        return None
    return "%s:%s" % (spec["name"], spec["tag"]) if spec.get("tag") else str(spec["name"])


def hub_user_images(values, kind="jupyterhub"):
    """The images a hub's users may run, from its merged values: ``singleuser.image`` and each profile's (and
    profile option's) ``kubespawner_override.image``. A BinderHub's users run built images: none."""
    if kind == "binderhub":
        return []
    singleuser = (values or {}).get("singleuser") or {}
    images = []
    default = _image(singleuser.get("image"))
    if default:
        images.append(default)
    for profile in singleuser.get("profileList") or []:
        overrides = [(profile or {}).get("kubespawner_override") or {}]
        for option in ((profile or {}).get("profile_options") or {}).values():
            for choice in ((option or {}).get("choices") or {}).values():
                overrides.append((choice or {}).get("kubespawner_override") or {})
        for override in overrides:
            image = override.get("image")
            if image and image not in images:
                images.append(str(image))
    return images


def hub_users_on_old_images(pods, images):
    """The users whose single-user pods run an image the hub no longer offers: pods as ``kubectl get pods -o
    json`` lists them (label component=singleuser-server), images as ``hub_user_images`` returns them.
    Returns ``[{user, server, image}]`` sorted by user."""
    out = []
    for pod in pods or []:
        meta = pod.get("metadata") or {}
        annotations = meta.get("annotations") or {}
        labels = meta.get("labels") or {}
        containers = (pod.get("spec") or {}).get("containers") or []
        notebook = next((c for c in containers if c.get("name") == "notebook"), containers[0] if containers else {})
        image = notebook.get("image")
        if image and image not in images:
            user = annotations.get("hub.jupyter.org/username") or labels.get("hub.jupyter.org/username") or \
                meta.get("name")
            server = annotations.get("hub.jupyter.org/servername") or ""
            out.append({"user": user, "server": server, "image": image, "pod": meta.get("name")})
    return sorted(out, key=lambda row: (row["user"] or "", row["server"]))


def rollout_line(row):
    """One user of ``hub_users_on_old_images`` for a report: ``alice (server r) on quay.io/lab/r:4.3``."""
    server = " (server %s)" % row["server"] if row.get("server") else ""
    return "%s%s on %s" % (row.get("user"), server, row.get("image"))
