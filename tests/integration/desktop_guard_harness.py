"""A small cluster for the desktop guard, shared by tests/integration/test_desktop_guard.py and
benchmarks/desktop_guard.py: the k3s stand-in (tests/standins/k3s) as a server and a desktop agent on this
machine (own data dirs, a free port), the role's `access` entry point run by real ansible-playbook with
kubernetes.core against it, and the real guard program (roles/desktop_guard/files/desktop_guard.py) with the
logind stand-in (tests/standins/logind) playing the owner's sessions."""
import base64
import json
import os
import socket
import ssl
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
K3S = os.path.join(REPO, "tests", "standins", "k3s", "k3s")
LOGINCTL = os.path.join(REPO, "tests", "standins", "logind", "loginctl")
GUARD = os.path.join(REPO, "roles", "desktop_guard", "files", "desktop_guard.py")
COLLECTIONS = os.path.join(REPO, ".ansible", "collections")
DESKTOP, SERVER, HUB = "pc01.lab.example.org", "srv1.lab.example.org", "physics"
TOKEN = "standin-cluster-token-4711"
OWNER_TAINT = {"key": "versatile.jupyter/owner-active", "value": "true", "effect": "NoSchedule"}


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait(what, check, timeout=30, every=0.1):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        value = check()
        if value:
            return value
        time.sleep(every)
    raise AssertionError("timed out after %ss waiting for %s" % (timeout, what))


