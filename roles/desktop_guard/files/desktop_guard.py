#!/usr/bin/python3
"""versatile.jupyter desktop guard: gives a lab desktop back to its owner.

Runs on a desktop that is a k3s node (role versatile.jupyter.desktop_guard, docs/desktops.md). Every few seconds
it looks at the owner's activity on this machine:
  - logind sessions (loginctl show-session): a local session of the configured types whose IdleHint is "no"
    means someone is using the machine; IdleSinceHint says for how long an idle session has been idle;
  - CPU load outside k3s: busy time from /proc/stat minus the time of the k3s cgroups (pods and k3s itself).
Policy (every threshold from the configuration file):
  owner active                         -> the node gets the NoSchedule taint at once;
  owner active for evict_after seconds -> the user pods on this node are evicted (Eviction API: graceful, honours
                                          PodDisruptionBudgets);
  idle for idle_after seconds and inside the allowed hours -> the taint is removed;
  outside the allowed hours            -> the taint is put back (running pods stay until the owner comes).
It talks to the Kubernetes API with its own ServiceAccount token, which may only get and patch this node and
evict pods; which pods run here it learns from the local container runtime (crictl), not from the API.

Only the Python standard library. The policy is in plain functions (parse_*, owner_*, decide, ...), tested
without any system (tests/unit/test_desktop_guard_policy.py); main() only does the input and output.
"""
import json
import math
import os
import signal
import ssl
import subprocess
import sys
import time
import urllib.error
import urllib.request

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
SESSION_PROPERTIES = ("Id", "Name", "Class", "Type", "Remote", "State", "Active", "IdleHint", "IdleSinceHint",
                      "Seat", "TTY")
DEFAULTS = {
    "interval": 5,
    "evict_after": 600,
    "idle_after": 1800,
    "allowed_hours": [],
    "session_types": ["x11", "wayland", "tty", "mir"],
    "remote_sessions": False,
    "ignore_users": [],
    "owner_cpu_threshold": 1.0,
    "k3s_cgroups": ["kubepods", "kubepods.slice", "system.slice/k3s-agent.service", "system.slice/k3s.service"],
    "cgroup_root": "/sys/fs/cgroup",
    "proc_stat": "/proc/stat",
    "evict_selector": {"component": "singleuser-server"},
    "evict_namespaces": [],
    "evict_retry": 60,
    "loginctl": ["loginctl"],
    "crictl": ["/usr/local/bin/k3s", "crictl"],
    "status_file": "/run/versatile-desktop-guard/status.json",
}
REQUIRED = ("node_name", "api_server", "ca_file", "token_file", "taint")


class ConfigError(ValueError):
    """A setting in the configuration file is missing or wrong."""


# --- Pure policy ---------------------------------------------------------------------------------------------

def parse_sessions(text):
    """`loginctl show-session ID... -p ...` output (blocks of Key=Value lines, a blank line between sessions)
    as a list of dicts."""
    sessions, current = [], {}
    for line in text.splitlines() + [""]:
        line = line.strip()
        if not line:
            if current:
                sessions.append(current)
            current = {}
            continue
        key, sep, value = line.partition("=")
        if sep:
            current[key] = value
    return sessions


def session_ids(text):
    """The session IDs of `loginctl list-sessions --no-legend` (first column)."""
    return [line.split()[0] for line in text.splitlines() if line.strip()]


def owner_sessions(sessions, types, remote=False, ignore_users=()):
    """The sessions that belong to someone sitting at the machine: class user, of the given types, local unless
    `remote`, not closing, not one of `ignore_users` (for example the account Ansible logs in with)."""
    out = []
    for s in sessions:
        if s.get("Class", "user") != "user" or s.get("Type") not in types:
            continue
        if s.get("State") == "closing" or s.get("Name") in ignore_users:
            continue
        if s.get("Remote") == "yes" and not remote:
            continue
        out.append(s)
    return out


def input_idle_seconds(sessions, now):
    """How long the owner's sessions have been idle: 0 when any is not idle (IdleHint=no), else the shortest
    idle time (IdleSinceHint is microseconds since the epoch; 0 or absent: idle for ever). None: no session."""
    if not sessions:
        return None
    idle = []
    for s in sessions:
        if s.get("IdleHint") != "yes":
            return 0.0
        since = int(s.get("IdleSinceHint") or 0)
        idle.append(max(0.0, now - since / 1e6) if since else math.inf)
    return min(idle)


