# -*- coding: utf-8 -*-
# Copyright (c) versatile.jupyter contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Secrets masking, explain lines, reading the current file and the atomic write."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os
import re
import tempfile

from ansible_collections.versatile.jupyter.plugins.module_utils.hub_values_merge import (
    HubValuesError, dotted, iter_leaves, origin)

MASK = '********'
MASK_CHANGED = '******** (changed)'

# A key whose name (lower case, without _ - .) ends with one of these holds a secret.
SECRET_SUFFIXES = (
    'password', 'passwd', 'passphrase', 'secret', 'token', 'apikey', 'privatekey', 'secretkey',
    'accesskey', 'credential', 'credentials', 'cookiesecret', 'clientsecret', 'apitoken', 'secrettoken',
    'authkey', 'encryptionkey', 'htpasswd',
)
# Keys that hold secrets without such a suffix: CryptKeeper.keys (auth state encryption keys).
SECRET_PATH_SUFFIXES = (('CryptKeeper', 'keys'),)
_PEM = re.compile(r'-----BEGIN [A-Z ]*(PRIVATE KEY|CERTIFICATE)-----')


def is_secret_key(key):
    """True when a mapping key's name says it holds a secret (client_secret, proxy.secretToken, ...)."""
    if not isinstance(key, str):
        return False
    name = re.sub(r'[^a-z0-9]', '', key.lower())
    return name.endswith(SECRET_SUFFIXES)


def _env_style_secret(tree, path):
    """``{name: GITHUB_TOKEN, value: ...}`` (a Kubernetes env entry): the value is a secret."""
    if not path or path[-1] != 'value':
        return False
    node = tree
    for part in path[:-1]:
        try:
            node = node[part]
        except (KeyError, IndexError, TypeError):
            return False
    return isinstance(node, dict) and is_secret_key(node.get('name'))


def secret_predicate(merged, layers, secret_layers):
    """A function path -> bool: is the value at this path a secret?

    Secret when any key on the path has a secret name, the path is an env-style value of a secret
    name, a ``secret: true`` layer set it, or (checked by ``mask``) the value is a PEM block.
    """
    secret_layers = set(secret_layers)

    def is_secret(path):
        for part in path:
            if is_secret_key(part):
                return True
        for suffix in SECRET_PATH_SUFFIXES:
            if any(tuple(path[i:i + len(suffix)]) == suffix for i in range(len(path) - len(suffix) + 1)):
                return True
        if _env_style_secret(merged, path):
            return True
        if secret_layers:
            index = origin(layers, path)
            if index is not None and index in secret_layers:
                return True
        return False
    return is_secret


def _is_pem(value):
    return isinstance(value, str) and bool(_PEM.search(value))


def mask(value, is_secret, path=(), other=None, other_secret=None):
    """A copy of ``value`` with secret leaves replaced by MASK. With ``other`` (the value at the same
    place in the other version), a secret that differs is shown as MASK_CHANGED so a diff tells the truth
    without showing either value."""
    if isinstance(value, dict):
        other_map = other if isinstance(other, dict) else {}
        return {k: mask(v, is_secret, path + (k,), other_map.get(k, _ABSENT), other_secret)
                for k, v in value.items()}
    if value is None or isinstance(value, bool):
        return value
    if is_secret(path) or _is_pem(value) or (other_secret is not None and other_secret(path)):
        if isinstance(value, list):
            value_list = value
            other_list = other if isinstance(other, list) else []
            return [mask(v, lambda _p: True, path + (i,), other_list[i] if i < len(other_list) else _ABSENT)
                    for i, v in enumerate(value_list)]
        if other is not _ABSENT and other is not None and other != value:
            return MASK_CHANGED
        return MASK
    if isinstance(value, list):
        other_list = other if isinstance(other, list) else []
        return [mask(v, is_secret, path + (i,), other_list[i] if i < len(other_list) else _ABSENT, other_secret)
                for i, v in enumerate(value)]
    return value


class _Absent:
    def __repr__(self):
        return '<absent>'


_ABSENT = _Absent()


def secret_strings(value, is_secret, path=()):
    """Every string (and number, as text) at a secret path: for the module's no_log values."""
    out = set()
    if isinstance(value, dict):
        for key, item in value.items():
            out |= secret_strings(item, is_secret, path + (key,))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            out |= secret_strings(item, is_secret, path + (index,))
    elif value is not None and not isinstance(value, bool) and (is_secret(path) or _is_pem(value)):
        out.add(str(value))
    return out


def explain_lines(merged, layers, labels, is_secret):
    """One line per value the layers set: ``dotted.path = value  <- layer N label``. A null (which
    deletes the chart default) says so; secret values are masked."""
    lines = []
    for path, value in iter_leaves(merged):
        if not path:
            continue
        index = origin(layers, path)
        where = 'layer %d %s' % (index + 1, labels[index]) if index is not None else 'unknown'
        if value is None:
            shown = 'null (deletes the chart default)'
        elif is_secret(path) or _is_pem(value):
            shown = MASK if not isinstance(value, list) else '[%s]' % ', '.join([MASK] * len(value))
        else:
            shown = json.dumps(value, sort_keys=True, default=str)
        lines.append('%s = %s  <- %s' % (dotted(path), shown, where))
    return lines


# --------------------------------------------------------------------------------------------------
# Writing
# --------------------------------------------------------------------------------------------------

def read_bytes(path):
    """The content of ``path``, or None when it does not exist."""
    try:
        with open(path, 'rb') as handle:
            return handle.read()
    except (IOError, OSError) as exc:
        if getattr(exc, 'errno', None) == 2:
            return None
        raise HubValuesError('cannot read dest %s: %s' % (path, exc.strerror or exc))


def atomic_write(path, content, mode):
    """Write ``content`` (bytes) to ``path`` atomically: a temporary file in the same directory, created
    with ``mode`` (so a secret is never readable by others, not even for a moment), flushed, fsynced,
    then renamed over ``path``. Nothing is left behind on error."""
    directory = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(directory):
        raise HubValuesError('dest %s: directory %s does not exist' % (path, directory))
    fd, tmp = tempfile.mkstemp(prefix='.%s.' % os.path.basename(path), suffix='.tmp', dir=directory)
    try:
        os.fchmod(fd, mode)
        with os.fdopen(fd, 'wb') as handle:
            handle.write(content)
            handle.flush()
            os.fsync(handle.fileno())
        os.rename(tmp, path)
    except (IOError, OSError) as exc:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise HubValuesError('cannot write dest %s: %s' % (path, exc.strerror or exc))
