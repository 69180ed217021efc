# -*- coding: utf-8 -*-
# Copyright (c) versatile.jupyter contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What module hub_manifests does, as plain functions: render a hub's chart with ``helm template`` for the
Kubernetes of the cluster, split the output into objects, validate every object strictly against that
Kubernetes version's own schemas (the PyPI package kubernetes-validate, offline), and summarise it (kinds,
container images, URLs) without any value of the manifests.

Messages name the hub, the object (``Kind/name`` and the chart template it came from) and the field; they
never quote a value of the manifests (a Secret's data, a hub.config password), only the schema's rule.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import hashlib
import re

try:
    import yaml
    HAS_YAML = True
except ImportError:  # reported by check_validator(); the module is importable without it
    HAS_YAML = False

from ansible_collections.versatile.jupyter.plugins.module_utils.hub_secrets import scrub

_VALIDATION = {}


def _validation():
    """The validation packages (jsonschema, kubernetes-validate, referencing), imported on first use, or None
    when one is missing. Not at import: jsonschema takes seconds to import (its format checkers compile
    grammars), and every task that uses any filter of this collection loads this file through the filter
    hub_render, in a fresh worker process each time."""
    if 'packages' not in _VALIDATION:
        try:
            # pylint: disable=import-outside-toplevel
            import jsonschema
            import kubernetes_validate
            from kubernetes_validate import utils as kv_utils
            from referencing import Registry, Resource
            _VALIDATION['packages'] = (jsonschema, kubernetes_validate, kv_utils, Registry, Resource)
        except ImportError:
            _VALIDATION['packages'] = None
    return _VALIDATION['packages']


class HubRenderError(Exception):
    """A problem with a hub's rendering, its message ready for the user (no secret in it)."""


# API versions (group/version/Kind) that the Kubernetes of a k3s release serves beyond helm's built-in list and
# that templates ask about with .Capabilities.APIVersions.Has (BinderHub's PodDisruptionBudget), with the
# Kubernetes minor version that first served them and the first that no longer does. k3s adds its own
# HelmChart, Addon and traefik kinds.
SERVED_APIS = (
    ('apps/v1/Deployment', 9, None),
    ('apps/v1/DaemonSet', 9, None),
    ('apps/v1/StatefulSet', 9, None),
    ('batch/v1/Job', 2, None),
    ('batch/v1/CronJob', 21, None),
    ('batch/v1beta1/CronJob', 8, 25),
    ('policy/v1/PodDisruptionBudget', 21, None),
    ('policy/v1beta1/PodDisruptionBudget', 5, 25),
    ('networking.k8s.io/v1/Ingress', 19, None),
    ('networking.k8s.io/v1/IngressClass', 19, None),
    ('networking.k8s.io/v1/NetworkPolicy', 7, None),
    ('networking.k8s.io/v1beta1/Ingress', 14, 22),
    ('rbac.authorization.k8s.io/v1/Role', 8, None),
    ('rbac.authorization.k8s.io/v1/RoleBinding', 8, None),
    ('rbac.authorization.k8s.io/v1/ClusterRole', 8, None),
    ('rbac.authorization.k8s.io/v1/ClusterRoleBinding', 8, None),
    ('scheduling.k8s.io/v1/PriorityClass', 14, None),
    ('storage.k8s.io/v1/StorageClass', 6, None),
    ('autoscaling/v2/HorizontalPodAutoscaler', 23, None),
    ('discovery.k8s.io/v1/EndpointSlice', 21, None),
    ('coordination.k8s.io/v1/Lease', 14, None),
    ('helm.cattle.io/v1/HelmChart', 0, None),
    ('helm.cattle.io/v1/HelmChartConfig', 0, None),
    ('k3s.cattle.io/v1/Addon', 0, None),
    ('traefik.io/v1alpha1/IngressRoute', 29, None),
    ('traefik.io/v1alpha1/Middleware', 29, None),
    ('traefik.containo.us/v1alpha1/IngressRoute', 0, None),
    ('traefik.containo.us/v1alpha1/Middleware', 0, None),
)

POD_TEMPLATE_KINDS = ('Deployment', 'DaemonSet', 'StatefulSet', 'ReplicaSet', 'Job')
_K3S_VERSION = re.compile(r'^v?(\d+)\.(\d+)\.(\d+)(?:[+-].*)?$')


def kube_version(k3s_version):
    """The Kubernetes version (``1.31.4``) of a k3s release (``v1.31.4+k3s1``) or a Kubernetes version."""
    match = _K3S_VERSION.match(str(k3s_version or '').strip())
    if not match:
        raise HubRenderError('k3s_version %r is not a k3s release such as v1.31.4+k3s1' % (k3s_version,))
    return '%s.%s.%s' % match.groups()


def served_api_versions(version):
    """The group/version/Kind strings of SERVED_APIS that Kubernetes ``version`` (``1.31.4``) serves, for
    ``helm template --api-versions``."""
    minor = int(kube_version(version).split('.')[1])
    return [api for api, since, removed in SERVED_APIS if since <= minor and (removed is None or minor < removed)]


def helm_template_argv(helm, chart_dir, release, namespace, values_file, version, api_versions=None):
    """The command that renders a release as ``helm upgrade --install`` would apply it: the release name and
    namespace, the merged values file, the cluster's Kubernetes version and API versions, hooks included
    (helm installs them), chart tests left out (only ``helm test`` runs them)."""
    argv = [helm, 'template', release, chart_dir, '--namespace', namespace, '--values', values_file,
            '--kube-version', 'v' + kube_version(version), '--skip-tests']
    for api in (served_api_versions(version) if api_versions is None else api_versions):
        argv.extend(['--api-versions', api])
    return argv


_SOURCE = re.compile(r'^# Source: (.+)$', re.M)


def split_documents(text):
    """The objects of ``helm template`` output, in order: a list of (template source, object) pairs. Empty
    documents are dropped; a document that is not a Kubernetes object is an error naming its template."""
    objects = []
    for document in re.split(r'^---[ \t]*$', text or '', flags=re.M):
        if not document.strip():
            continue
        source = _SOURCE.search(document)
        source = source.group(1).strip() if source else 'unknown template'
        try:
            obj = yaml.safe_load(document)
        except yaml.YAMLError as exc:
            mark = getattr(exc, 'problem_mark', None)
            where = ' (line %d)' % (mark.line + 1) if mark is not None else ''
            raise HubRenderError('%s: helm rendered YAML that does not parse%s: %s'
                                 % (source, where, getattr(exc, 'problem', None) or 'syntax error'))
        if obj is None:
            continue
        if not isinstance(obj, dict) or not obj.get('kind') or not obj.get('apiVersion'):
            raise HubRenderError('%s: helm rendered a document that is not a Kubernetes object '
                                 '(no kind or apiVersion)' % source)
        objects.append((source, obj))
    return objects


def object_name(obj):
    """``Kind/name`` of an object."""
    metadata = obj.get('metadata') if isinstance(obj.get('metadata'), dict) else {}
    return '%s/%s' % (obj.get('kind'), metadata.get('name', '(no name)'))


def field_path(path):
    """A jsonschema path as a field: ``spec.template.spec.containers[0].image``."""
    text = ''
    for part in path:
        if isinstance(part, int):
            text += '[%d]' % part
        else:
            text += ('.' if text else '') + str(part)
    return text or '(the object itself)'


def _rule(error):
    """The schema rule an object broke, without the offending value (it may be a secret)."""
    validator = error.validator
    expected = error.validator_value
    if validator == 'additionalProperties':
        instance = error.instance if isinstance(error.instance, dict) else {}
        allowed = set((error.schema or {}).get('properties', {}))
        extra = sorted(str(key) for key in instance if key not in allowed)
        return 'unknown field(s) %s (not in the Kubernetes schema)' % ', '.join(extra)
    if validator == 'required':
        return error.message.replace("'", '') if isinstance(error.message, str) else 'a required field is missing'
    if validator == 'type':
        return 'must be of type %s' % (' or '.join(expected) if isinstance(expected, list) else expected)
    if validator == 'enum':
        return 'must be one of %s' % ', '.join(str(value) for value in expected)
    if validator in ('format', 'pattern', 'minimum', 'maximum', 'minLength', 'maxLength', 'minItems',
                     'maxItems'):
        return 'breaks the rule %s: %s' % (validator, expected)
    return 'breaks the schema rule %s' % validator


def check_validator():
    """Fail with a plain message when kubernetes-validate (or PyYAML) is missing on the controller."""
    if not HAS_YAML or _validation() is None:
        raise HubRenderError('the Python packages kubernetes-validate and PyYAML are not installed on the '
                             'controller: install requirements.txt (scripts/deploy does)')


class _Schemas:
    """The strict schemas of one Kubernetes version as kubernetes-validate ships them, loaded once (its own
    validate() reads the large definitions file again for every object)."""

    def __init__(self, version):
        self.jsonschema, kubernetes_validate, self.kv_utils, registry, self.resource = _validation()
        kv_utils = self.kv_utils
        minor = kv_utils.major_minor(version)
        shipped = [v for v in kv_utils.all_versions() if int(v.split('.')[1]) <= int(minor.split('.')[1])]
        if int(minor.split('.')[1]) > int(kv_utils.latest_version().split('.')[1]) or not shipped:
            raise HubRenderError('kubernetes-validate %s has no schemas for Kubernetes %s (k3s_version); it has %s '
                                 'to %s' % (kubernetes_validate.__version__, minor, kv_utils.all_versions()[0],
                                            kv_utils.latest_version()))
        self.version = shipped[-1]
        self.folder = 'kubernetes-json-schema/v%s-local-strict' % self.version
        definitions = kv_utils.schema_contents(self.folder + '/_definitions.json', version)
        self.registry = self.resource.from_contents(definitions) @ registry()
        self.validators = {}

    def validator(self, kind, api_version):
        """The validator of a kind, or None when this Kubernetes does not serve it."""
        key = (kind, api_version)
        if key not in self.validators:
            name = '%s/%s-%s.json' % (self.folder, str(kind).lower(),
                                      re.sub(r'^([^./]*)(?:\.[^/]*)?/', r'\1-', str(api_version)))
            try:
                schema = self.kv_utils.schema_contents(name, self.version)
            except (IOError, OSError):
                schema = None
            self.validators[key] = None if schema is None else self.jsonschema.Draft202012Validator(
                schema, registry=self.resource.from_contents(schema) @ self.registry)
        return self.validators[key]


def validate_objects(objects, version):
    """Every problem of ``objects`` (pairs from split_documents) against the strict schemas of Kubernetes
    ``version``: a list of messages naming the object, its template and the field."""
    check_validator()
    version = kube_version(version)
    schemas = _Schemas(version)
    problems = []
    for source, obj in objects:
        where = '%s (%s)' % (object_name(obj), source)
        validator = schemas.validator(obj.get('kind'), obj.get('apiVersion'))
        if validator is None:
            problems.append('%s: apiVersion %s kind %s is not served by Kubernetes %s'
                            % (where, obj.get('apiVersion'), obj.get('kind'), version))
            continue
        for error in sorted(validator.iter_errors(obj), key=lambda e: list(e.absolute_path)):
            problems.append('%s: field %s %s' % (where, field_path(error.absolute_path), _rule(error)))
    return problems


def _pod_spec(obj):
    spec = obj.get('spec') if isinstance(obj.get('spec'), dict) else {}
    if obj.get('kind') == 'Pod':
        return spec
    if obj.get('kind') == 'CronJob':
        spec = ((spec.get('jobTemplate') or {}).get('spec') or {})
    template = spec.get('template') if isinstance(spec.get('template'), dict) else {}
    return template.get('spec') if isinstance(template.get('spec'), dict) else None


def object_images(obj):
    """The container images (init containers included) of an object with a pod template."""
    spec = _pod_spec(obj)
    if not spec:
        return []
    return [container.get('image') for key in ('initContainers', 'containers')
            for container in spec.get(key) or [] if isinstance(container, dict) and container.get('image')]


def ingress_urls(obj):
    """The URLs an Ingress serves: https where its tls section lists the host."""
    if obj.get('kind') != 'Ingress':
        return []
    spec = obj.get('spec') or {}
    tls_hosts = set(host for tls in spec.get('tls') or [] for host in (tls or {}).get('hosts') or [])
    urls = []
    for rule in spec.get('rules') or []:
        host = (rule or {}).get('host')
        if not host:
            continue
        paths = [p.get('path') or '/' for p in ((rule.get('http') or {}).get('paths') or []) if isinstance(p, dict)]
        for path in paths or ['/']:
            urls.append('%s://%s%s' % ('https' if host in tls_hosts else 'http', host, path))
    return urls


def summarise(objects):
    """What a rendering holds, with no value of it: number of objects, kinds, images, URLs."""
    kinds = {}
    images = []
    urls = []
    for _source, obj in objects:
        kinds[obj['kind']] = kinds.get(obj['kind'], 0) + 1
        for image in object_images(obj):
            if image not in images:
                images.append(image)
        for url in ingress_urls(obj):
            if url not in urls:
                urls.append(url)
    return {'objects': len(objects), 'kinds': dict(sorted(kinds.items())), 'images': sorted(images), 'urls': urls}


def _key(obj):
    metadata = obj.get('metadata') if isinstance(obj.get('metadata'), dict) else {}
    return (obj.get('apiVersion'), obj.get('kind'), metadata.get('namespace'), metadata.get('name'))


def _leaves(value, path=()):
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _leaves(item, path + (key,))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _leaves(item, path + (index,))
    else:
        yield path, value


def _flat(objects):
    return dict((_key(obj), dict(_leaves(obj))) for _source, obj in objects)


def generated_fields(first, second):
    """The fields that differ between two renderings of the same values: what the chart generates anew each
    time (z2jh draws the proxy token, cookie secret and CryptKeeper keys, and the checksums of them, when the
    values leave them unset; on a cluster helm's lookup keeps the existing ones)."""
    one, two = _flat(first), _flat(second)
    fields = set()
    for key in set(one) | set(two):
        a, b = one.get(key, {}), two.get(key, {})
        fields.update((key, path) for path in set(a) | set(b) if a.get(path) != b.get(path))
    return fields


def same_but_generated(old_text, objects, generated):
    """Whether the previous manifests ``old_text`` equal ``objects`` except in ``generated`` fields."""
    try:
        old = _flat(split_documents(old_text))
    except HubRenderError:
        return False
    new = _flat(objects)
    if set(old) != set(new):
        return False
    for key, leaves in new.items():
        for path in set(leaves) | set(old[key]):
            if leaves.get(path) != old[key].get(path) and (key, path) not in generated:
                return False
    return True


def render(run, argv, hub, version, secrets=(), previous=None):
    """Run ``argv`` (helm_template_argv) through ``run(argv) -> (rc, stdout, stderr)``, split and validate
    the output. Returns (manifests text, summary). Errors name the hub; helm's error text is scrubbed of
    ``secrets`` and PEM blocks. With ``previous`` (the manifests written before), the chart is rendered twice:
    when the new rendering differs from ``previous`` only where the two renderings differ from each other
    (secrets the chart generates), ``previous`` is returned unchanged, so a re-run changes nothing."""
    def once():
        rc, out, err = run(argv)
        if rc != 0:
            raise HubRenderError('hub %s: helm template failed (rc %s): %s'
                                 % (hub, rc, scrub((err or out or '').strip(), secrets) or 'no message'))
        try:
            return out, split_documents(out)
        except HubRenderError as exc:
            raise HubRenderError('hub %s: %s' % (hub, exc))

    out, objects = once()
    problems = validate_objects(objects, version)
    if problems:
        listed = '\n'.join('- hub %s: %s' % (hub, problem) for problem in problems)
        raise HubRenderError('hub %s: %d object(s) of the rendered chart do not validate against Kubernetes %s; '
                             'nothing was written:\n%s' % (hub, len(problems), kube_version(version), listed))
    if previous is not None and previous != out:
        _again, second = once()
        if same_but_generated(previous, objects, generated_fields(objects, second)):
            out = previous
    return out, summarise(objects)


def sha256(text):
    return hashlib.sha256(text.encode('utf-8')).hexdigest()


def summary_table(results, hubs, charts, render_dir=None):
    """Lines of the render's closing table (hub, kind, chart, objects, images, URLs) from the registered
    loop results of module hub_manifests, then each hub's images and where its files are."""
    by_name = dict((hub.get('name'), hub) for hub in hubs or [] if isinstance(hub, dict))
    rows = [('hub', 'kind', 'chart', 'objects', 'images', 'URLs')]
    details = []
    for result in results or []:
        name = result.get('hub_name') or result.get('item')
        hub = by_name.get(name, {})
        kind = hub.get('kind', '')
        version = hub.get('chart_version') or (charts or {}).get(kind, {}).get('version', '')
        if result.get('skipped'):
            rows.append((name, kind, '%s %s' % (kind, version), '-', '-', 'not rendered (check mode)'))
            continue
        rows.append((name, kind, '%s %s' % (kind, version), str(result.get('objects', '')),
                     str(len(result.get('images') or [])), ' '.join(result.get('urls') or []) or '-'))
        details.append('%s images: %s' % (name, ', '.join(result.get('images') or []) or '-'))
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]) - 1)]
    lines = [' | '.join([cell.ljust(width) for cell, width in zip(row[:-1], widths)] + [row[-1]]) for row in rows]
    lines.insert(1, '-+-'.join('-' * width for width in widths) + '-+-' + '-' * 4)
    lines.extend(details)
    if render_dir:
        lines.append('files (mode 0600): %s/<hub>/values.yaml and manifests.yaml' % render_dir)
    return lines
