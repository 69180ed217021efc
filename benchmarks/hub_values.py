#!/usr/bin/env python3
"""Benchmark: merge + coalesce + JSON-Schema validation of 100 hubs with 5 realistic layers each.

Each hub: role defaults for z2jh, hub_common_values, a values file (YAML text, parsed), inline values,
and a secret layer; coalesced with the real z2jh 4.4.0 defaults and validated against its real schema
(../shared/upstream). Every tenth hub is a BinderHub (BinderHub schema + z2jh schema on `jupyterhub:`).
The traitlets check is timed separately (it imports JupyterHub once per process, then is cheap).

Run:  PYTHONPATH=.ansible/collections python benchmarks/hub_values.py [--hubs 100]
Target: under 20 ms a hub on the project's 2-core machine, schema validation included.
"""
import argparse
import os
import statistics
import sys
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(REPO, '.ansible', 'collections'))

from ansible_collections.versatile.jupyter.plugins.module_utils.hub_values import plan  # noqa: E402
from ansible_collections.versatile.jupyter.plugins.module_utils import hub_values_traitlets  # noqa: E402

UPSTREAM = os.path.join(os.path.dirname(REPO), 'shared', 'upstream')
Z2JH = dict(chart_values=os.path.join(UPSTREAM, 'z2jh-4.4.0-values.yaml'),
            chart_schema=os.path.join(UPSTREAM, 'z2jh-4.4.0-values.schema.yaml'))
BINDER = dict(chart_values=os.path.join(UPSTREAM, 'binderhub-values.yaml'),
              chart_schema=os.path.join(UPSTREAM, 'binderhub-values.schema.yaml'), subchart_key='jupyterhub',
              subchart_values=Z2JH['chart_values'], subchart_schema=Z2JH['chart_schema'])

ROLE_DEFAULTS = {
    'hub': {'db': {'type': 'sqlite-pvc', 'pvc': {'storage': '1Gi'}}, 'networkPolicy': {'enabled': True},
            'config': {'JupyterHub': {'admin_access': False}}},
    'proxy': {'service': {'type': 'ClusterIP'}, 'chp': {'networkPolicy': {'enabled': True}}},
    'scheduling': {'userScheduler': {'enabled': True}, 'podPriority': {'enabled': True},
                   'userPods': {'nodeAffinity': {'matchNodePurpose': 'prefer'}}},
    'cull': {'enabled': True, 'timeout': 3600, 'every': 600},
    'prePuller': {'hook': {'enabled': False}},
}
COMMON = {
    'ingress': {'enabled': True, 'ingressClassName': 'traefik',
                'annotations': {'cert-manager.io/cluster-issuer': 'lab-ca'}},
    'singleuser': {'storage': {'type': 'dynamic', 'capacity': '10Gi', 'dynamic': {'storageClass': 'nfs-client'}},
                   'memory': {'limit': '4G', 'guarantee': '1G'}, 'cpu': {'limit': 2, 'guarantee': 0.5}},
    'debug': {'enabled': False},
}
VALUES_FILE = '''\
singleuser:
  image:
    name: quay.io/lab/hub-{n}
    tag: "2026.{m}"
  defaultUrl: /lab
  profileList:
    - display_name: "Standard"
      default: true
    - display_name: "Large"
      kubespawner_override:
        cpu_limit: 8
        mem_limit: 32G
  extraEnv:
    LAB_NAME: hub-{n}
hub:
  extraConfig:
    10-custom: |
      c.Spawner.start_timeout = 600
      c.KubeSpawner.http_timeout = 120
cull:
  timeout: {timeout}
'''


