# -*- coding: utf-8 -*-
# Test helper, not part of the collection: a callback that loses nodes in the middle of a real ansible-playbook run.
"""When a play whose name is in STOP_AT_PLAY starts, stop the podman containers named for it, so that a node is lost
between two plays of the run exactly as a machine that goes off would be (tests/integration/test_k3s_faults.py).

STOP_AT_PLAY is JSON: {"<play name>": ["<container>", ...], ...}. Enable with ANSIBLE_CALLBACK_PLUGINS=<this folder>
and ANSIBLE_CALLBACKS_ENABLED=stop_at_play.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = """
name: stop_at_play
type: aggregate
short_description: "Test helper: stop podman containers when a named play starts"
description: Stops the containers listed for a play in the JSON environment variable STOP_AT_PLAY when it starts.
requirements: [podman]
"""

import json
import os
import subprocess

from ansible.plugins.callback import CallbackBase


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "aggregate"
    CALLBACK_NAME = "stop_at_play"
    CALLBACK_NEEDS_ENABLED = True

    def __init__(self):
        super(CallbackModule, self).__init__()
        self.plan = json.loads(os.environ.get("STOP_AT_PLAY") or "{}")

    def v2_playbook_on_play_start(self, play):
        for name in self.plan.pop(play.get_name().strip(), []):
            subprocess.run(["podman", "stop", "-t", "0", name], check=True, capture_output=True)
            self._display.display("stop_at_play: stopped %s as play %r starts" % (name, play.get_name()))
