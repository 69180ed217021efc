# -*- coding: utf-8 -*-
# Copyright (c) versatile.jupyter contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one error type of the repo2docker code (git refs, registry and engine clients, the build decision):
its ``kind`` is what repo2docker_image returns as ``error_kind``."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class Repo2DockerError(Exception):
    """A failure with a kind the caller can report: unreachable, ref_not_found, no_engine,
    registry_unreachable, credentials_refused, build_failed, bad_input."""

    def __init__(self, kind, message, log_tail=None):
        super(Repo2DockerError, self).__init__(message)
        self.kind = kind
        self.message = message
        self.log_tail = log_tail or []
