"""versatile.jupyter.hub_values through a real ansible-playbook run against localhost.

Checks what a user sees: --check writes nothing, --diff shows a masked diff, the first run writes the
file with mode 0600, the second run is changed=0, a bad layer fails with the layer's name and no
traceback, and the secret never appears in the output, even with -vvv.
"""
import os
import stat
import subprocess
import sys
import textwrap

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
UPSTREAM = os.path.join(os.path.dirname(REPO), 'shared', 'upstream')
Z2JH_VALUES = os.path.join(UPSTREAM, 'z2jh-4.4.0-values.yaml')
Z2JH_SCHEMA = os.path.join(UPSTREAM, 'z2jh-4.4.0-values.schema.yaml')
SECRET = 'gh-client-secret-9f8e7d6c'
PLAYBOOK = os.path.join(os.path.dirname(sys.executable), 'ansible-playbook')

pytestmark = pytest.mark.skipif(not os.path.exists(PLAYBOOK), reason='ansible-playbook is not beside %s' % sys.executable)


def write_playbook(tmp_path, tag='2026.11', broken=False):
    (tmp_path / 'physics.values.yaml').write_text(
        'singleuser:\n  image:\n    name: quay.io/lab/physics\n    tag: "%s"\n' % tag if not broken
        else 'singleuser:\n  image: [unclosed\n')
    contract = ''
    if os.path.isfile(Z2JH_VALUES) and os.path.isfile(Z2JH_SCHEMA):
        contract = 'chart_values: %s\n        chart_schema: %s' % (Z2JH_VALUES, Z2JH_SCHEMA)
    playbook = tmp_path / 'site.yml'
    playbook.write_text(textwrap.dedent('''\
        - name: Hub values through the real module
          hosts: localhost
          gather_facts: false
          tasks:
            - name: Merge and validate the values of hub physics
              versatile.jupyter.hub_values:
                layers:
                  - name: "defaults:jupyterhub"
                    values: {{hub: {{db: {{type: sqlite-pvc}}}}}}
                  - name: files/hubs/physics.values.yaml
                    values: "{{{{ lookup('ansible.builtin.file', '{src}') }}}}"
                  - name: secrets
                    secret: true
                    values:
                      hub:
                        config:
                          GitHubOAuthenticator: {{client_id: physics, client_secret: "{{{{ hv_secret }}}}"}}
                          JupyterHub: {{authenticator_class: github}}
                {contract}
                dest: {dest}
                explain: true
        ''').format(src=tmp_path / 'physics.values.yaml', dest=tmp_path / 'out' / 'physics.yaml',
                    contract=contract))
    (tmp_path / 'out').mkdir(exist_ok=True)
    # The secret comes from a vars file, as it would from a vault, not from the playbook's source
    # (Ansible quotes the playbook's source lines around a failed task).
    (tmp_path / 'secrets.yml').write_text('hv_secret: %s\n' % SECRET)
    return playbook


def play(tmp_path, playbook, *args):
    config = tmp_path / 'ansible.cfg'
    config.write_text('[defaults]\nhost_key_checking = false\n')
    env = dict(os.environ,
               ANSIBLE_COLLECTIONS_PATH=os.path.join(REPO, '.ansible', 'collections'),
               ANSIBLE_NOCOLOR='1', ANSIBLE_FORCE_COLOR='0', ANSIBLE_RETRY_FILES_ENABLED='0',
               ANSIBLE_LOCAL_TEMP=str(tmp_path / 'ansible-tmp'), ANSIBLE_CONFIG=str(config))
    cmd = [PLAYBOOK, '-i', 'localhost,', '-c', 'local', '-e', 'ansible_python_interpreter=%s' % sys.executable,
           '-e', '@%s' % (tmp_path / 'secrets.yml'), str(playbook)] + list(args)
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=str(tmp_path), timeout=300, check=False)
    return proc.returncode, proc.stdout + proc.stderr


def recap(output):
    line = [ln for ln in output.splitlines() if ln.startswith('localhost') and 'ok=' in ln]
    assert line, output
    return line[-1]


def test_check_diff_write_idempotence_and_no_secret_in_output(tmp_path):
    playbook = write_playbook(tmp_path)
    dest = tmp_path / 'out' / 'physics.yaml'

    rc, out = play(tmp_path, playbook, '--check', '--diff', '-vvv')
    assert rc == 0, out
    assert 'changed=1' in recap(out) and not dest.exists()
    assert "tag: '2026.11'" in out and "client_secret: '********'" in out
    assert SECRET not in out

    rc, out = play(tmp_path, playbook, '--diff', '-vvv')
    assert rc == 0, out
    assert 'changed=1' in recap(out)
    assert stat.S_IMODE(os.stat(str(dest)).st_mode) == 0o600
    assert SECRET in dest.read_text()
    assert SECRET not in out
    assert 'hub.config.GitHubOAuthenticator.client_secret = ********  <- layer 3 secrets' in out

    rc, out = play(tmp_path, playbook, '--diff', '-vvv')
    assert rc == 0, out
    assert 'changed=0' in recap(out) and SECRET not in out

    write_playbook(tmp_path, tag='2026.12')
    rc, out = play(tmp_path, playbook, '--check', '--diff')
    assert rc == 0 and 'changed=1' in recap(out), out
    assert "-    tag: '2026.11'" in out and "+    tag: '2026.12'" in out
    assert "tag: '2026.11'" in dest.read_text()


def test_bad_layer_fails_with_its_name_and_no_traceback(tmp_path):
    playbook = write_playbook(tmp_path, broken=True)
    rc, out = play(tmp_path, playbook, '-vvv')
    assert rc != 0
    assert 'failed=1' in recap(out)
    assert 'layer 2 files/hubs/physics.values.yaml: YAML error at line 2' in out
    assert 'Traceback' not in out and SECRET not in out
    assert not (tmp_path / 'out' / 'physics.yaml').exists()
