"""Module behaviour: check mode, diff, idempotence, mode 0600, secrets, clean failures.

plan()/apply() are what main() calls; the last tests run the module file itself as Ansible does (a
process reading its arguments from a JSON file) to check the output and the failure path end to end.
"""
import json
import os
import pathlib
import stat
import subprocess
import sys

import pytest

from ansible_collections.versatile.jupyter.plugins.module_utils.hub_values import plan
from ansible_collections.versatile.jupyter.plugins.module_utils.hub_values_merge import HubValuesError

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
MODULE = os.path.join(REPO, 'plugins', 'modules', 'hub_values.py')
SECRET = 'Sup3r-s3cret-value'


def params(dest, tag='2026.11', secret=SECRET, **extra):
    out = {
        'layers': [
            {'name': 'defaults:jupyterhub', 'values': {'hub': {'db': {'type': 'sqlite-pvc'}}}},
            {'name': 'files/hubs/physics.values.yaml', 'values': 'singleuser:\n  image:\n    tag: "%s"\n' % tag},
            {'name': 'secrets', 'secret': True,
             'values': {'hub': {'config': {'GitHubOAuthenticator': {'client_secret': secret}}}}},
        ],
        'dest': str(dest), 'traitlets': 'never', 'mode': '0600',
    }
    out.update(extra)
    return out


def run(p, check=False, diff=False):
    """The module itself, as a process (it writes with Ansible's atomic move and file arguments); a failure
    is raised as HubValuesError with the module's message."""
    import tempfile
    with tempfile.TemporaryDirectory(prefix='hv-args-') as scratch:
        _proc, result = _run_module(pathlib.Path(scratch), p, diff=diff, check=check)
    if result.get('failed'):
        raise HubValuesError(result['msg'])
    return result


def test_check_mode_writes_nothing_but_reports_the_change(tmp_path):
    dest = tmp_path / 'physics.yaml'
    result = run(params(dest), check=True, diff=True)
    assert result['changed'] is True and not dest.exists()
    assert SECRET not in json.dumps(result)


def test_write_then_idempotent(tmp_path):
    dest = tmp_path / 'physics.yaml'
    first = run(params(dest))
    assert first['changed'] is True
    assert stat.S_IMODE(os.stat(str(dest)).st_mode) == 0o600
    assert SECRET in dest.read_text()  # the file itself holds the secret (mode 0600)
    second = run(params(dest))
    assert second['changed'] is False and second['sha256'] == first['sha256']


def test_diff_is_masked_and_tells_a_secret_changed(tmp_path):
    dest = tmp_path / 'physics.yaml'
    run(params(dest))
    result = run(params(dest, tag='2026.12', secret='another-secret'), check=True, diff=True)
    diff = result['diff']
    assert result['changed'] is True
    assert "tag: '2026.11'" in diff['before'] and "tag: '2026.12'" in diff['after']
    assert '******** (changed)' in diff['after']
    assert '(changed)' not in diff['before'] and "client_secret: '********'" in diff['before']
    text = json.dumps(result)
    assert SECRET not in text and 'another-secret' not in text
    assert dest.read_text().count(SECRET) == 1  # check mode left the file alone


def test_values_removed_from_the_layers_are_masked_in_the_before_text(tmp_path):
    dest = tmp_path / 'physics.yaml'
    dest.write_text('old:\n  leftover: maybe-a-secret\nsingleuser:\n  image:\n    tag: x\n')
    diff = run(params(dest), check=True, diff=True)['diff']
    assert 'maybe-a-secret' not in diff['before'] and 'leftover:' in diff['before']


def test_mode_drift_is_a_change_and_is_fixed(tmp_path):
    dest = tmp_path / 'physics.yaml'
    run(params(dest))
    os.chmod(str(dest), 0o644)
    assert run(params(dest), check=True)['changed'] is True
    assert stat.S_IMODE(os.stat(str(dest)).st_mode) == 0o644
    assert run(params(dest))['changed'] is True
    assert stat.S_IMODE(os.stat(str(dest)).st_mode) == 0o600


def test_bad_layer_fails_before_writing(tmp_path):
    dest = tmp_path / 'physics.yaml'
    p = params(dest)
    p['layers'][1]['values'] = 'singleuser:\n  image: [\n'
    with pytest.raises(HubValuesError, match='layer 2 files/hubs/physics.values.yaml: YAML error at line 3'):
        run(p)
    p['layers'][1]['values'] = '- not\n- a mapping\n'
    with pytest.raises(HubValuesError, match='layer 2 .*expected a mapping'):
        run(p)
    assert not dest.exists()


def test_layer_from_a_file_and_missing_file(tmp_path):
    src = tmp_path / 'hub.values.yaml'
    src.write_text('singleuser:\n  defaultUrl: /lab\n')
    p = params(tmp_path / 'out.yaml')
    p['layers'].append({'path': str(src)})
    out = plan(dict(p, explain=True))
    assert 'singleuser.defaultUrl = "/lab"  <- layer 4 %s' % src in out['explain']
    p['layers'][-1] = {'path': str(tmp_path / 'nope.yaml')}
    with pytest.raises(HubValuesError, match='layer 4 .*nope.yaml: cannot read'):
        plan(p)