def parse_proc_stat(text, clk_tck=100):
    """Busy CPU seconds of the whole machine from /proc/stat's `cpu` line (user, nice, system, irq, softirq,
    steal; guest time is already inside user and nice)."""
    for line in text.splitlines():
        fields = line.split()
        if fields and fields[0] == "cpu":
            values = [int(v) for v in fields[1:]] + [0] * 10
            user, nice, system, _idle, _iowait, irq, softirq, steal = values[:8]
            return (user + nice + system + irq + softirq + steal) / float(clk_tck)
    raise ValueError("no cpu line in /proc/stat")


def parse_cgroup_cpu(text):
    """CPU seconds of a cgroup: cgroup v2 cpu.stat (usage_usec), or v1 cpuacct.usage (nanoseconds)."""
    text = text.strip()
    for line in text.splitlines():
        key, _, value = line.partition(" ")
        if key == "usage_usec":
            return int(value) / 1e6
    if text.isdigit():
        return int(text) / 1e9
    raise ValueError("neither cpu.stat usage_usec nor cpuacct.usage")


def outside_load(before, after):
    """CPUs kept busy outside k3s between two samples (time, machine busy seconds, k3s busy seconds)."""
    elapsed = after[0] - before[0]
    if elapsed <= 0:
        return 0.0
    return max(0.0, ((after[1] - before[1]) - (after[2] - before[2])) / elapsed)


def _days(text):
    if text in ("*", "daily", "all"):
        return set(range(7))
    days = set()
    for part in text.split(","):
        first, _, last = part.partition("-")
        if first not in DAYS or (last and last not in DAYS):
            raise ConfigError("unknown day in %r: use mon, tue, wed, thu, fri, sat, sun, ranges such as mon-fri, "
                              "lists such as sat,sun, or daily" % text)
        a, b = DAYS.index(first), DAYS.index(last or first)
        days.update(range(a, b + 1) if a <= b else list(range(a, 7)) + list(range(0, b + 1)))
    return days


def _minute(text, spec):
    hours, sep, minutes = text.partition(":")
    if not (sep and hours.isdigit() and minutes.isdigit()) or int(minutes) > 59 or int(hours) > 24 or (
            int(hours) == 24 and int(minutes)):
        raise ConfigError("allowed hours %r: times are HH:MM between 00:00 and 24:00" % spec)
    return int(hours) * 60 + int(minutes)


def parse_hours(specs):
    """Allowed hours: a list of "DAYS [HH:MM-HH:MM]" ("mon-fri 18:00-08:00", "sat,sun", "daily 22:00-06:00").
    A window whose end is not after its start runs over midnight into the next day. Empty list: always."""
    if not isinstance(specs, list):
        raise ConfigError("allowed hours must be a list of strings such as \"mon-fri 18:00-08:00\", got %r" % specs)
    windows = []
    for spec in specs:
        if not isinstance(spec, str) or not spec.split():
            raise ConfigError("allowed hours entry %r: expected \"DAYS [HH:MM-HH:MM]\"" % (spec,))
        words = spec.lower().split()
        if len(words) > 2:
            raise ConfigError("allowed hours entry %r: expected \"DAYS [HH:MM-HH:MM]\"" % spec)
        days = _days(words[0])
        start, end = 0, 24 * 60
        if len(words) == 2:
            first, sep, last = words[1].partition("-")
            if not sep:
                raise ConfigError("allowed hours entry %r: the time range is HH:MM-HH:MM" % spec)
            start, end = _minute(first, spec), _minute(last, spec)
        windows.append((frozenset(days), start, end))
    return windows


def in_hours(windows, weekday, minute):
    """True when (weekday 0=Monday, minute of the day) falls in one of the windows (or there are none)."""
    if not windows:
        return True
    for days, start, end in windows:
        if start < end:
            if weekday in days and start <= minute < end:
                return True
        elif (weekday in days and minute >= start) or ((weekday - 1) % 7 in days and minute < end):
            return True
    return False


