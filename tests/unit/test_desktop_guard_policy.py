"""The desktop guard's policy as plain functions (roles/desktop_guard/files/desktop_guard.py), against a table of
loginctl and /proc situations in tests/fixtures/desktop_guard/ (see its README for where each comes from)."""
import importlib.util
import json
import math
import os

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
FIXTURES = os.path.join(REPO, "tests", "fixtures", "desktop_guard")
_spec = importlib.util.spec_from_file_location(
    "desktop_guard", os.path.join(REPO, "roles", "desktop_guard", "files", "desktop_guard.py"))
dg = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(dg)

TYPES = dg.DEFAULTS["session_types"]
NOW = 1796126400.0  # 2026-12-01 12:00:00 UTC, a Tuesday
CFG = {"evict_after": 600, "idle_after": 1800, "evict_retry": 60}
POD = {"name": "jupyter-alice", "namespace": "physics", "uid": "u1", "labels": {}, "ready": True}


def fixture(name):
    with open(os.path.join(FIXTURES, name), encoding="utf-8") as f:
        return f.read()


# --- loginctl situations --------------------------------------------------------------------------------------
# (fixture, owner sessions counted, owner active, input idle seconds at NOW)
SITUATIONS = [
    ("no-sessions.txt", 0, False, None),
    ("gnome-active.txt", 1, True, 0.0),
    ("gnome-locked-idle.txt", 1, False, 1500.0),
    ("gdm-greeter-only.txt", 0, False, None),
    ("ssh-admin-only.txt", 0, False, None),
    ("tty-idle-and-ssh.txt", 1, False, 600.0),
    ("closing-after-logout.txt", 0, False, None),
    ("two-users-one-active.txt", 2, True, 0.0),
    ("idle-without-since.txt", 1, False, math.inf),
]


@pytest.mark.parametrize("name,count,active,idle", SITUATIONS)
def test_loginctl_situations(name, count, active, idle):
    sessions = dg.owner_sessions(dg.parse_sessions(fixture("loginctl/" + name)), TYPES)
    assert len(sessions) == count
    assert dg.owner_active(sessions, None, 1.0) is active
    assert dg.input_idle_seconds(sessions, NOW) == idle


def test_list_sessions_ids():
    assert dg.session_ids(fixture("loginctl/list-sessions.txt")) == ["2", "c1", "5"]
    assert dg.session_ids("") == []


def test_remote_sessions_count_only_when_asked():
    sessions = dg.parse_sessions(fixture("loginctl/ssh-admin-only.txt"))
    assert dg.owner_sessions(sessions, TYPES) == []
    assert len(dg.owner_sessions(sessions, TYPES, remote=True)) == 1
    assert dg.owner_sessions(sessions, TYPES, remote=True, ignore_users=["admin"]) == []


# --- /proc and cgroup situations ------------------------------------------------------------------------------

def test_proc_stat_busy_seconds_of_a_recorded_pair():
    """Two /proc/stat samples 2 s apart on the (busy) 2-CPU test machine: both CPUs were busy."""
    before, after = (dg.parse_proc_stat(fixture("proc/stat-%s.txt" % n)) for n in ("a", "b"))
    assert after - before == pytest.approx(4.06)
    assert dg.outside_load((0.0, before, 0.0), (2.0, after, 0.0)) == pytest.approx(2.03)


@pytest.mark.parametrize("name,seconds", [("cgroup2-cpu.stat.txt", 3795.123456), ("cgroup1-cpuacct.usage.txt", 12.5)])
def test_cgroup_cpu_seconds(name, seconds):
    assert dg.parse_cgroup_cpu(fixture("proc/" + name)) == pytest.approx(seconds)


def test_cgroup_garbage_is_refused():
    with pytest.raises(ValueError):
        dg.parse_cgroup_cpu("nr_periods 0\n")
    with pytest.raises(ValueError):
        dg.parse_proc_stat("intr 1 2 3\n")