def _run_module(tmp_path, args, diff=False, check=False):
    args = dict(args, _ansible_diff=diff, _ansible_check_mode=check)
    path = tmp_path / 'args.json'
    path.write_text(json.dumps({'ANSIBLE_MODULE_ARGS': args}))
    env = dict(os.environ, PYTHONPATH=os.path.join(REPO, '.ansible', 'collections'))
    proc = subprocess.run([sys.executable, MODULE, str(path)], capture_output=True, text=True, env=env,
                          timeout=120, check=False)
    return proc, json.loads(proc.stdout)


def test_module_process_output_has_no_secret(tmp_path):
    proc, result = _run_module(tmp_path, params(tmp_path / 'out.yaml', explain=True), diff=True)
    assert result.get('failed') is not True, result
    assert result['changed'] is True and (tmp_path / 'out.yaml').exists()
    assert SECRET not in proc.stdout and SECRET not in proc.stderr
    layers = result['invocation']['module_args']['layers']
    assert [layer['name'] for layer in layers] == ['defaults:jupyterhub', 'files/hubs/physics.values.yaml', 'secrets']
    assert 'hub.config.GitHubOAuthenticator.client_secret = ********  <- layer 3 secrets' in result['explain']


def test_module_process_fails_cleanly_with_paths_and_layer_names(tmp_path):
    p = params(tmp_path / 'out.yaml')
    p['layers'][1]['values'] = 'singleuser: [oops\n'
    proc, result = _run_module(tmp_path, p)
    assert result['failed'] is True and 'Traceback' not in proc.stdout + proc.stderr
    assert 'layer 2 files/hubs/physics.values.yaml: YAML error at line 2' in result['msg']
    assert SECRET not in proc.stdout and not (tmp_path / 'out.yaml').exists()


def test_contract_options_are_checked(tmp_path):
    values = tmp_path / 'values.yaml'
    values.write_text('a: 1\n')
    base = {'layers': [{'name': 'l', 'values': {}}]}
    with pytest.raises(HubValuesError, match='need subchart_key'):
        plan(dict(base, chart_values=str(values), subchart_values=str(values)))
    with pytest.raises(HubValuesError, match='needs its parent chart'):
        plan(dict(base, subchart_key='jupyterhub', subchart_values=str(values)))
    with pytest.raises(HubValuesError, match='has no subchart of that name'):
        plan(dict(base, chart_values=str(values), subchart_key='jupyterhub'))
    with pytest.raises(HubValuesError, match='cannot read'):
        plan(dict(base, chart_values=str(tmp_path / 'missing.yaml')))
    with pytest.raises(HubValuesError, match='expected a non-empty list'):
        plan({'layers': []})
    with pytest.raises(HubValuesError, match='mode: expected an octal'):
        run(params(tmp_path / 'x.yaml', mode='rw-'))


def test_a_destination_that_cannot_be_written_fails_clearly(tmp_path):
    """No traceback and no "please report it": the message names dest and why (checked before writing
    where it can be; /proc refuses new files even to root)."""
    with pytest.raises(HubValuesError, match=r'^dest .*/missing/v.yaml: directory .*/missing does not exist$'):
        run(params(tmp_path / 'missing' / 'v.yaml'))
    with pytest.raises(HubValuesError, match=r'^dest .*: is a directory; expected the path of the values file$'):
        run(params(tmp_path))
    with pytest.raises(HubValuesError, match=r"^cannot write dest /proc/hub-values-test.yaml: The destination "
                                             r"directory '/proc' is not writable"):
        run(params('/proc/hub-values-test.yaml'))
    assert sorted(os.listdir(str(tmp_path))) == []


def test_check_mode_reports_a_new_file_in_a_folder_not_made_yet(tmp_path):
    """In check mode the task that creates dest's folder did not run either (playbooks/render.yml --check):
    the file is reported as new, nothing is made, and a real run still refuses the missing folder."""
    result = run(params(tmp_path / 'missing' / 'v.yaml'), check=True)
    assert result['changed'] is True
    assert sorted(os.listdir(str(tmp_path))) == []


def test_file_arguments_set_mode_and_symbolic_modes(tmp_path):
    dest = tmp_path / 'physics.yaml'
    result = run(params(dest, mode='u=rw,g=r,o='))
    assert result['changed'] is True and stat.S_IMODE(os.stat(str(dest)).st_mode) == 0o640
    assert run(params(dest, mode='u=rw,g=r,o='))['changed'] is False
    assert run(params(dest, mode='0600'))['changed'] is True
    assert stat.S_IMODE(os.stat(str(dest)).st_mode) == 0o600 and SECRET in dest.read_text()
