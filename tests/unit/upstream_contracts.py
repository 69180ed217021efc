"""The real chart contracts in ../shared/upstream (values and schemas of z2jh 4.4.0 and BinderHub), shared by
the hub_values unit tests, and the mark that skips a test when they are absent."""
import os

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
UPSTREAM = os.path.join(os.path.dirname(REPO), 'shared', 'upstream')
Z2JH_VALUES = os.path.join(UPSTREAM, 'z2jh-4.4.0-values.yaml')
Z2JH_SCHEMA = os.path.join(UPSTREAM, 'z2jh-4.4.0-values.schema.yaml')
BINDER_VALUES = os.path.join(UPSTREAM, 'binderhub-values.yaml')
BINDER_SCHEMA = os.path.join(UPSTREAM, 'binderhub-values.schema.yaml')
needs_upstream = pytest.mark.skipif(
    not all(os.path.isfile(p) for p in (Z2JH_VALUES, Z2JH_SCHEMA, BINDER_VALUES, BINDER_SCHEMA)),
    reason='the upstream chart values/schemas are not in ../shared/upstream (see its README)')