def parse_pods(text):
    """Pods of `crictl pods -o json` as dicts (name, namespace, uid, labels, ready)."""
    data = json.loads(text or "{}")
    pods = []
    for item in data.get("items") or []:
        meta = item.get("metadata") or {}
        pods.append({"name": meta.get("name"), "namespace": meta.get("namespace"), "uid": meta.get("uid"),
                     "labels": item.get("labels") or {}, "ready": item.get("state") == "SANDBOX_READY"})
    return pods


def user_pods(pods, selector, namespaces=()):
    """The running pods the guard may evict: matching every label of `selector` and, when given, in one of
    `namespaces`."""
    return [p for p in pods if p["ready"] and all(p["labels"].get(k) == v for k, v in selector.items())
            and (not namespaces or p["namespace"] in namespaces)]


def owner_active(sessions, load, threshold):
    """The owner is at the machine: one of their sessions is not idle, or the load outside k3s is above the
    threshold (CPUs; 0 turns the load signal off)."""
    busy = bool(threshold and load is not None and load > threshold)
    return any(s.get("IdleHint") != "yes" for s in sessions) or busy


def new_state():
    return {"tainted": None, "active_since": None, "last_active": None, "evicted": {}}


def eviction_due(active_since, now, evict_after):
    """The owner has been active for evict_after seconds: the user servers here are to go. `active_since` None
    (the owner only now became active) counts as active since `now`."""
    return now - (now if active_since is None else active_since) >= evict_after


def decide(state, obs, cfg):
    """One step of the policy. `state` (see new_state) is what the guard remembers; `obs` what it sees now:
    now (seconds), active (bool), input_idle (seconds or None), allowed (inside the allowed hours), tainted (the
    taint is on the node now), pods (evictable pods here). Returns (new state, actions), actions a list of
    ("taint",), ("untaint",), ("evict", pod)."""
    now = obs["now"]
    st = dict(state, evicted=dict(state.get("evicted") or {}))
    st["tainted"] = obs["tainted"]
    actions = []
    if obs["active"]:
        st["active_since"] = now if st.get("active_since") is None else st["active_since"]
        st["last_active"] = now
        if not obs["tainted"]:
            actions.append(("taint",))
        if eviction_due(st["active_since"], now, cfg["evict_after"]):
            for pod in obs["pods"]:
                last = st["evicted"].get(pod["uid"])
                if last is None or now - last >= cfg["evict_retry"]:
                    actions.append(("evict", pod))
                    st["evicted"][pod["uid"]] = now
        return st, actions
    st["active_since"] = None
    live = {p["uid"] for p in obs["pods"]}
    st["evicted"] = {uid: t for uid, t in st["evicted"].items() if uid in live}
    idle = idle_for(obs.get("input_idle"), st.get("last_active"), now)
    if obs["tainted"] and obs["allowed"] and idle >= cfg["idle_after"]:
        actions.append(("untaint",))
    elif not obs["tainted"] and not obs["allowed"]:
        actions.append(("taint",))
    elif not obs["tainted"] and obs["allowed"] and idle < cfg["idle_after"]:
        # Not long enough idle yet (for example just after the guard started while the owner was away for only
        # a moment): lend the machine only after idle_after.
        actions.append(("taint",))
    return st, actions


def idle_for(input_idle, last_active, now):
    """Seconds since the owner was last seen: the sessions' idle time, capped by the last time the guard saw
    activity (a session that ended, or load). Nothing known: idle for ever."""
    idle = math.inf if input_idle is None else input_idle
    if last_active is not None:
        idle = min(idle, now - last_active)
    return idle


def with_taint(taints, taint):
    """The node's taints with `taint` (key and effect identify it)."""
    return without_taint(taints, taint) + [dict(taint)]


def without_taint(taints, taint):
    return [t for t in taints or [] if not (t.get("key") == taint["key"] and t.get("effect") == taint["effect"])]


def has_taint(taints, taint):
    return any(t.get("key") == taint["key"] and t.get("effect") == taint["effect"] for t in taints or [])


