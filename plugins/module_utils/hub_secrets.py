# -*- coding: utf-8 -*-
# Copyright (c) versatile.jupyter contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Keeping a hub's secrets out of messages: the secret strings of a hub's values layers, and an error
text (a failed helm run) with every one of them, and every PEM block, replaced by a mask."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

from ansible_collections.versatile.jupyter.plugins.module_utils.hub_values_merge import merge_layers
from ansible_collections.versatile.jupyter.plugins.module_utils.hub_values import read_layers
from ansible_collections.versatile.jupyter.plugins.module_utils.hub_values_render import (
    MASK, secret_predicate, secret_strings)

_PEM_BLOCK = re.compile(r'-----BEGIN [A-Z ]+-----.*?(-----END [A-Z ]+-----|\Z)', re.S)
# Shorter strings are not scrubbed (they would mask ordinary words); the hub entry checks ask for longer secrets.
MIN_SECRET_LENGTH = 3


def layer_secrets(layers):
    """Every string at a secret place of the merged ``layers`` (module hub_values' layer format): the values
    of secret-named keys (client_secret, proxy.secretToken, hub.cookieSecret, passwords, tokens, ...) and
    everything a ``secret: true`` layer sets. A layer that cannot be read gives no strings (its error is
    module hub_values' to report)."""
    try:
        read = read_layers(layers)
    except Exception:  # pylint: disable=broad-except  # hub_values reports unreadable layers itself
        return []
    values = [layer.values for layer in read]
    merged = merge_layers(values)
    is_secret = secret_predicate(merged, values, [i for i, layer in enumerate(read) if layer.secret])
    found = set(value for value in secret_strings(merged, is_secret) if len(value) >= MIN_SECRET_LENGTH)
    # A multi-line secret (a key) may be quoted line by line: every line of it is masked too.
    for value in list(found):
        found.update(line.strip() for line in value.splitlines() if len(line.strip()) >= MIN_SECRET_LENGTH)
    return sorted(found, key=len, reverse=True)


def scrub(text, secrets):
    """``text`` with every PEM block and every string of ``secrets`` replaced by the mask."""
    if text is None:
        return ''
    text = _PEM_BLOCK.sub(MASK, str(text))
    for secret in sorted((str(s) for s in secrets or [] if s is not None and len(str(s)) >= MIN_SECRET_LENGTH),
                         key=len, reverse=True):
        text = text.replace(secret, MASK)
    return text


def helm_failure(result, layers):
    """Why a kubernetes.core.helm task failed, from its (hidden) result, without any secret of ``layers``:
    the module's message and helm's standard error, scrubbed, at most 40 lines."""
    result = result if isinstance(result, dict) else {}
    parts = []
    for key in ('msg', 'stderr'):
        value = result.get(key)
        if isinstance(value, str) and value.strip() and value.strip() not in parts:
            parts.append(value.strip())
    text = scrub('\n'.join(parts) or 'no message from the helm module', layer_secrets(layers))
    lines = text.splitlines()
    if len(lines) > 40:
        lines = lines[:40] + ['... (%d more lines)' % (len(lines) - 40)]
    return '\n'.join(lines)
