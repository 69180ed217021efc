"""Boot the real JupyterHub of a rendered hub release, as its pod would run, without a cluster.

From a hub's rendered manifests.yaml (the real chart's `helm template`), `HubPod` lays the hub ConfigMap and
Secret out exactly where the hub Deployment mounts them (every volumeMount of its container, subPath or whole
volume; the database PVC is an empty folder), sets the environment variables the Deployment sets
(`valueFrom` resolved from the Secret and the namespace) plus the Kubernetes service variables of every Service
of the release, and starts in one private mount and network namespace (`unshare --mount --net`, nothing
outside it changes):

- an /etc/hosts in which the release's Services (`hub`, `proxy-api`, `proxy-public`) and the hub's host names
  resolve to the namespace's own loopback, as in-cluster DNS and the Ingress would;
- configurable-http-proxy with the proxy Deployment's command line (its `$(VAR)` references expanded);
- `jupyterhub` with the hub Deployment's arguments, working folder /srv/jupyterhub;
- optionally the trust store of the namespace (/etc/ssl/certs) with a test CA added, so the hub's HTTP client
  (libcurl) trusts a provider stand-in's certificate.

What stands in: the Kubernetes API (a kubeconfig naming an unreachable server, in the hub's HOME, so that
KubeSpawner can be instantiated; no pod is ever created), kube-dns and the Ingress. Tests reach the proxy
through `connect()`, which opens a socket inside the hub's network namespace.
"""
import base64
import ctypes
import os
import re
import shlex
import shutil
import signal
import socket
import subprocess
import time

import yaml

CLONE_NEWNET = 0x40000000
_libc = ctypes.CDLL(None, use_errno=True)
_HOST_NET = os.open("/proc/self/ns/net", os.O_RDONLY)

KUBECONFIG = """apiVersion: v1
kind: Config
# Stand-in: the hub's tests never reach a Kubernetes API; KubeSpawner only needs a configuration to load.
clusters: [{name: none, cluster: {server: "https://127.0.0.1:1"}}]
users: [{name: none, user: {token: none}}]
contexts: [{name: none, context: {cluster: none, user: none}}]
current-context: none
"""


def _setns(fd):
    if _libc.setns(fd, CLONE_NEWNET) != 0:
        err = ctypes.get_errno()
        raise OSError(err, "setns: " + os.strerror(err))


def connect(pid, port, host="127.0.0.1", timeout=10):
    """A TCP socket connected to host:port inside the network namespace of process `pid`."""
    fd = os.open("/proc/%d/ns/net" % pid, os.O_RDONLY)
    try:
        _setns(fd)
        try:
            sock = socket.create_connection((host, port), timeout=timeout)
        finally:
            _setns(_HOST_NET)
    finally:
        os.close(fd)
    return sock


def load_manifests(path):
    objects = {}
    with open(path) as handle:
        for doc in yaml.safe_load_all(handle):
            if doc:
                objects[(doc["kind"], doc["metadata"]["name"])] = doc
    return objects


def _secret_data(secret):
    data = {k: base64.b64decode(v).decode() for k, v in (secret.get("data") or {}).items()}
    data.update(secret.get("stringData") or {})
    return data


def _container(deployment, name=None):
    containers = deployment["spec"]["template"]["spec"]["containers"]
    return next(c for c in containers if name is None or c["name"] == name)


def _service_env(objects):
    """The variables kubelet gives every pod for each Service of its namespace (host and ports)."""
    env = {}
    for (kind, name), svc in objects.items():
        if kind != "Service":
            continue
        prefix = name.upper().replace("-", "_")
        ports = svc["spec"].get("ports") or []
        env[prefix + "_SERVICE_HOST"] = "127.0.0.1"
        if ports:
            env[prefix + "_SERVICE_PORT"] = str(ports[0]["port"])
        for port in ports:
            if port.get("name"):
                env["%s_SERVICE_PORT_%s" % (prefix, port["name"].upper().replace("-", "_"))] = str(port["port"])
    return env


def _expand(text, env):
    """Kubernetes `$(VAR)` expansion of a command argument."""
    return re.sub(r"\$\(([A-Za-z_][A-Za-z0-9_]*)\)", lambda m: env.get(m.group(1), m.group(0)), text)


def _resolve_env(container, secrets, namespace):
    env = {}
    for item in container.get("env") or []:
        if "value" in item:
            env[item["name"]] = str(item["value"])
            continue
        source = item["valueFrom"]
        if "secretKeyRef" in source:
            ref = source["secretKeyRef"]
            env[item["name"]] = secrets[ref["name"]][ref["key"]]
        elif source.get("fieldRef", {}).get("fieldPath") == "metadata.namespace":
            env[item["name"]] = namespace
        else:
            raise ValueError("hub env %s: valueFrom %s is not supported by the boot harness" % (item["name"], source))
    return env


