# -*- coding: utf-8 -*-
# Copyright (c) versatile.jupyter contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""STAND-IN (tests only) for the API server's Pod Security admission: which Pod Security Standards level
(Kubernetes policy version 1.31) a pod spec meets, and why not a stricter one.

Written from the published standard (kubernetes.io/docs/concepts/security/pod-security-standards), so that the
tests can measure the pods the real charts render without a kube-apiserver. Unit-tested in
tests/unit/test_pod_security.py; used by tests/integration/test_hub_security_render.py.
"""

LEVELS = ("restricted", "baseline", "privileged")

BASELINE_CAPABILITIES = {"AUDIT_WRITE", "CHOWN", "DAC_OVERRIDE", "FOWNER", "FSETID", "KILL", "MKNOD",
                         "NET_BIND_SERVICE", "SETFCAP", "SETGID", "SETPCAP", "SETUID", "SYS_CHROOT"}
SAFE_SYSCTLS = {"kernel.shm_rmid_forced", "net.ipv4.ip_local_port_range", "net.ipv4.ip_unprivileged_port_start",
                "net.ipv4.tcp_syncookies", "net.ipv4.ping_group_range", "net.ipv4.ip_local_reserved_ports",
                "net.ipv4.tcp_keepalive_time", "net.ipv4.tcp_fin_timeout", "net.ipv4.tcp_keepalive_intvl",
                "net.ipv4.tcp_keepalive_probes"}
SELINUX_TYPES = {"", "container_t", "container_init_t", "container_kvm_t", "container_engine_t"}
RESTRICTED_VOLUMES = {"configMap", "csi", "downwardAPI", "emptyDir", "ephemeral", "persistentVolumeClaim",
                      "projected", "secret"}
WORKLOAD_KINDS = {"Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job"}


def _containers(spec):
    for key in ("initContainers", "containers", "ephemeralContainers"):
        yield from spec.get(key) or []


def baseline_problems(spec):
    """Why the pod spec ``spec`` does not meet the baseline level (an empty list: it does)."""
    out = []
    pod_sc = spec.get("securityContext") or {}
    for field in ("hostNetwork", "hostPID", "hostIPC"):
        if spec.get(field):
            out.append("%s: true" % field)
    for volume in spec.get("volumes") or []:
        if "hostPath" in volume:
            out.append("hostPath volume %s" % volume.get("name"))
    contexts = [("pod", pod_sc)]
    for container in _containers(spec):
        name = container.get("name")
        sc = container.get("securityContext") or {}
        contexts.append((name, sc))
        if sc.get("privileged"):
            out.append("%s: privileged" % name)
        added = set(((sc.get("capabilities") or {}).get("add")) or []) - BASELINE_CAPABILITIES
        if added:
            out.append("%s: adds capabilities %s" % (name, ", ".join(sorted(added))))
        if sc.get("procMount") not in (None, "Default"):
            out.append("%s: procMount %s" % (name, sc.get("procMount")))
        for port in container.get("ports") or []:
            if port.get("hostPort"):
                out.append("%s: hostPort %s" % (name, port.get("hostPort")))
    for name, sc in contexts:
        if (sc.get("windowsOptions") or {}).get("hostProcess"):
            out.append("%s: windows hostProcess" % name)
        if (sc.get("seccompProfile") or {}).get("type") == "Unconfined":
            out.append("%s: seccomp Unconfined" % name)
        if (sc.get("appArmorProfile") or {}).get("type") == "Unconfined":
            out.append("%s: AppArmor Unconfined" % name)
        selinux = sc.get("seLinuxOptions") or {}
        if selinux.get("type", "") not in SELINUX_TYPES or selinux.get("user") or selinux.get("role"):
            out.append("%s: SELinux options %s" % (name, selinux))
    for sysctl in pod_sc.get("sysctls") or []:
        if sysctl.get("name") not in SAFE_SYSCTLS:
            out.append("pod: sysctl %s" % sysctl.get("name"))
    return out


def restricted_problems(spec):
    """Why the pod spec does not meet the restricted level (baseline's reasons included)."""
    out = baseline_problems(spec)
    pod_sc = spec.get("securityContext") or {}
    for volume in spec.get("volumes") or []:
        kinds = set(volume) - {"name"}
        if not kinds <= RESTRICTED_VOLUMES:
            out.append("volume %s of type %s" % (volume.get("name"), ", ".join(sorted(kinds))))
    if pod_sc.get("runAsUser") == 0:
        out.append("pod: runAsUser 0")
    for container in _containers(spec):
        name = container.get("name")
        sc = container.get("securityContext") or {}
        if sc.get("allowPrivilegeEscalation") is not False:
            out.append("%s: allowPrivilegeEscalation not false" % name)
        if not sc.get("runAsNonRoot", pod_sc.get("runAsNonRoot")):
            out.append("%s: runAsNonRoot not true" % name)
        if sc.get("runAsUser", pod_sc.get("runAsUser")) == 0:
            out.append("%s: runAsUser 0" % name)
        seccomp = (sc.get("seccompProfile") or pod_sc.get("seccompProfile") or {}).get("type")
        if seccomp not in ("RuntimeDefault", "Localhost"):
            out.append("%s: seccompProfile not RuntimeDefault or Localhost" % name)
        caps = sc.get("capabilities") or {}
        if "ALL" not in (caps.get("drop") or []):
            out.append("%s: capabilities do not drop ALL" % name)
        if set(caps.get("add") or []) - {"NET_BIND_SERVICE"}:
            out.append("%s: adds capabilities beyond NET_BIND_SERVICE" % name)
    return out


def pod_level(spec):
    """The strictest level the pod spec meets: restricted, baseline or privileged."""
    if not restricted_problems(spec):
        return "restricted"
    if not baseline_problems(spec):
        return "baseline"
    return "privileged"


def pod_specs(objects):
    """(kind/name, pod spec) of every Pod and workload template among Kubernetes objects (None entries skipped)."""
    for obj in objects:
        if not obj:
            continue
        kind = obj.get("kind")
        label = "%s/%s" % (kind, (obj.get("metadata") or {}).get("name"))
        if kind == "Pod":
            yield label, obj.get("spec") or {}
        elif kind in WORKLOAD_KINDS:
            yield label, ((obj.get("spec") or {}).get("template") or {}).get("spec") or {}
        elif kind == "CronJob":
            yield label, (((obj["spec"].get("jobTemplate") or {}).get("spec") or {}).get("template") or {}).get(
                "spec") or {}


def admits(level, spec):
    """Whether a namespace enforcing ``level`` admits the pod spec."""
    return LEVELS.index(pod_level(spec)) <= LEVELS.index(level)