class Cluster:
    """The stand-in server and desktop agent, and API calls as admin (client certificate) or with a token."""

    def __init__(self, root):
        self.root = root
        self.port = free_port()
        self.procs = []
        binary = os.path.join(root, "k3s")
        with open(K3S, encoding="utf-8") as f:
            text = f.read().replace('VERSION = "@VERSION@"', 'VERSION = "v1.31.4+k3s1"')
        with open(binary, "w", encoding="utf-8") as f:
            f.write(text)
        os.chmod(binary, 0o755)
        self.binary = binary
        self.kubeconfig = os.path.join(root, "k3s.yaml")
        self.endpoint = "unix://%s/agent-run/containerd.sock" % root
        self.start("server", {"node-name": SERVER, "https-listen-port": self.port, "data-dir": root + "/server",
                              "write-kubeconfig": self.kubeconfig, "token": TOKEN})
        wait("the stand-in server's kubeconfig", lambda: os.path.exists(self.kubeconfig))
        self.url = "https://127.0.0.1:%d" % self.port
        self.admin_ctx = self._admin_context()
        wait("the API", self._up)
        self.start("agent", {"node-name": DESKTOP, "server": self.url, "token": TOKEN, "data-dir": root + "/agent",
                             "node-label": ["versatile.jupyter/desktop=true"],
                             "node-taint": ["versatile.jupyter/desktop=true:NoSchedule"],
                             "container-runtime-endpoint": self.endpoint})
        wait("the desktop node", lambda: self.node(DESKTOP, quiet=True))

    def start(self, command, config):
        path = os.path.join(self.root, command + ".yaml")
        with open(path, "w", encoding="utf-8") as f:
            for key, value in config.items():
                if isinstance(value, list):
                    f.write("%s:\n%s" % (key, "".join("  - %s\n" % v for v in value)))
                else:
                    f.write("%s: %s\n" % (key, value))
        log = open(os.path.join(self.root, command + ".log"), "w")
        env = {k: v for k, v in os.environ.items() if k != "NOTIFY_SOCKET"}
        self.procs.append(subprocess.Popen([sys.executable, self.binary, command, "--config", path],
                                           stdout=log, stderr=subprocess.STDOUT, env=env))

    def _admin_context(self):
        values = {}
        with open(self.kubeconfig, encoding="utf-8") as f:
            for line in f:
                key, _, value = line.strip().partition(": ")
                values[key] = value
        files = {}
        for key, name in (("certificate-authority-data", "ca.crt"), ("client-certificate-data", "admin.crt"),
                          ("client-key-data", "admin.key")):
            files[name] = os.path.join(self.root, "admin-" + name)
            with open(files[name], "wb") as f:
                f.write(base64.b64decode(values[key]))
        self.ca_file = files["ca.crt"]
        ctx = ssl.create_default_context(cafile=files["ca.crt"])
        ctx.check_hostname = False
        ctx.load_cert_chain(files["admin.crt"], files["admin.key"])
        return ctx

    def _up(self):
        try:
            self.call("GET", "/api/v1/nodes")
            return True
        except (urllib.error.URLError, OSError):
            return False

    def call(self, method, path, body=None, token=None, content_type="application/json"):
        """(status, body) of an API call as admin, or with `token`."""
        headers = {"Content-Type": content_type}
        ctx = self.admin_ctx
        if token is not None:
            headers["Authorization"] = "Bearer " + token
            ctx = ssl.create_default_context(cafile=self.ca_file)
            ctx.check_hostname = False
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(self.url + path, data=data, method=method, headers=headers)
        try:
            with urllib.request.urlopen(req, context=ctx, timeout=10) as resp:
                return resp.status, json.loads(resp.read() or b"{}")
        except urllib.error.HTTPError as err:
            return err.code, json.loads(err.read() or b"{}")

    def node(self, name, quiet=False):
        code, body = self.call("GET", "/api/v1/nodes/" + name)
        if code != 200:
            if quiet:
                return None
            raise AssertionError("GET node %s: %s %s" % (name, code, body))
        return body

    def taints(self, name=DESKTOP):
        return self.node(name)["spec"].get("taints") or []

    def owner_tainted(self):
        return any(t["key"] == OWNER_TAINT["key"] for t in self.taints())

    def user_pod(self, name, namespace=HUB, node=DESKTOP, grace=1):
        """A z2jh user server bound to the desktop (as the scheduler would bind it)."""
        code, body = self.call("POST", "/api/v1/namespaces/%s/pods" % namespace, {
            "apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": name, "labels": {"component": "singleuser-server", "app": "jupyterhub"}},
            "spec": {"nodeName": node, "terminationGracePeriodSeconds": grace,
                     "tolerations": [{"key": "versatile.jupyter/desktop", "operator": "Equal", "value": "true",
                                      "effect": "NoSchedule"}],
                     "containers": [{"name": "notebook", "image": "quay.io/jupyter/scipy-notebook"}]}})
        assert code == 201, (code, body)
        return body

    def pod_exists(self, name, namespace=HUB):
        return self.call("GET", "/api/v1/namespaces/%s/pods/%s" % (namespace, name))[0] == 200

    def local_pods(self):
        env = dict(os.environ, CONTAINER_RUNTIME_ENDPOINT=self.endpoint)
        out = subprocess.run([self.binary, "crictl", "pods", "-o", "json"], env=env, capture_output=True,
                             text=True, check=True).stdout
        return [p["metadata"]["name"] for p in json.loads(out)["items"]]

    def stop(self):
        for proc in self.procs:
            proc.terminate()
        for proc in self.procs:
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()