def check_config(cfg):
    """The configuration with defaults filled in; ConfigError naming the setting when one is wrong."""
    missing = [k for k in REQUIRED if not cfg.get(k)]
    if missing:
        raise ConfigError("missing settings: %s" % ", ".join(missing))
    out = dict(DEFAULTS, **cfg)
    for key in ("interval", "evict_after", "idle_after", "owner_cpu_threshold", "evict_retry"):
        if isinstance(out[key], bool) or not isinstance(out[key], (int, float)) or out[key] < 0:
            raise ConfigError("%s must be a number of seconds (or CPUs) >= 0, got %r" % (key, out[key]))
    if out["interval"] <= 0:
        raise ConfigError("interval must be more than 0 seconds, got %r" % out["interval"])
    taint = out["taint"]
    if not isinstance(taint, dict) or not taint.get("key") or taint.get("effect") not in (
            "NoSchedule", "PreferNoSchedule", "NoExecute"):
        raise ConfigError("taint must be {key, value, effect} with effect NoSchedule, got %r" % (taint,))
    parse_hours(out["allowed_hours"])
    return out


# --- Input and output ----------------------------------------------------------------------------------------

def log(msg):
    print(msg, file=sys.stderr, flush=True)


def run(argv, timeout=10):
    return subprocess.run(argv, capture_output=True, text=True, timeout=timeout, check=True).stdout


def read_sessions(cfg):
    ids = session_ids(run(cfg["loginctl"] + ["list-sessions", "--no-legend"]))
    if not ids:
        return []
    props = ",".join(SESSION_PROPERTIES)
    return parse_sessions(run(cfg["loginctl"] + ["show-session"] + ids + ["-p", props]))


def read_file(path):
    with open(path, encoding="utf-8") as f:
        return f.read()


def cpu_sample(cfg, clk_tck):
    machine = parse_proc_stat(read_file(cfg["proc_stat"]), clk_tck)
    k3s = 0.0
    for group in cfg["k3s_cgroups"]:
        # cgroup v2 (unified), or v1's cpuacct hierarchy.
        for path in (os.path.join(cfg["cgroup_root"], group, "cpu.stat"),
                     os.path.join(cfg["cgroup_root"], "cpu,cpuacct", group, "cpuacct.usage"),
                     os.path.join(cfg["cgroup_root"], "cpuacct", group, "cpuacct.usage")):
            if os.path.exists(path):
                k3s += parse_cgroup_cpu(read_file(path))
                break
    return (time.monotonic(), machine, k3s)


class Api:
    """The few Kubernetes API calls the guard makes, with its ServiceAccount token."""

    def __init__(self, cfg):
        self.base = cfg["api_server"].rstrip("/")
        self.token_file = cfg["token_file"]
        self.ctx = ssl.create_default_context(cafile=cfg["ca_file"])

    def call(self, method, path, body=None, content_type="application/json"):
        token = read_file(self.token_file).strip()
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(self.base + path, data=data, method=method, headers={
            "Authorization": "Bearer " + token, "Content-Type": content_type, "Accept": "application/json"})
        with urllib.request.urlopen(req, context=self.ctx, timeout=15) as resp:
            return json.loads(resp.read() or b"{}")

    def node(self, name):
        return self.call("GET", "/api/v1/nodes/" + name)

    def set_taints(self, node, taints):
        """Merge patch with the resourceVersion read: the API refuses it (409) if the node changed meanwhile."""
        body = {"metadata": {"resourceVersion": node["metadata"]["resourceVersion"]}, "spec": {"taints": taints}}
        return self.call("PATCH", "/api/v1/nodes/" + node["metadata"]["name"], body,
                         "application/merge-patch+json")

    def evict(self, pod):
        body = {"apiVersion": "policy/v1", "kind": "Eviction",
                "metadata": {"name": pod["name"], "namespace": pod["namespace"]}}
        return self.call("POST", "/api/v1/namespaces/%s/pods/%s/eviction" % (pod["namespace"], pod["name"]), body)


def write_status(path, status):
    os.makedirs(os.path.dirname(path), mode=0o755, exist_ok=True)
    with open(path + ".tmp", "w", encoding="utf-8") as f:
        json.dump(status, f, indent=1, sort_keys=True)
    os.replace(path + ".tmp", path)