class HubPod:
    """One hub release booted from its manifests. `hosts` are the host names its Ingress serves."""

    def __init__(self, manifests, workdir, hub_env, hosts=(), namespace=None, extra_ca=None):
        self.objects = load_manifests(manifests)
        self.workdir = str(workdir)
        self.hub_env = hub_env
        self.hosts = list(hosts)
        self.extra_ca = extra_ca
        hub = self.objects[("Deployment", "hub")]
        self.hub_container = _container(hub, "hub")
        self.proxy_container = _container(self.objects[("Deployment", "proxy")], "chp")
        secrets = {name: _secret_data(obj) for (kind, name), obj in self.objects.items() if kind == "Secret"}
        release = next(e["value"] for e in self.hub_container["env"] if e["name"] == "HELM_RELEASE_NAME")
        self.namespace = namespace or release  # the hub role deploys each release into a namespace of its name
        self.env = _service_env(self.objects)
        self.env.update(_resolve_env(self.hub_container, secrets, self.namespace))
        self.proxy_env = dict(self.env)
        self.proxy_env.update(_resolve_env(self.proxy_container, secrets, self.namespace))
        self.proxy_port = next(p["containerPort"] for p in self.proxy_container["ports"] if p["name"] == "http")
        self.hub_port = next(p["containerPort"] for p in self.hub_container["ports"] if p["name"] == "http")
        self._volumes = {v["name"]: v for v in hub["spec"]["template"]["spec"]["volumes"]}
        self._secrets = secrets
        self.proc = None
        self.extra = []

    # --- layout ------------------------------------------------------------------------------------------
    def _volume_files(self, volume):
        if "configMap" in volume:
            return dict(self.objects[("ConfigMap", volume["configMap"]["name"])].get("data") or {})
        if "secret" in volume:
            return self._secrets[volume["secret"]["secretName"]]
        if "persistentVolumeClaim" in volume or "emptyDir" in volume:
            return None  # an empty, writable folder
        raise ValueError("hub volume %s: kind not supported by the boot harness" % volume["name"])

    def _layout(self):
        """Files under workdir/root/<mount path> for every volumeMount; returns [(source, target)] binds."""
        root = os.path.join(self.workdir, "root")
        binds = []
        for mount in self.hub_container["volumeMounts"]:
            target = mount["mountPath"].rstrip("/")
            source = root + target
            files = self._volume_files(self._volumes[mount["name"]])
            if mount.get("subPath"):
                os.makedirs(os.path.dirname(source), mode=0o700, exist_ok=True)
                with open(source, "w") as handle:
                    handle.write(files[mount["subPath"]])
                os.chmod(source, 0o600)
            else:
                os.makedirs(source, mode=0o700, exist_ok=True)
                for key, text in (files or {}).items():
                    with open(os.path.join(source, key), "w") as handle:
                        handle.write(text)
                    os.chmod(os.path.join(source, key), 0o600)
            binds.append((source, target))
        return root, binds

    def _script(self, root, binds):
        """The shell run inside the new namespaces: loopback up, mounts, proxy, then the hub."""
        lines = ["set -e", "ip link set lo up"]
        # A mount point missing on the machine (/srv/jupyterhub, /usr/local/etc/jupyterhub): its existing parent
        # is covered, in the namespace only, by the laid-out folder, into which the parent's own entries are
        # bound first so that they stay visible.
        parents = sorted({os.path.dirname(self._top_missing(t)) for _s, t in binds if self._top_missing(t)})
        for parent in parents:
            shadow = root + parent
            for entry in sorted(os.listdir(parent)):
                src, dst = os.path.join(parent, entry), os.path.join(shadow, entry)
                if os.path.lexists(dst):
                    continue
                if os.path.islink(src):
                    os.symlink(os.readlink(src), dst)
                    continue
                if os.path.isdir(src):
                    os.makedirs(dst)
                else:
                    open(dst, "w").close()
                lines.append("mount --bind %s %s" % (shlex.quote(src), shlex.quote(dst)))
            lines.append("mount --bind %s %s" % (shlex.quote(shadow), shlex.quote(parent)))
        for source, target in binds:
            if not any(target.startswith(parent + "/") for parent in parents):
                lines.append("mount --bind %s %s" % (shlex.quote(source), shlex.quote(target)))
        lines.append("mount --bind %s /etc/hosts" % shlex.quote(os.path.join(self.workdir, "hosts")))
        if self.extra_ca:
            lines.append("mount --bind %s /etc/ssl/certs" % shlex.quote(os.path.join(self.workdir, "certs")))
        proxy_cmd = [_expand(a, self.proxy_env) for a in self.proxy_container["command"]
                     + (self.proxy_container.get("args") or [])]
        proxy_cmd[0] = os.path.join(self.hub_env, "bin", proxy_cmd[0])
        lines.append("%s >%s 2>&1 &" % (shlex.join(proxy_cmd), shlex.quote(os.path.join(self.workdir, "proxy.log"))))
        hub_cmd = list(self.hub_container.get("command") or []) + list(self.hub_container.get("args") or [])
        hub_cmd[0] = os.path.join(self.hub_env, "bin", hub_cmd[0])
        lines.append("cd /srv/jupyterhub")
        lines.append("exec %s >%s 2>&1" % (shlex.join(hub_cmd), shlex.quote(os.path.join(self.workdir, "hub.log"))))
        return "\n".join(lines) + "\n"

    def _top_missing(self, target):
        """The highest missing path on the way to a mount target, itself included (None when it exists)."""
        path = target
        top = None
        while path and path != "/" and not os.path.exists(path):
            top = path
            path = os.path.dirname(path)
        return top

    def _hosts_file(self, extra_hosts):
        names = ["localhost"] + [name for (kind, name) in self.objects if kind == "Service"] + self.hosts
        names += list(extra_hosts)
        with open(os.path.join(self.workdir, "hosts"), "w") as handle:
            handle.write("127.0.0.1 %s\n::1 localhost\n" % " ".join(dict.fromkeys(names)))

    def _certs(self):
        certs = os.path.join(self.workdir, "certs")
        os.makedirs(certs, exist_ok=True)
        with open(self.extra_ca) as handle:
            ca = handle.read()
        system = "/etc/ssl/certs/ca-certificates.crt"
        bundle = (open(system).read() if os.path.exists(system) else "") + ca
        with open(os.path.join(certs, "ca-certificates.crt"), "w") as handle:
            handle.write(bundle)
        digest = subprocess.run(["openssl", "x509", "-subject_hash", "-noout", "-in", self.extra_ca],
                                capture_output=True, text=True, check=True).stdout.strip()
        shutil.copy(self.extra_ca, os.path.join(certs, digest + ".0"))

    # --- life cycle --------------------------------------------------------------------------------------
    def start(self, extra_hosts=()):
        os.makedirs(self.workdir, mode=0o700, exist_ok=True)
        root, binds = self._layout()
        self._hosts_file(extra_hosts)
        if self.extra_ca:
            self._certs()
        home = os.path.join(self.workdir, "home")
        os.makedirs(os.path.join(home, ".kube"), exist_ok=True)
        with open(os.path.join(home, ".kube", "config"), "w") as handle:
            handle.write(KUBECONFIG)
        script = os.path.join(self.workdir, "boot.sh")
        with open(script, "w") as handle:
            handle.write(self._script(root, binds))
        env = {"PATH": os.path.join(self.hub_env, "bin") + ":/usr/sbin:/usr/bin:/sbin:/bin", "HOME": home,
               "LANG": "C.UTF-8"}
        env.update(self.env)
        self.proc = subprocess.Popen(["unshare", "--mount", "--net", "--propagation", "private", "sh", script],
                                     env=env, start_new_session=True)

    def run_inside(self, argv, log, env=None):
        """Start another process in the hub's network namespace (a provider stand-in, say)."""
        with open(os.path.join(self.workdir, log), "w") as out:
            proc = subprocess.Popen(["nsenter", "--net=/proc/%d/ns/net" % self.proc.pid] + list(argv),
                                    stdout=out, stderr=subprocess.STDOUT, env=env, start_new_session=True)
        self.extra.append(proc)
        return proc

    def log(self, name="hub.log", tail=4000):
        try:
            with open(os.path.join(self.workdir, name)) as handle:
                return handle.read()[-tail:]
        except OSError:
            return ""

    def wait_ready(self, timeout=120):
        """Until the hub answers /hub/health through the proxy (hub up and its route registered)."""
        deadline = time.time() + timeout
        last = None
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("hub %s exited (%s):\n%s\nproxy:\n%s"
                                   % (self.namespace, self.proc.returncode, self.log(), self.log("proxy.log")))
            try:
                status, _h, _b = self.http("GET", "/hub/health")
                if status == 200:
                    return
                last = status
            except OSError as exc:
                last = exc
            time.sleep(0.5)
        raise RuntimeError("hub %s not ready after %ss (%s):\n%s" % (self.namespace, timeout, last, self.log()))

    def http(self, method, path, host=None, headers=None, body=None, port=None):
        """One raw HTTP request to the proxy (or `port`) inside the namespace; returns status, headers, body."""
        import http.client
        sock = connect(self.proc.pid, port or self.proxy_port)
        conn = http.client.HTTPConnection(host or (self.hosts[0] if self.hosts else "localhost"))
        conn.sock = sock
        hdrs = {"Host": host or (self.hosts[0] if self.hosts else "localhost")}
        hdrs.update(headers or {})
        conn.request(method, path, body=body, headers=hdrs)
        resp = conn.getresponse()
        data = resp.read()
        conn.close()
        return resp.status, resp.getheaders(), data

    def terminate(self):
        """SIGTERM to the process groups this pod started (hub and proxy, stand-ins)."""
        for proc in self.extra + ([self.proc] if self.proc else []):
            if proc.poll() is None:
                try:
                    os.killpg(proc.pid, signal.SIGTERM)
                except ProcessLookupError:
                    pass
        self._deadline = time.time() + 5

    def stop(self):
        if getattr(self, "_deadline", None) is None:
            self.terminate()
        for proc in self.extra + ([self.proc] if self.proc else []):
            try:
                proc.wait(timeout=max(0.1, self._deadline - time.time()))
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