def access_playbook(cluster, out_dir, extra=None):
    """Runs the role's `access` entry point (kubernetes.core against the stand-in, from the 'first server',
    here this machine) for the desktop; the play then keeps the token and CA in out_dir for the test.
    Returns the CompletedProcess."""
    inventory = {"all": {"vars": {"ansible_connection": "local", "ansible_python_interpreter": sys.executable,
                                  "cluster_api_endpoint": "127.0.0.1", "hubs": [{"name": HUB}],
                                  "desktop_guard_kubeconfig": cluster.kubeconfig,
                                  "desktop_guard_server_packages": [], **(extra or {})},
                         "children": {"k3s_servers": {"hosts": {SERVER: {}}},
                                      "desktops": {"hosts": {DESKTOP: {}}}}}}
    with open(os.path.join(out_dir, "hosts.json"), "w", encoding="utf-8") as f:
        json.dump(inventory, f)
    playbook = os.path.join(out_dir, "access.yml")
    with open(playbook, "w", encoding="utf-8") as f:
        f.write("""---
- name: Give the desktop its ServiceAccount (role entry point access)
  hosts: desktops
  gather_facts: false
  tasks:
    - name: Run the access entry point
      ansible.builtin.include_role:
        name: versatile.jupyter.desktop_guard
        tasks_from: access
    - name: Keep the token for the test (what install.yml writes on a desktop)
      ansible.builtin.copy:
        content: "{{ desktop_guard_token_b64 | b64decode }}"
        dest: "%s/token"
        mode: "0600"
      no_log: true
    - name: Keep the CA for the test
      ansible.builtin.copy:
        content: "{{ desktop_guard_ca_b64 | b64decode }}"
        dest: "%s/ca.crt"
        mode: "0644"
""" % (out_dir, out_dir))
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=COLLECTIONS, ANSIBLE_NOCOLOR="1", ANSIBLE_FORCE_COLOR="0",
               ANSIBLE_LOCALHOST_WARNING="false", ANSIBLE_INVENTORY_UNPARSED_WARNING="false",
               K8S_AUTH_VERIFY_SSL="true")
    return subprocess.run(["ansible-playbook", "-i", os.path.join(out_dir, "hosts.json"), playbook],
                          cwd=REPO, env=env, capture_output=True, text=True)


class Guard:
    """The real guard program, with the logind stand-in as its loginctl and the stand-in's crictl."""

    def __init__(self, cluster, out_dir, **settings):
        self.cluster, self.dir = cluster, out_dir
        self.sessions_file = os.path.join(out_dir, "sessions.json")
        self.status_file = os.path.join(out_dir, "status.json")
        self.set_sessions([])
        cfg = {"node_name": DESKTOP, "api_server": "https://localhost:%d" % cluster.port,
               "ca_file": os.path.join(out_dir, "ca.crt"), "token_file": os.path.join(out_dir, "token"),
               "taint": OWNER_TAINT, "interval": 0.2, "evict_after": 2, "idle_after": 2, "evict_retry": 5,
               "owner_cpu_threshold": 0, "evict_namespaces": [HUB], "loginctl": [sys.executable, LOGINCTL],
               "crictl": [cluster.binary, "crictl"], "status_file": self.status_file}
        cfg.update(settings)
        self.config = os.path.join(out_dir, "guard.json")
        with open(self.config, "w", encoding="utf-8") as f:
            json.dump(cfg, f)
        self.log_path = os.path.join(out_dir, "guard.log")
        env = dict(os.environ, LOGINCTL_STANDIN_STATE=self.sessions_file,
                   CONTAINER_RUNTIME_ENDPOINT=cluster.endpoint)
        self.proc = subprocess.Popen([sys.executable, GUARD, self.config], env=env,
                                     stdout=open(self.log_path, "w"), stderr=subprocess.STDOUT)

    def set_sessions(self, sessions):
        fd, tmp = tempfile.mkstemp(dir=self.dir)
        with os.fdopen(fd, "w") as f:
            json.dump(sessions, f)
        os.replace(tmp, self.sessions_file)

    def owner_at_seat(self, idle_since=None):
        """A GNOME (x11) session on seat0; idle_since (seconds since the epoch) marks it idle since then."""
        self.set_sessions([{"Id": "2", "Name": "owner", "User": "1000", "Class": "user", "Type": "x11",
                            "Remote": "no", "State": "active", "Active": "yes", "Seat": "seat0", "TTY": "tty2",
                            "IdleHint": "yes" if idle_since else "no",
                            "IdleSinceHint": str(int(idle_since * 1e6)) if idle_since else "0"}])

    def status(self):
        try:
            with open(self.status_file, encoding="utf-8") as f:
                return json.load(f)
        except (OSError, ValueError):
            return None

    def log(self):
        with open(self.log_path, encoding="utf-8") as f:
            return f.read()

    def stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