# (machine busy s, k3s busy s) deltas over 10 s -> CPUs busy outside k3s, owner active at threshold 1.0
LOADS = [
    ((20.0, 19.0), 0.1, False),   # a notebook computing on both cores, the owner away
    ((18.0, 2.0), 1.6, True),     # the owner compiling while a pod idles
    ((1.0, 0.5), 0.05, False),    # nothing running
    ((5.0, 6.0), 0.0, False),     # k3s counted a little more than the machine between samples: never negative
]


@pytest.mark.parametrize("delta,load,active", LOADS)
def test_load_outside_k3s(delta, load, active):
    got = dg.outside_load((100.0, 5000.0, 3000.0), (110.0, 5000.0 + delta[0], 3000.0 + delta[1]))
    assert got == pytest.approx(load)
    assert dg.owner_active([], got, 1.0) is active
    assert dg.owner_active([], got, 0) is False  # threshold 0: the load signal is off


# --- Allowed hours ----------------------------------------------------------------------------------------------

HOURS = ["mon-fri 18:00-08:00", "sat,sun"]


@pytest.mark.parametrize("weekday,time,allowed", [
    (0, "12:00", False), (0, "18:00", True), (0, "23:59", True), (1, "07:59", True), (1, "08:00", False),
    (4, "19:00", True), (5, "07:00", True),   # Friday evening runs into Saturday, which is allowed anyway
    (5, "12:00", True), (6, "23:00", True), (0, "07:00", False),  # Monday morning: Sunday's window ended
])
def test_allowed_hours(weekday, time, allowed):
    hours, minutes = map(int, time.split(":"))
    assert dg.in_hours(dg.parse_hours(HOURS), weekday, hours * 60 + minutes) is allowed


def test_overnight_window_belongs_to_its_start_day():
    windows = dg.parse_hours(["fri 22:00-06:00"])
    assert dg.in_hours(windows, 4, 23 * 60) and dg.in_hours(windows, 5, 5 * 60)
    assert not dg.in_hours(windows, 3, 23 * 60) and not dg.in_hours(windows, 4, 5 * 60)


def test_no_hours_means_always_and_daily_and_wrapping_ranges():
    assert dg.in_hours(dg.parse_hours([]), 2, 600)
    assert dg.in_hours(dg.parse_hours(["daily 20:00-24:00"]), 3, 21 * 60)
    assert dg.in_hours(dg.parse_hours(["sat-mon"]), 0, 600) and not dg.in_hours(dg.parse_hours(["sat-mon"]), 1, 600)


@pytest.mark.parametrize("bad,message", [
    (["weekdays 18:00-08:00"], "unknown day in 'weekdays'"),
    (["mon-fri 18:00"], "the time range is HH:MM-HH:MM"),
    (["mon-fri 18-08"], "times are HH:MM between"),
    (["mon 25:00-26:00"], "times are HH:MM between 00:00 and 24:00"),
    (["mon 18:00-08:00 extra"], "expected \"DAYS [HH:MM-HH:MM]\""),
    ("mon-fri 18:00-08:00", "must be a list"),
])
def test_bad_hours_are_named(bad, message):
    with pytest.raises(dg.ConfigError, match=message.replace("[", r"\[").replace("]", r"\]")):
        dg.parse_hours(bad)


# --- The decision -----------------------------------------------------------------------------------------------

def obs(now, active, tainted, input_idle=None, allowed=True, pods=()):
    return {"now": now, "active": active, "tainted": tainted, "input_idle": input_idle, "allowed": allowed,
            "pods": list(pods)}


def run(steps, state=None):
    """Feed observations through decide(); return every step's action names."""
    state = state or dg.new_state()
    out = []
    for o in steps:
        state, actions = dg.decide(state, o, CFG)
        out.append([a[0] for a in actions])
    return out, state


def test_owner_arrives_stays_and_leaves():
    steps = [obs(0, False, False), obs(5, True, False, 0, pods=[POD]), obs(10, True, True, 0, pods=[POD]),
             obs(605, True, True, 0, pods=[POD]), obs(610, True, True, 0, pods=[POD]),
             obs(700, False, True, 50), obs(2400, False, True, 1750), obs(2510, False, True, 1860)]
    actions, _ = run(steps)
    assert actions == [[], ["taint"], [], ["evict"], [], [], [], ["untaint"]]