def step(cfg, api, windows, state, sample, clk_tck):
    """One look and one decision; returns the new state and the CPU sample."""
    now = time.time()
    try:
        sessions = owner_sessions(read_sessions(cfg), cfg["session_types"], cfg["remote_sessions"],
                                  cfg["ignore_users"])
    except (OSError, subprocess.SubprocessError) as err:
        log("cannot read logind sessions (%s): counting the owner as active" % err)
        sessions = [{"IdleHint": "no"}]
    new_sample = cpu_sample(cfg, clk_tck)
    load = outside_load(sample, new_sample) if sample else None
    active = owner_active(sessions, load, cfg["owner_cpu_threshold"])
    pods = []
    if active and eviction_due(state.get("active_since"), now, cfg["evict_after"]):
        # Only when an eviction is due: which user servers run here, from the local container runtime.
        try:
            pods = user_pods(parse_pods(run(cfg["crictl"] + ["pods", "-o", "json"])), cfg["evict_selector"],
                             cfg["evict_namespaces"])
        except (OSError, subprocess.SubprocessError, ValueError) as err:
            log("cannot list the pods of this node (%s)" % err)
    node = api.node(cfg["node_name"])
    taints = (node.get("spec") or {}).get("taints") or []
    local = time.localtime(now)
    obs = {"now": now, "active": active,
           "input_idle": input_idle_seconds(sessions, now), "tainted": has_taint(taints, cfg["taint"]),
           "allowed": in_hours(windows, local.tm_wday, local.tm_hour * 60 + local.tm_min), "pods": pods}
    state, actions = decide(state, obs, cfg)
    for action in actions:
        if action[0] == "taint":
            api.set_taints(node, with_taint(taints, cfg["taint"]))
            state["tainted"] = True
            log("owner %s: node %s tainted %s:%s" % ("active" if obs["active"] else "hours over",
                                                   cfg["node_name"], cfg["taint"]["key"], cfg["taint"]["effect"]))
        elif action[0] == "untaint":
            api.set_taints(node, without_taint(taints, cfg["taint"]))
            state["tainted"] = False
            log("owner away: taint removed, node %s lent to the cluster" % cfg["node_name"])
        elif action[0] == "evict":
            pod = action[1]
            try:
                api.evict(pod)
                log("owner still active: evicted pod %s/%s" % (pod["namespace"], pod["name"]))
            except urllib.error.HTTPError as err:
                log("eviction of %s/%s refused (HTTP %s), retried later" % (pod["namespace"], pod["name"], err.code))
    write_status(cfg["status_file"], {
        "time": now, "node": cfg["node_name"], "owner_active": obs["active"], "tainted": state["tainted"],
        "input_idle": obs["input_idle"] if obs["input_idle"] not in (None, math.inf) else None,
        "outside_load": load, "allowed_hours": obs["allowed"], "user_pods": [p["name"] for p in pods],
        "sessions": len(sessions), "actions": [a[0] for a in actions]})
    return state, new_sample


def main(argv):
    if len(argv) != 1:
        print("usage: desktop_guard.py CONFIG.json", file=sys.stderr)
        return 2
    try:
        with open(argv[0], encoding="utf-8") as f:
            cfg = check_config(json.load(f))
    except (OSError, ValueError) as err:
        print("desktop guard: configuration %s: %s" % (argv[0], err), file=sys.stderr)
        return 2
    windows = parse_hours(cfg["allowed_hours"])
    api = Api(cfg)
    clk_tck = os.sysconf("SC_CLK_TCK")
    state, sample = new_state(), None
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    log("desktop guard for node %s: evict after %ss, lend after %ss idle, allowed hours %s"
        % (cfg["node_name"], cfg["evict_after"], cfg["idle_after"], cfg["allowed_hours"] or "always"))
    while True:
        try:
            state, sample = step(cfg, api, windows, state, sample, clk_tck)
        except urllib.error.HTTPError as err:
            log("API answered HTTP %s: %s" % (err.code, err.read()[:300].decode(errors="replace")))
        except (OSError, ValueError, subprocess.SubprocessError) as err:
            log("cannot reach the API or read this machine's state: %s" % err)
        time.sleep(cfg["interval"])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
