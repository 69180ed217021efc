# -*- coding: utf-8 -*-
# Copyright (c) versatile.jupyter contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Container image references ``[host[:port]/]path[:tag][@digest]``: the collection's one parser.

Every piece of the collection that reads an image reference goes through ``parse_image``: the repo2docker
decision and its registry client, the hub values (``hub_config.split_image``) and the inventory checks.
A first path part is a registry host when it has a dot or a port, or is ``localhost`` (the rule docker and
podman apply); names without one are Docker Hub's.

Plain functions, no Ansible import: unit-tested in tests/unit/test_image_ref.py.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import collections
import re

DOCKER_HUB_HOSTS = ("docker.io", "index.docker.io")
_COMPONENT = re.compile(r"^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$")
_TAG = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$")


class ImageRef(collections.namedtuple("ImageRef", "registry repository tag digest")):
    """A parsed reference: ``registry`` None for Docker Hub names without a host, ``tag`` and ``digest``
    None when absent."""

    __slots__ = ()

    @property
    def name(self):
        """The reference without tag and digest, as written (``registry/repository``)."""
        return "%s/%s" % (self.registry, self.repository) if self.registry else self.repository

    @property
    def docker_hub(self):
        """Whether the image lives on Docker Hub (no host, or one of its names)."""
        return self.registry is None or self.registry in DOCKER_HUB_HOSTS


def is_registry_host(part):
    """Whether the first path part of a reference names a registry host (a dot, a port, or localhost)."""
    return "." in part or ":" in part or part == "localhost"


def parse_image(image):
    """``image`` as an ImageRef (registry, repository, tag, digest). A registry's port is not a tag."""
    name, _at, digest = image.partition("@")
    tag = None
    if ":" in name.rsplit("/", 1)[-1]:
        name, tag = name.rsplit(":", 1)
    first, sep, rest = name.partition("/")
    if sep and is_registry_host(first):
        return ImageRef(first, rest, tag, digest or None)
    return ImageRef(None, name, tag, digest or None)


def lower_path(ref):
    """``ref`` (a reference or a prefix) with everything after its registry host in lower case."""
    first, sep, rest = ref.partition("/")
    if sep and is_registry_host(first):
        return first + "/" + rest.lower()
    return ref.lower()


def image_reference_problems(image):
    """Problems with ``image`` as a registry reference ``[host[:port]/]path[:tag]`` (empty when valid).
    A digest is refused: the collection names images by tag."""
    ref = parse_image(image)
    problems = []
    if ref.digest is not None:
        problems.append("%r: a digest (@...) is not supported here; name the image by its tag" % image)
    if len(ref.repository) > 255:
        problems.append("the repository part of %r is longer than 255 characters" % image)
    for component in ref.repository.split("/"):
        if not _COMPONENT.match(component):
            problems.append("%r: path component %r must be lower-case letters and digits separated by '.', "
                            "'_', '__' or '-'" % (image, component))
    if ref.tag is not None and not _TAG.match(ref.tag):
        problems.append("%r: tag %r is not a valid tag" % (image, ref.tag))
    return problems
