# -*- coding: utf-8 -*-
# Copyright (c) versatile.jupyter contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Engine client for repo2docker builds: which Docker API to use (``find_engine_host``), whether it answers
(``engine_ping``) and what it knows of an image (``engine_image``), through the Docker SDK for Python (the
``docker`` package repo2docker itself is built on), against docker or podman's Docker-compatible socket.

The SDK is imported by the first call that needs an engine, not with this file: importing it costs about half a
second, which a check of pushed images in their registry (no engine) does not pay, and a build host without it
can still run that check; the error then says what to install.

Plain functions, no Ansible import: unit-tested in tests/unit/test_repo2docker_engine.py.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import sys

from ansible_collections.versatile.jupyter.plugins.module_utils.repo2docker_errors import Repo2DockerError

DEFAULT_SOCKETS = ("/var/run/docker.sock", "/run/podman/podman.sock")
SCHEMES = ("unix://", "tcp://", "http://")


def find_engine_host(engine_host=None, environ=None):
    """The Docker API address: the option, else DOCKER_HOST, else a docker or podman socket that exists."""
    environ = os.environ if environ is None else environ
    if engine_host:
        return engine_host
    if environ.get("DOCKER_HOST"):
        return environ["DOCKER_HOST"]
    for path in DEFAULT_SOCKETS:
        if os.path.exists(path):
            return "unix://" + path
    raise Repo2DockerError("no_engine", "no container engine found: set engine_host (DOCKER_HOST), or start "
                           "docker or podman's Docker API socket (%s)" % " or ".join(DEFAULT_SOCKETS))


def _sdk():
    """(docker, requests): the Docker SDK and its HTTP library, imported now, or Repo2DockerError(no_engine)."""
    try:
        import docker  # pylint: disable=import-outside-toplevel
        import requests  # pylint: disable=import-outside-toplevel
    except ImportError:
        raise Repo2DockerError("no_engine", "the Docker SDK for Python (the docker package, which repo2docker "
                               "depends on) is missing for %s: install python3-docker or pip install docker"
                               % sys.executable)
    return docker, requests


def engine_client(engine_host, timeout=30):
    """A Docker SDK ``APIClient`` for ``engine_host`` that has answered ``/_ping``, speaking the API version the
    engine announces there (as the docker CLI negotiates: docker 29 refuses versions below 1.44, podman serves
    1.41). The SDK's own ``version="auto"`` asks ``/version`` instead, which podman answers in about a second."""
    if not engine_host.startswith(SCHEMES):
        raise Repo2DockerError("no_engine", "engine_host %r: expected unix:///path or tcp://host:port" % engine_host)
    docker, requests = _sdk()
    try:
        client = docker.APIClient(base_url=engine_host, version=docker.constants.DEFAULT_DOCKER_API_VERSION,
                                  timeout=timeout)
        answer = client.get(client.base_url + "/_ping", timeout=timeout)  # unversioned: every engine answers
    except (docker.errors.DockerException, requests.exceptions.RequestException, OSError) as exc:
        raise Repo2DockerError("no_engine", "no container engine answers at %s: %s" % (engine_host, exc))
    if answer.status_code != 200:
        client.close()
        raise Repo2DockerError("no_engine", "the engine at %s answered HTTP %s to /_ping"
                               % (engine_host, answer.status_code))
    version = answer.headers.get("Api-Version")
    if version and version != client.api_version:
        client.close()
        client = docker.APIClient(base_url=engine_host, version=version, timeout=timeout)
    return client


def engine_ping(engine_host, timeout=10):
    """Raise Repo2DockerError(no_engine) unless the engine at ``engine_host`` answers ``/_ping``."""
    engine_client(engine_host, timeout).close()


def engine_image(engine_host, image, timeout=30):
    """The engine's record of ``image`` ({'Id', 'RepoDigests', 'Labels'}) or None when absent."""
    client = engine_client(engine_host, timeout)
    docker, requests = _sdk()
    try:
        body = client.inspect_image(image)
    except docker.errors.NotFound:
        return None
    except docker.errors.APIError as exc:
        raise Repo2DockerError("no_engine", "the engine at %s answered HTTP %s for image %s"
                               % (engine_host, exc.status_code, image))
    except (docker.errors.DockerException, requests.exceptions.RequestException, OSError) as exc:
        raise Repo2DockerError("no_engine", "no container engine answers at %s: %s" % (engine_host, exc))
    finally:
        client.close()
    config = body.get("Config") or {}
    return {"Id": body.get("Id"), "RepoDigests": body.get("RepoDigests") or [],
            "Labels": config.get("Labels") or {}}
