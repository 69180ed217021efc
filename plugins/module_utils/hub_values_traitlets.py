# -*- coding: utf-8 -*-
# Copyright (c) versatile.jupyter contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Check ``hub.config.<Class>.<trait>`` against the real JupyterHub classes.

z2jh copies ``hub.config`` into the hub's traitlets config as is, so a misspelt class or trait is
silently ignored by the hub (at best a log line). Where jupyterhub, oauthenticator, nativeauthenticator,
ltiauthenticator and kubespawner are importable, this module imports them, collects every traitlets
``Configurable`` class by name and checks each section and trait, suggesting the closest real name.

It only fails on names that clearly do not exist: a class defined in ``hub.extraConfig`` (BinderHub's
``BinderSpawner``), a class of a package the hub image has but this Python has not (ldapauthenticator,
...), or any class while one of the checked packages is missing, is skipped with a warning.

Importing those packages takes seconds (oauthenticator pulls in jsonschema's format checkers), and every
``ansible-playbook`` run checks hub.config. So what the import finds (class names, their traits, what is
missing) is kept in a small JSON file in the user's cache folder, keyed by every installed distribution's
name and version: installing, upgrading or removing any package makes a new key, and a fresh import.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import difflib
import hashlib
import importlib
import json
import os
import re
import sys
import tempfile
import warnings

# The packages whose classes are checked (import name -> PyPI name).
CHECKED_PACKAGES = (
    ('jupyterhub', 'jupyterhub'),
    ('oauthenticator', 'oauthenticator'),
    ('nativeauthenticator', 'jupyterhub-nativeauthenticator'),
    ('ltiauthenticator', 'jupyterhub-ltiauthenticator'),
    ('kubespawner', 'jupyterhub-kubespawner'),
)

# Classes that the z2jh 4.4.0 hub image ships in other packages (images/hub/requirements.txt): used
# when they are importable here, skipped with a warning when they are not.
OTHER_IMAGE_CLASSES = {
    'LDAPAuthenticator': 'ldapauthenticator',
    'FirstUseAuthenticator': 'firstuseauthenticator',
    'TmpAuthenticator': 'tmpauthenticator',
    'HMACAuthenticator': 'hmacauthenticator',
}

# Modules imported besides the packages themselves and their JupyterHub entry points (authenticators,
# spawners, proxies): classes that no entry point names.
EXTRA_MODULES = (
    'jupyterhub.app',
    'jupyterhub.crypto',
    'kubespawner.proxy',
    'ltiauthenticator.lti11.auth',
    'ltiauthenticator.lti13.auth',
)

ENTRY_POINT_GROUPS = ('jupyterhub.authenticators', 'jupyterhub.spawners', 'jupyterhub.proxies')

# Bump when the cached catalogue's shape or what goes into it changes.
CATALOGUE_FORMAT = 1

_REGISTRY = {}


class Registry:
    """Configurable classes by name, and what could not be imported."""

    def __init__(self):
        self.classes = {}        # class name -> {trait name: configurable?}
        self.missing = []        # PyPI names of checked packages that are not importable
        self.unloadable = {}     # class name -> why (an entry point whose module fails to import here)
        self.packages = []       # import names of packages that were loaded

    def traits(self, name):
        """{trait name: configurable?} of the class(es) of that name."""
        return self.classes.get(name, {})

    def add_class(self, cls):
        """Merge a class's traits into its name's entry: traitlets applies a section to every class
        whose MRO has that name, so a trait counts as configurable if any of them says so."""
        out = self.classes.setdefault(cls.__name__, {})
        for trait_name, trait in cls.class_traits().items():
            out[trait_name] = out.get(trait_name, False) or bool(trait.metadata.get('config'))

    def to_json(self):
        return {'classes': self.classes, 'missing': self.missing, 'unloadable': self.unloadable,
                'packages': self.packages}

    @classmethod
    def from_json(cls, data):
        registry = cls()
        registry.classes = data['classes']
        registry.missing = data['missing']
        registry.unloadable = data['unloadable']
        registry.packages = data['packages']
        return registry


def _subclasses(base):
    seen = set()
    stack = [base]
    while stack:
        cls = stack.pop()
        for sub in cls.__subclasses__():
            if sub not in seen:
                seen.add(sub)
                stack.append(sub)
    return seen


def _entry_points(group):
    try:
        from importlib.metadata import entry_points
    except ImportError:  # pragma: no cover - Python < 3.8
        return []
    try:
        return list(entry_points(group=group))
    except TypeError:  # pragma: no cover - Python < 3.10
        return list(entry_points().get(group, []))


def installed_distributions(path=None):
    """Names of the dist-info and egg-info folders on sys.path (each holds a name and a version)."""
    names = []
    for folder in sys.path if path is None else path:
        try:
            names.extend(n for n in os.listdir(folder or '.') if n.endswith(('.dist-info', '.egg-info')))
        except OSError:
            continue
    return sorted(names)


def catalogue_key(packages, others, path=None):
    """What the import would find depends on these, and on nothing else."""
    material = json.dumps([CATALOGUE_FORMAT, sys.version, list(packages), sorted(others.items()),
                           installed_distributions(path)])
    return hashlib.sha256(material.encode('utf-8')).hexdigest()[:24]


def default_cache_dir():
    base = os.environ.get('XDG_CACHE_HOME') or os.path.join(os.path.expanduser('~'), '.cache')
    return os.path.join(base, 'versatile.jupyter')


def _read_catalogue(path):
    try:
        with open(path) as handle:
            return Registry.from_json(json.load(handle))
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _write_catalogue(path, registry):
    """Best effort: a cache folder that cannot be written only costs the import next time."""
    try:
        os.makedirs(os.path.dirname(path), mode=0o700, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=os.path.dirname(path), prefix='.hub-config-')
        with os.fdopen(fd, 'w') as handle:
            json.dump(registry.to_json(), handle)
        os.replace(tmp, path)
    except OSError:
        pass


def load_registry(packages=CHECKED_PACKAGES, others=None, cache_dir=None):
    """The Configurable classes of the packages: from the cached catalogue when the installed
    distributions are the same as when it was written, else by importing them (once per process)."""
    if others is None:
        others = OTHER_IMAGE_CLASSES
    key = catalogue_key(packages, others)
    if key not in _REGISTRY:
        path = os.path.join(cache_dir or default_cache_dir(), 'hub-config-classes-%s.json' % key)
        registry = _read_catalogue(path)
        if registry is None:
            with warnings.catch_warnings():
                # their import-time deprecation warnings are not the user's business
                warnings.simplefilter('ignore')
                registry = _load_registry(packages, others)
            _write_catalogue(path, registry)
        _REGISTRY[key] = registry
    return _REGISTRY[key]


def _load_registry(packages, others):
    registry = Registry()
    try:
        from traitlets.config import Configurable
    except ImportError:
        registry.missing = [pypi for _mod, pypi in packages]
        return registry
    for mod, pypi in list(packages) + [(mod, None) for mod in sorted(set(others.values()))]:
        try:
            importlib.import_module(mod)
        except Exception:  # pylint: disable=broad-except  # not installed or broken: reported below
            if pypi:
                registry.missing.append(pypi)
            continue
        registry.packages.append(mod)
    loaded = tuple(registry.packages)
    for mod in EXTRA_MODULES:
        if mod.split('.', maxsplit=1)[0] in loaded:
            try:
                importlib.import_module(mod)
            except Exception as exc:  # pylint: disable=broad-except
                registry.unloadable[mod] = exc.__class__.__name__
    for group in ENTRY_POINT_GROUPS:
        for ep in _entry_points(group):
            module, _sep, attr = ep.value.partition(':')
            if module.split('.', maxsplit=1)[0] not in loaded:
                continue
            try:
                importlib.import_module(module)
            except Exception as exc:  # pylint: disable=broad-except  # an optional dependency is missing
                registry.unloadable[attr or module] = '%s (%s)' % (module, exc.__class__.__name__)
    for cls in _subclasses(Configurable):
        module = getattr(cls, '__module__', '') or ''
        if module.split('.', maxsplit=1)[0] in loaded or module.startswith('traitlets'):
            registry.add_class(cls)
    return registry


_CLASS_DEF = re.compile(r'^\s*class\s+([A-Za-z_][A-Za-z0-9_]*)', re.M)


def classes_defined_in(extra_config):
    """Class names defined by the Python snippets of ``hub.extraConfig`` (a mapping or a string)."""
    names = set()
    snippets = extra_config.values() if isinstance(extra_config, dict) else [extra_config]
    for snippet in snippets:
        if isinstance(snippet, str):
            names.update(_CLASS_DEF.findall(snippet))
    return names


def _suggestion(word, choices):
    close = difflib.get_close_matches(word, sorted(choices), n=1, cutoff=0.6)
    return ' (did you mean %s?)' % close[0] if close else ''


def check_hub_config(config, extra_config=None, registry=None, base_path=('hub', 'config')):
    """Check a ``hub.config`` mapping. Returns (errors, warnings); errors are (path tuple, message)."""
    errors = []
    warnings = []
    if config is None:
        return errors, warnings
    if not isinstance(config, dict):
        return [(tuple(base_path), 'expected a mapping of Configurable class names')], warnings
    if registry is None:
        registry = load_registry()
    local = classes_defined_in(extra_config or {})
    known = set(registry.classes) | set(OTHER_IMAGE_CLASSES) | local
    for name in sorted(config):
        section = config[name]
        path = tuple(base_path) + (name,)
        if name in registry.classes:
            if not isinstance(section, dict):
                errors.append((path, 'expected a mapping of traits of %s' % name))
                continue
            traits = registry.traits(name)
            configurable = [t for t, is_config in traits.items() if is_config]
            for trait in sorted(section):
                if trait not in traits:
                    errors.append((path + (trait,), '%s has no trait %s%s'
                                   % (name, trait, _suggestion(trait, configurable))))
                elif not traits[trait]:
                    errors.append((path + (trait,), '%s.%s is not configurable (not a config=True trait)'
                                   % (name, trait)))
        elif name in local:
            warnings.append('%s: class %s is defined in hub.extraConfig; its traits are not checked'
                            % ('.'.join(path), name))
        elif name in registry.unloadable:
            warnings.append('%s: class %s cannot be imported here (%s); not checked'
                            % ('.'.join(path), name, registry.unloadable[name]))
        elif name in OTHER_IMAGE_CLASSES:
            warnings.append('%s: class %s comes from %s, which is not installed here; not checked'
                            % ('.'.join(path), name, OTHER_IMAGE_CLASSES[name]))
        elif registry.missing:
            warnings.append('%s: class %s not found, but %s cannot be imported here; not checked'
                            % ('.'.join(path), name, ', '.join(registry.missing)))
        else:
            errors.append((path, 'no configurable class %s in %s%s'
                           % (name, ', '.join(pypi for _m, pypi in CHECKED_PACKAGES),
                              _suggestion(name, known - {name}))))
    return errors, warnings