def hub_layers(n):
    inline = {'ingress': {'hosts': ['hub-%d.hub.example.org' % n],
                          'tls': [{'hosts': ['hub-%d.hub.example.org' % n], 'secretName': 'hub-%d-tls' % n}]},
              'hub': {'config': {'JupyterHub': {'authenticator_class': 'github'},
                                 'GitHubOAuthenticator': {'client_id': 'hub-%d' % n,
                                                          'oauth_callback_url': 'https://hub-%d/hub/oauth_callback' % n,
                                                          'allowed_organizations': ['lab']}}}}
    secrets = {'hub': {'config': {'GitHubOAuthenticator': {'client_secret': 'secret-%032x' % n}},
                       'cookieSecret': '%064x' % n}}
    return [
        {'name': 'defaults:jupyterhub', 'values': ROLE_DEFAULTS},
        {'name': 'hub_common_values', 'values': COMMON},
        {'name': 'files/hubs/hub-%d.values.yaml' % n, 'values': VALUES_FILE.format(n=n, m=n % 12 + 1,
                                                                                   timeout=3600 + n)},
        {'name': 'hubs[hub-%d].values' % n, 'values': inline},
        {'name': 'secrets', 'values': secrets, 'secret': True},
    ]


def binder_layers(n):
    layers = hub_layers(n)
    for layer in layers:
        if isinstance(layer['values'], dict):
            layer['values'] = {'jupyterhub': layer['values']}
        else:
            layer['values'] = 'jupyterhub:\n' + ''.join('  ' + line + '\n' for line in layer['values'].splitlines())
    layers.append({'name': 'binder', 'values': {'config': {'BinderHub': {'use_registry': True,
                                                                            'image_prefix': 'registry.lab/binder/h%d-' % n}},
                                                 'imageBuilderType': 'pink'}})
    return layers


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--hubs', type=int, default=100)
    args = parser.parse_args()
    if not os.path.isfile(Z2JH['chart_schema']):
        sys.exit('../shared/upstream is missing: the benchmark needs the real z2jh schema')

    cases = []
    for n in range(args.hubs):
        if n % 10 == 9:
            cases.append(dict(BINDER, layers=binder_layers(n), traitlets='never'))
        else:
            cases.append(dict(Z2JH, layers=hub_layers(n), traitlets='never'))

    # Once per process: read the chart files and compile the schemas (z2jh, and BinderHub + z2jh).
    start = time.perf_counter()
    plan(dict(cases[0]))
    if len(cases) > 9:
        plan(dict(cases[9]))
    first = time.perf_counter() - start

    times = []
    cpu_start = time.process_time()
    for case in cases:
        start = time.perf_counter()
        plan(dict(case))
        times.append(time.perf_counter() - start)
    cpu = time.process_time() - cpu_start
    total = sum(times)
    times_ms = sorted(t * 1000 for t in times)

    start = time.perf_counter()
    registry = hub_values_traitlets.load_registry()
    import_s = time.perf_counter() - start
    trait_times = []
    for case in cases[:20]:
        start = time.perf_counter()
        plan(dict(case, traitlets='always'))
        trait_times.append((time.perf_counter() - start) * 1000)

    print('hub_values benchmark: %d hubs x %d+ layers (merge + coalesce + draft-7 schema validation)'
          % (len(cases), len(hub_layers(0))))
    print('  once: read and compile both charts\' schemas: %7.1f ms' % (first * 1000))
    print('  machine load average (1, 5, 15 min)        : %s on %d CPUs' % (
        ', '.join('%.1f' % x for x in os.getloadavg()), os.cpu_count()))
    print('  per hub, mean (wall clock)                 : %7.2f ms' % (total * 1000 / len(cases)))
    print('  per hub, mean (CPU time of this process)   : %7.2f ms' % (cpu * 1000 / len(cases)))
    print('  per hub, median                            : %7.2f ms' % statistics.median(times_ms))
    print('  per hub, p95                               : %7.2f ms' % times_ms[int(len(times_ms) * 0.95) - 1])
    print('  per hub, max                               : %7.2f ms' % times_ms[-1])
    print('  all %d hubs                                : %7.1f ms' % (len(cases), total * 1000))
    print('  target < 20 ms a hub, wall clock           : %s' % ('met' if total * 1000 / len(cases) < 20 else 'NOT met'))
    print('  target < 20 ms a hub, CPU time             : %s' % ('met' if cpu * 1000 / len(cases) < 20 else 'NOT met'))
    print('traitlets check (hub.config against the real classes):')
    print('  importing jupyterhub & co, once per process: %7.1f ms (missing: %s)'
          % (import_s * 1000, ', '.join(registry.missing) or 'none'))
    print('  per hub with the check, mean               : %7.2f ms' % statistics.mean(trait_times))


if __name__ == '__main__':
    main()