def test_eviction_is_retried_while_the_pod_is_still_there():
    steps = [obs(0, True, False, 0, pods=[POD]), obs(600, True, True, 0, pods=[POD]),
             obs(630, True, True, 0, pods=[POD]), obs(661, True, True, 0, pods=[POD])]
    actions, _ = run(steps)
    assert actions == [["taint"], ["evict"], [], ["evict"]]


def test_evict_at_once_with_zero_minutes():
    state, actions = dg.decide(dg.new_state(), obs(0, True, False, 0, pods=[POD]), dict(CFG, evict_after=0))
    assert [a[0] for a in actions] == ["taint", "evict"] and actions[1][1] is POD


def test_eviction_due_is_the_test_decide_and_step_share():
    # decide() asks it with the remembered start, step() (to list pods only when needed) with the state before
    # decide(), where None means the owner only now became active.
    assert not dg.eviction_due(0, 599, 600) and dg.eviction_due(0, 600, 600)
    assert not dg.eviction_due(None, 1000, 600) and dg.eviction_due(None, 1000, 0)


def test_idle_is_counted_from_the_last_activity_the_guard_saw():
    # Last seen active at 0, then no session left: lent 1800 s after 0, not at once.
    actions, _ = run([obs(0, True, False, 0), obs(100, False, True, None), obs(1799, False, True, None),
                      obs(1801, False, True, None)])
    assert actions == [["taint"], [], [], ["untaint"]]


def test_not_lent_outside_the_allowed_hours_and_taken_back_when_they_end():
    actions, _ = run([obs(0, False, True, None, allowed=False), obs(10, False, True, None, allowed=True),
                      obs(20, False, False, None, allowed=False)])
    assert actions == [[], ["untaint"], ["taint"]]


def test_a_guard_started_while_the_owner_just_left_waits_before_lending():
    actions, _ = run([obs(0, False, False, 300)])
    assert actions == [["taint"]]


def test_taints_keep_the_others():
    desktop = {"key": "versatile.jupyter/desktop", "value": "true", "effect": "NoSchedule"}
    owner = {"key": "versatile.jupyter/owner-active", "value": "true", "effect": "NoSchedule"}
    assert dg.with_taint([desktop], owner) == [desktop, owner]
    assert dg.with_taint([desktop, owner], owner) == [desktop, owner]
    assert dg.with_taint([owner, desktop], owner) == [desktop, owner]
    assert dg.with_taint(None, owner) == [owner]
    assert dg.without_taint([desktop, owner], owner) == [desktop]
    assert dg.has_taint([owner], owner) and not dg.has_taint([desktop], owner)


def test_user_pods_from_crictl():
    pods = dg.parse_pods(fixture("crictl-pods.json"))
    names = [p["name"] for p in dg.user_pods(pods, {"component": "singleuser-server"}, ["physics"])]
    assert names == ["jupyter-alice"]
    assert [p["name"] for p in dg.user_pods(pods, {"component": "singleuser-server"})] == [
        "jupyter-alice", "jupyter-dave"]


def test_config_defaults_and_errors():
    base = {"node_name": "pc01", "api_server": "https://k3s:6443", "ca_file": "/c", "token_file": "/t",
            "taint": {"key": "k", "value": "v", "effect": "NoSchedule"}}
    cfg = dg.check_config(dict(base))
    assert cfg["interval"] == 5 and cfg["session_types"] == TYPES
    with pytest.raises(dg.ConfigError, match="missing settings: token_file"):
        dg.check_config({k: v for k, v in base.items() if k != "token_file"})
    with pytest.raises(dg.ConfigError, match="evict_after must be"):
        dg.check_config(dict(base, evict_after="ten"))
    with pytest.raises(dg.ConfigError, match="taint must be"):
        dg.check_config(dict(base, taint={"key": "k", "effect": "Sometimes"}))
    json.dumps(cfg)  # what the guard reports stays plain JSON
