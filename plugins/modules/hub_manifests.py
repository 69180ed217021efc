#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) versatile.jupyter contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
---
module: hub_manifests
short_description: Render a hub's chart with helm template and validate every object against Kubernetes
version_added: 0.1.0
description:
  - Runs C(helm template) on the host where the module runs for the release I(name) in namespace
    I(namespace), with the merged values file (module versatile.jupyter.hub_values), the Kubernetes version of
    I(k3s_version) and the API versions that Kubernetes serves, hooks included and chart tests left out, so
    the objects are those C(helm upgrade --install) would apply.
  - Validates every object strictly (unknown fields are errors) against that Kubernetes version's own schemas
    with the Python package kubernetes-validate, offline. Errors name the hub, the object (kind/name and its
    template) and the field, never a value.
  - Writes I(dest) (mode C(0600); it holds the hub's Secret) only when every object validates and its content
    changed.
  - Charts generate some secrets when the values leave them unset (z2jh generates the proxy token, cookie secret
    and CryptKeeper keys). On a cluster helm's C(lookup) keeps the existing ones; C(helm template) has no cluster
    and draws new ones each time. So when I(dest) exists the chart is rendered twice, and a rendering that
    differs from I(dest) only in fields that differ between the two renderings leaves I(dest) unchanged.
  - Returns a summary (objects, kinds, container images, URLs), never the manifests or the values.
author:
  - versatile.jupyter contributors (@versatile)
options:
  name:
    description: The hub, its release name and (unless I(namespace) is given) its namespace.
    type: str
    required: true
  namespace:
    description: The release namespace; defaults to I(name) as role versatile.jupyter.hub deploys it.
    type: str
  chart_dir:
    description: The unpacked chart (C(helm pull --untar)), subcharts included.
    type: path
    required: true
  values_file:
    description: The merged values file of the hub.
    type: path
    required: true
  k3s_version:
    description: The cluster's k3s release (C(v1.31.4+k3s1)) or Kubernetes version (C(1.31.4)).
    type: str
    required: true
  api_versions:
    description:
      - The group/version/Kind strings passed as C(--api-versions); default is what Kubernetes of
        I(k3s_version) and k3s serve (C(policy/v1/PodDisruptionBudget), C(networking.k8s.io/v1/Ingress) ...).
    type: list
    elements: str
  helm:
    description: The helm binary on the host where the module runs (a name on C(PATH) or a path).
    type: str
    default: helm
  dest:
    description: The manifests file to write. Without it the module renders and validates only.
    type: path
  mode:
    description: File mode of I(dest).
    type: raw
    default: '0600'
attributes:
  check_mode:
    support: full
    description: C(helm template) and the validation run (they change nothing); I(dest) is not written.
  diff_mode:
    support: none
    description: The manifests hold the hub's Secret; no diff of them is shown.
notes:
  - Requires the Python package kubernetes-validate (requirements.txt) and a helm 3 binary.
seealso:
  - module: versatile.jupyter.hub_values
'''

EXAMPLES = r'''
- name: Render and validate hub physics for the cluster's Kubernetes
  versatile.jupyter.hub_manifests:
    name: physics
    chart_dir: /home/me/charts/jupyterhub-4.4.0
    values_file: rendered/physics/values.yaml
    k3s_version: v1.31.4+k3s1
    helm: /usr/local/bin/helm
    dest: rendered/physics/manifests.yaml
'''

RETURN = r'''
dest:
  description: The manifests file.
  returned: when I(dest) is given
  type: str
sha256:
  description: SHA-256 of the manifests.
  returned: success
  type: str
objects:
  description: Number of objects.
  returned: success
  type: int
kinds:
  description: Number of objects of each kind.
  returned: success
  type: dict
  sample: {Deployment: 3, Ingress: 1}
images:
  description: Container images of the objects' pod templates.
  returned: success
  type: list
  elements: str
urls:
  description: URLs the release's Ingresses serve.
  returned: success
  type: list
  elements: str
kube_version:
  description: The Kubernetes version rendered and validated for.
  returned: success
  type: str
'''

import os
import stat

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.versatile.jupyter.plugins.module_utils.hub_render import (
    HubRenderError, check_validator, helm_template_argv, kube_version, render, sha256)
from ansible_collections.versatile.jupyter.plugins.module_utils.hub_secrets import layer_secrets
from ansible_collections.versatile.jupyter.plugins.module_utils.hub_values_render import atomic_write, read_bytes
from ansible_collections.versatile.jupyter.plugins.module_utils.hub_values_merge import HubValuesError


def _mode(value):
    if isinstance(value, int):
        return value
    return int(str(value), 8)


def main():
    module = AnsibleModule(
        argument_spec=dict(
            name=dict(type='str', required=True),
            namespace=dict(type='str'),
            chart_dir=dict(type='path', required=True),
            values_file=dict(type='path', required=True),
            k3s_version=dict(type='str', required=True),
            api_versions=dict(type='list', elements='str'),
            helm=dict(type='str', default='helm'),
            dest=dict(type='path'),
            mode=dict(type='raw', default='0600'),
        ),
        supports_check_mode=True,
    )
    params = module.params
    hub = params['name']
    try:
        check_validator()
        version = kube_version(params['k3s_version'])
        for what in ('chart_dir', 'values_file'):
            if not os.path.exists(params[what]):
                raise HubRenderError('hub %s: %s %s does not exist' % (hub, what, params[what]))
        helm = params['helm'] if os.sep in params['helm'] else module.get_bin_path(params['helm'])
        if not helm or not os.access(helm, os.X_OK):
            raise HubRenderError('hub %s: no helm binary at %s: install helm 3 on the controller, or name it '
                                 'with hub_render_helm (or the HELM_BIN environment variable)'
                                 % (hub, params['helm']))
        # Helm's errors may quote values: the secret-named values of the file are masked in them.
        secrets = layer_secrets([{'name': 'values', 'path': params['values_file']}])
        argv = helm_template_argv(helm, params['chart_dir'], hub, params['namespace'] or hub,
                                  params['values_file'], version, params['api_versions'])
        dest = params['dest']
        before = read_bytes(dest) if dest else None
        text, summary = render(lambda cmd: module.run_command(cmd, environ_update={'HELM_NAMESPACE': ''}),
                               argv, hub, version, secrets,
                               previous=before.decode('utf-8', 'replace') if before is not None else None)
        result = dict(summary, changed=False, sha256=sha256(text), kube_version=version)
        if dest:
            mode = _mode(params['mode'])
            content = text.encode('utf-8')
            mode_changed = before is not None and stat.S_IMODE(os.stat(dest).st_mode) != mode
            result['dest'] = dest
            result['changed'] = before != content or mode_changed
            if result['changed'] and not module.check_mode:
                if before != content:
                    atomic_write(dest, content, mode)
                else:
                    os.chmod(dest, mode)
    except (HubRenderError, HubValuesError) as exc:
        module.fail_json(msg=str(exc))
    module.exit_json(**result)


if __name__ == '__main__':
    main()
