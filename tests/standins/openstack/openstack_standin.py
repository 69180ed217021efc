"""STAND-IN for an OpenStack cloud: a tiny HTTP server that answers the OpenStack APIs the role
``versatile.jupyter.openstack_nodes`` uses, so real openstacksdk and the real openstack.cloud modules can
run against it in tests. It is NOT OpenStack and is never used by product code.

Services (all served on one 127.0.0.1 port, each under its own path prefix, listed in the catalog):
  Keystone v3 (/identity)  password auth tokens and the service catalog
  Nova (/compute/v2.1)     servers (+ metadata, tags, security groups, volume attachments), flavors,
                           keypairs, limits
  Neutron (/network)       networks, subnets, routers (+ interfaces), ports, security groups and rules,
                           floating IPs, quotas (with usage details), extensions
  Glance (/image)          images (read only; seeded)
  Cinder (/volume/v3/<p>)  volumes, limits

State is kept in memory. Every request is appended to ``StandIn.requests`` as (method, path) so tests can
assert, for example, that a second run sent no POST. "Booting" a server opens a TCP listener on each of its
addresses at ``ssh_port`` (a stand-in for sshd, so a real wait_for on the SSH port can succeed); tests use
subnets inside 127.0.0.0/8 so those addresses are local.
"""

import argparse
import ipaddress
import json
import socket
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlsplit

PROJECT_ID = "0f3c1e5a9d6b4c7e8a2b1c3d4e5f6a7b"
USER_ID = "5b7d2c9e1a3f4b6c8d0e2f4a6b8c0d1e"
COMPUTE_MAX_VERSION = "2.96"

DEFAULT_LIMITS = {
    "instances": 20,
    "cores": 40,
    "ram": 81920,  # MiB
    "volumes": 20,
    "gigabytes": 1000,
    "floatingip": 10,
}

DEFAULT_FLAVORS = [
    {"name": "m1.small", "vcpus": 1, "ram": 2048, "disk": 20},
    {"name": "m1.medium", "vcpus": 2, "ram": 4096, "disk": 40},
    {"name": "m1.large", "vcpus": 4, "ram": 8192, "disk": 80},
    {"name": "m1.xlarge", "vcpus": 8, "ram": 16384, "disk": 160},
]
DEFAULT_IMAGES = ["debian-12", "ubuntu-24.04"]


def _now():
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


class ApiError(Exception):
    def __init__(self, status, message):
        super().__init__(message)
        self.status = status
        self.message = message


class SshListeners:
    """TCP listeners that stand in for each booted server's sshd."""

    def __init__(self, port):
        self.port = port
        self._socks = {}
        self._lock = threading.Lock()

    def open(self, address):
        if not self.port:
            return
        with self._lock:
            if address in self._socks:
                return
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind((address, self.port))
            sock.listen(16)
            self._socks[address] = sock
            threading.Thread(target=self._serve, args=(sock,), daemon=True).start()

    @staticmethod
    def _serve(sock):
        while True:
            try:
                conn, _ = sock.accept()
            except OSError:
                return
            try:
                conn.sendall(b"SSH-2.0-OpenStack-standin\r\n")
            except OSError:
                pass
            conn.close()

    def close(self, address):
        with self._lock:
            sock = self._socks.pop(address, None)
        if sock:
            try:
                sock.shutdown(socket.SHUT_RDWR)  # wakes the thread blocked in accept()
            except OSError:
                pass
            sock.close()

    def sync(self, addresses):
        """Listen on exactly these addresses."""
        for address in set(self._socks) - set(addresses):
            self.close(address)
        for address in addresses:
            self.open(address)

    def close_all(self):
        for address in list(self._socks):
            self.close(address)


class Cloud:
    """In-memory resources of one project."""

    def __init__(self, ssh_port=0, external_cidr="127.0.1.0/24"):
        self.lock = threading.RLock()
        self.limits = dict(DEFAULT_LIMITS)
        self.ssh = SshListeners(ssh_port)
        self.flavors = {}
        self.images = {}
        self.keypairs = {}
        self.servers = {}
        self.networks = {}
        self.subnets = {}
        self.routers = {}
        self.ports = {}
        self.security_groups = {}
        self.security_group_rules = {}
        self.floatingips = {}
        self.volumes = {}
        # Faults a test injects, by server name. boot_faults: the server goes to ERROR at boot with this fault
        # message (as Nova's "No valid host was found"): no port, no volume, no sshd. create_faults: the request
        # that creates it fails once with HTTP 500 and this message (a cloud API failing in the middle of a run).
        self.boot_faults = {}
        self.create_faults = {}
        for index, flavor in enumerate(DEFAULT_FLAVORS, start=1):
            fid = str(index)
            self.flavors[fid] = dict(flavor, id=fid)
        for name in DEFAULT_IMAGES:
            iid = str(uuid.uuid4())
            self.images[iid] = {
                "id": iid, "name": name, "status": "active", "visibility": "public",
                "disk_format": "qcow2", "container_format": "bare", "min_disk": 0, "min_ram": 0,
                "size": 1024, "tags": [], "created_at": _now(), "updated_at": _now(),
            }
        ext = self.create_network({"name": "public", "router:external": True})
        self.create_subnet({"name": "public-subnet", "network_id": ext["id"], "cidr": external_cidr,
                            "ip_version": 4})

    # -- helpers ---------------------------------------------------------------------------------
    @staticmethod
    def new_id():
        return str(uuid.uuid4())

    def _allocate_ip(self, subnet):
        used = {ip["ip_address"] for port in self.ports.values() for ip in port["fixed_ips"]}
        used |= {fip["floating_ip_address"] for fip in self.floatingips.values()}
        used.add(subnet["gateway_ip"])
        net = ipaddress.ip_network(subnet["cidr"])
        for host in list(net.hosts())[9:]:
            if str(host) not in used:
                return str(host)
        raise ApiError(409, "No more IP addresses available on subnet %s" % subnet["id"])

    def subnet_of_network(self, network_id):
        for subnet in self.subnets.values():
            if subnet["network_id"] == network_id:
                return subnet
        raise ApiError(400, "network %s has no subnet" % network_id)

    # -- neutron -----------------------------------------------------------------------------------
    def create_network(self, body):
        nid = self.new_id()
        net = {
            "id": nid, "name": body.get("name", ""), "status": "ACTIVE", "admin_state_up": True,
            "shared": False, "router:external": bool(body.get("router:external", False)),
            "mtu": 1450, "subnets": [], "tenant_id": PROJECT_ID, "project_id": PROJECT_ID,
            "description": body.get("description", ""), "port_security_enabled": True,
            "availability_zone_hints": [], "availability_zones": ["nova"], "tags": [],
            "is_default": False, "provider:network_type": "vxlan", "provider:physical_network": None,
            "provider:segmentation_id": 100 + len(self.networks), "qos_policy_id": None,
            "dns_domain": "", "ipv4_address_scope": None, "ipv6_address_scope": None,
            "created_at": _now(), "updated_at": _now(), "revision_number": 1,
        }
        self.networks[nid] = net
        return net

    def create_subnet(self, body):
        network = self.networks.get(body.get("network_id"))
        if network is None:
            raise ApiError(404, "Network %s could not be found." % body.get("network_id"))
        cidr = str(ipaddress.ip_network(body["cidr"], strict=False))
        hosts = list(ipaddress.ip_network(cidr).hosts())
        sid = self.new_id()
        subnet = {
            "id": sid, "name": body.get("name", ""), "network_id": network["id"], "cidr": cidr,
            "ip_version": int(body.get("ip_version", 4)),
            "gateway_ip": body.get("gateway_ip") or str(hosts[0]),
            "enable_dhcp": body.get("enable_dhcp", True),
            "dns_nameservers": body.get("dns_nameservers", []),
            "allocation_pools": body.get("allocation_pools")
            or [{"start": str(hosts[1]), "end": str(hosts[-1])}],
            "host_routes": body.get("host_routes", []), "tenant_id": PROJECT_ID,
            "project_id": PROJECT_ID, "description": body.get("description", ""),
            "ipv6_address_mode": None, "ipv6_ra_mode": None, "subnetpool_id": None,
            "service_types": [], "tags": [], "use_default_subnet_pool": False,
            "created_at": _now(), "updated_at": _now(), "revision_number": 1,
        }
        self.subnets[sid] = subnet
        network["subnets"].append(sid)
        return subnet

    def create_port(self, body):
        network = self.networks.get(body.get("network_id"))
        if network is None:
            raise ApiError(404, "Network %s could not be found." % body.get("network_id"))
        fixed_ips = []
        for request in body.get("fixed_ips") or [{}]:
            subnet = self.subnets[request["subnet_id"]] if request.get("subnet_id") else \
                self.subnet_of_network(network["id"])
            fixed_ips.append({"subnet_id": subnet["id"],
                              "ip_address": request.get("ip_address") or self._allocate_ip(subnet)})
        pid = self.new_id()
        mac = "fa:16:3e:%02x:%02x:%02x" % tuple(uuid.uuid4().bytes[:3])
        port = {
            "id": pid, "name": body.get("name", ""), "network_id": network["id"],
            "mac_address": mac, "fixed_ips": fixed_ips, "device_id": body.get("device_id", ""),
            "device_owner": body.get("device_owner", ""), "status": "ACTIVE",
            "admin_state_up": True, "tenant_id": PROJECT_ID, "project_id": PROJECT_ID,
            "security_groups": body.get("security_groups", []), "allowed_address_pairs": [],
            "binding:vnic_type": "normal", "description": "", "extra_dhcp_opts": [],
            "port_security_enabled": True, "tags": [], "created_at": _now(), "updated_at": _now(),
            "revision_number": 1,
        }
        self.ports[pid] = port
        return port

    def router_view(self, router):
        return router

    def floating_ip_view(self, fip):
        fip = dict(fip)
        port = self.ports.get(fip.get("port_id") or "")
        fip["status"] = "ACTIVE" if port else "DOWN"
        fip["port_details"] = None if not port else {
            "name": port["name"], "network_id": port["network_id"], "mac_address": port["mac_address"],
            "admin_state_up": True, "status": "ACTIVE", "device_id": port["device_id"],
            "device_owner": port["device_owner"]}
        return fip

    def security_group_view(self, group):
        group = dict(group)
        group["security_group_rules"] = [dict(rule) for rule in self.security_group_rules.values()
                                         if rule["security_group_id"] == group["id"]]
        return group

    def create_security_group(self, body):
        gid = self.new_id()
        group = {"id": gid, "name": body.get("name", ""), "description": body.get("description", ""),
                 "tenant_id": PROJECT_ID, "project_id": PROJECT_ID, "stateful": True, "tags": [],
                 "shared": False, "created_at": _now(), "updated_at": _now(), "revision_number": 1}
        self.security_groups[gid] = group
        # Neutron adds two egress rules to every new group.
        for ether_type in ("IPv4", "IPv6"):
            self.create_security_group_rule({"security_group_id": gid, "direction": "egress",
                                             "ethertype": ether_type})
        return group

    def create_security_group_rule(self, body):
        if body.get("security_group_id") not in self.security_groups:
            raise ApiError(404, "Security group %s does not exist" % body.get("security_group_id"))
        rule = {
            "id": self.new_id(), "security_group_id": body["security_group_id"],
            "direction": body.get("direction", "ingress"), "ethertype": body.get("ethertype", "IPv4"),
            "protocol": body.get("protocol"), "port_range_min": body.get("port_range_min"),
            "port_range_max": body.get("port_range_max"),
            "remote_ip_prefix": body.get("remote_ip_prefix"),
            "remote_group_id": body.get("remote_group_id"),
            "remote_address_group_id": None, "normalized_cidr": body.get("remote_ip_prefix"),
            "description": body.get("description", ""), "tenant_id": PROJECT_ID, "project_id": PROJECT_ID,
            "belongs_to_default_sg": False, "created_at": _now(), "updated_at": _now(),
            "revision_number": 0,
        }
        for existing in self.security_group_rules.values():
            keys = ("security_group_id", "direction", "ethertype", "protocol", "port_range_min",
                    "port_range_max", "remote_ip_prefix", "remote_group_id")
            if all(existing[k] == rule[k] for k in keys):
                raise ApiError(409, "Security group rule already exists. Rule id is %s." % existing["id"])
        self.security_group_rules[rule["id"]] = rule
        return rule

    def quota_details(self):
        used = {
            "network": len([n for n in self.networks.values() if not n["router:external"]]),
            "subnet": len(self.subnets) - 1,
            "router": len(self.routers),
            "port": len(self.ports),
            "security_group": len(self.security_groups),
            "security_group_rule": len(self.security_group_rules),
            "floatingip": len(self.floatingips),
        }
        limits = {"network": 100, "subnet": 100, "router": 10, "port": 500, "security_group": 10,
                  "security_group_rule": 100, "floatingip": self.limits["floatingip"], "rbac_policy": 10,
                  "subnetpool": -1, "trunk": -1}
        return {key: {"limit": limit, "used": used.get(key, 0), "reserved": 0}
                for key, limit in limits.items()}

    # -- nova ------------------------------------------------------------------------------------------
    def server_addresses(self, server):
        addresses = {}
        for port in self.ports.values():
            if port["device_id"] != server["id"]:
                continue
            name = self.networks[port["network_id"]]["name"]
            entries = addresses.setdefault(name, [])
            for fixed in port["fixed_ips"]:
                entries.append({"addr": fixed["ip_address"], "version": 4, "OS-EXT-IPS:type": "fixed",
                                "OS-EXT-IPS-MAC:mac_addr": port["mac_address"]})
                for fip in self.floatingips.values():
                    if fip["port_id"] == port["id"] and fip["fixed_ip_address"] == fixed["ip_address"]:
                        entries.append({"addr": fip["floating_ip_address"], "version": 4,
                                        "OS-EXT-IPS:type": "floating",
                                        "OS-EXT-IPS-MAC:mac_addr": port["mac_address"]})
        return addresses

    def server_view(self, server):
        view = dict(server)
        view["addresses"] = self.server_addresses(server)
        view["os-extended-volumes:volumes_attached"] = [
            {"id": vid, "delete_on_termination": False} for vid in server["volume_ids"]]
        view["security_groups"] = [{"name": self.security_groups[g]["name"]}
                                   for g in server["security_group_ids"] if g in self.security_groups]
        flavor = self.flavors[server["flavor_id"]]
        view["flavor"] = {"original_name": flavor["name"], "vcpus": flavor["vcpus"], "ram": flavor["ram"],
                          "disk": flavor["disk"], "ephemeral": 0, "swap": 0, "extra_specs": {}}
        for key in ("flavor_id", "volume_ids", "security_group_ids", "user_data_raw"):
            view.pop(key, None)
        return view

    def sync_listeners(self):
        """Each server's "sshd" listens on every address the server has now."""
        self.ssh.sync([entry["addr"] for server in self.servers.values()
                       for entries in self.server_addresses(server).values() for entry in entries])

    def create_server(self, body):
        if body.get("name") in self.create_faults:
            raise ApiError(500, self.create_faults.pop(body["name"]))
        flavor_ref = str(body.get("flavorRef", ""))
        flavor = self.flavors.get(flavor_ref.rsplit("/", 1)[-1])
        if flavor is None:
            raise ApiError(400, "Flavor %s could not be found." % flavor_ref)
        image_ref = str(body.get("imageRef", ""))
        if image_ref and image_ref not in self.images:
            raise ApiError(400, "Image %s could not be found." % image_ref)
        if body.get("key_name") and body["key_name"] not in self.keypairs:
            raise ApiError(400, "Invalid key_name provided.")
        usage = self.compute_usage()
        wanted = {"instances": 1, "cores": flavor["vcpus"], "ram": flavor["ram"]}
        for key, amount in wanted.items():
            if usage[key] + amount > self.limits[key]:
                raise ApiError(403, "Quota exceeded for %s: Requested %d, but already used %d of %d %s"
                               % (key, amount, usage[key], self.limits[key], key))
        group_ids = []
        for group in body.get("security_groups", []):
            found = [g for g in self.security_groups.values() if group["name"] in (g["name"], g["id"])]
            if not found:
                raise ApiError(400, "Security group %s not found." % group["name"])
            group_ids.append(found[0]["id"])
        sid = self.new_id()
        server = {
            "id": sid, "name": body["name"], "status": "ACTIVE", "tenant_id": PROJECT_ID,
            "user_id": USER_ID, "metadata": dict(body.get("metadata", {})), "tags": [],
            "key_name": body.get("key_name"), "image": {"id": image_ref} if image_ref else "",
            "flavor_id": flavor["id"], "created": _now(), "updated": _now(), "hostId": "standin-host",
            "OS-EXT-STS:vm_state": "active", "OS-EXT-STS:task_state": None,
            "OS-EXT-STS:power_state": 1, "OS-EXT-AZ:availability_zone": "nova",
            "OS-DCF:diskConfig": "MANUAL", "accessIPv4": "", "accessIPv6": "", "progress": 0,
            "config_drive": "", "locked": False, "description": body.get("description"),
            "host_status": "UP", "trusted_image_certificates": None, "locked_reason": None,
            "OS-SRV-USG:launched_at": _now(), "OS-SRV-USG:terminated_at": None,
            "volume_ids": [], "security_group_ids": group_ids,
            "user_data_raw": body.get("user_data"),
            "links": [],
        }
        networks = body.get("networks")
        if networks in (None, "auto", "none") or not networks:
            raise ApiError(400, "the stand-in needs an explicit network for every server")
        if body["name"] in self.boot_faults:
            server.update({"status": "ERROR", "OS-EXT-STS:vm_state": "error", "OS-EXT-STS:power_state": 0,
                           "OS-SRV-USG:launched_at": None,
                           "fault": {"code": 500, "message": self.boot_faults[body["name"]], "created": _now()}})
            self.servers[sid] = server
            return server
        for nic in networks:
            if nic.get("port"):
                port = self.ports[nic["port"]]
            else:
                port = self.create_port({"network_id": nic["uuid"],
                                         "fixed_ips": [{"ip_address": nic["fixed_ip"]}]
                                         if nic.get("fixed_ip") else None,
                                         "security_groups": group_ids})
            port["device_id"] = sid
            port["device_owner"] = "compute:nova"
        self.servers[sid] = server
        for mapping in body.get("block_device_mapping_v2") or []:
            if mapping.get("source_type") == "volume" and str(mapping.get("boot_index")) != "0":
                self.attach_volume(server, mapping["uuid"])
        self.sync_listeners()
        return server

    def attach_volume(self, server, vid):
        volume = self.volumes.get(vid)
        if volume is None:
            raise ApiError(404, "Volume %s could not be found." % vid)
        if volume["status"] != "available":
            raise ApiError(400, "Invalid volume: volume %s status must be available" % vid)
        server["volume_ids"].append(vid)
        device = "/dev/vd%s" % "bcdefghijklmnop"[len(server["volume_ids"]) - 1]
        volume["status"] = "in-use"
        volume["attachments"] = [{"server_id": server["id"], "attachment_id": uuid.uuid4().hex,
                                  "volume_id": vid, "device": device, "id": vid,
                                  "host_name": None, "attached_at": _now()}]

    def delete_server(self, server):
        for vid in server["volume_ids"]:
            volume = self.volumes.get(vid)
            if volume:
                volume["status"] = "available"
                volume["attachments"] = []
        for pid in [p["id"] for p in self.ports.values() if p["device_id"] == server["id"]]:
            for fip in self.floatingips.values():
                if fip["port_id"] == pid:
                    fip.update(port_id=None, fixed_ip_address=None)
            del self.ports[pid]
        del self.servers[server["id"]]
        self.sync_listeners()

    def compute_usage(self):
        usage = {"instances": 0, "cores": 0, "ram": 0}
        for server in self.servers.values():
            flavor = self.flavors[server["flavor_id"]]
            usage["instances"] += 1
            usage["cores"] += flavor["vcpus"]
            usage["ram"] += flavor["ram"]
        return usage

    def compute_limits(self):
        usage = self.compute_usage()
        return {"absolute": {
            "maxTotalInstances": self.limits["instances"], "totalInstancesUsed": usage["instances"],
            "maxTotalCores": self.limits["cores"], "totalCoresUsed": usage["cores"],
            "maxTotalRAMSize": self.limits["ram"], "totalRAMUsed": usage["ram"],
            "maxTotalKeypairs": 100, "maxServerMeta": 128, "maxPersonality": 5,
            "maxPersonalitySize": 10240, "maxServerGroups": 10, "maxServerGroupMembers": 10,
            "maxImageMeta": 128, "totalServerGroupsUsed": 0,
            "maxTotalFloatingIps": -1, "totalFloatingIpsUsed": 0,
            "maxSecurityGroups": -1, "totalSecurityGroupsUsed": 0, "maxSecurityGroupRules": -1,
        }, "rate": []}

    def volume_limits(self):
        gigabytes = sum(v["size"] for v in self.volumes.values())
        return {"absolute": {
            "maxTotalVolumes": self.limits["volumes"], "totalVolumesUsed": len(self.volumes),
            "maxTotalVolumeGigabytes": self.limits["gigabytes"], "totalGigabytesUsed": gigabytes,
            "maxTotalSnapshots": 10, "totalSnapshotsUsed": 0, "maxTotalBackups": 10,
            "totalBackupsUsed": 0, "maxTotalBackupGigabytes": 1000, "totalBackupGigabytesUsed": 0,
        }, "rate": []}


# Neutron collections that share generic list/show/update/delete handling: URL name -> (attr, key).
NEUTRON = {
    "networks": ("networks", "network"),
    "subnets": ("subnets", "subnet"),
    "routers": ("routers", "router"),
    "ports": ("ports", "port"),
    "security-groups": ("security_groups", "security_group"),
    "security-group-rules": ("security_group_rules", "security_group_rule"),
    "floatingips": ("floatingips", "floatingip"),
}
NEUTRON_EXTENSIONS = ["external-net", "router", "security-group", "quotas", "quota_details",
                      "extraroute", "ext-gw-mode", "binding", "port-security", "standard-attr-tag",
                      "fip-port-details", "dns-integration", "subnet_allocation", "network-ip-availability"]
PAGING_KEYS = {"limit", "marker", "sort_key", "sort_dir", "fields", "page_reverse"}


def _matches(item, query):
    for key, value in query.items():
        if key in PAGING_KEYS or key not in item:
            continue
        current = item[key]
        if isinstance(current, bool):
            if str(current).lower() != str(value).lower():
                return False
        elif isinstance(current, (list, dict)):
            continue
        elif str(current) != value:
            return False
    return True


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    standin = None  # set by StandIn

    def log_message(self, *args):  # quiet
        pass

    # -- plumbing --------------------------------------------------------------------------------
    def _send(self, status, body=None, headers=None):
        data = b"" if body is None else json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.end_headers()
        if data and self.command != "HEAD":
            self.wfile.write(data)

    def _body(self):
        length = int(self.headers.get("Content-Length") or 0)
        if not length:
            return {}
        return json.loads(self.rfile.read(length) or b"{}")

    def _dispatch(self):
        parts = urlsplit(self.path)
        path = parts.path.rstrip("/") or "/"
        query = dict(parse_qsl(parts.query))
        self.standin.requests.append((self.command, path))
        try:
            body = self._body() if self.command in ("POST", "PUT", "PATCH") else {}
            with self.standin.cloud.lock:
                status, payload, headers = self.route(self.command, path, query, body)
        except ApiError as error:
            status, payload, headers = error.status, {
                "NeutronError" if "/network" in path else "error":
                {"message": error.message, "code": error.status, "type": "StandInError"}}, {}
        except (KeyError, ValueError, TypeError) as error:
            status, payload, headers = 400, {"error": {"message": "bad request: %r" % (error,)}}, {}
        self._send(status, payload, headers)

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = _dispatch

    # -- routing ---------------------------------------------------------------------------------
    def route(self, method, path, query, body):
        segs = [s for s in path.split("/") if s]
        if not segs:
            return 200, {"versions": []}, {}
        service, rest = segs[0], segs[1:]
        if service == "identity":
            return self.identity(method, rest, body)
        if service == "compute":
            return self.compute(method, rest[1:] if rest[:1] == ["v2.1"] else None, query, body)
        if service == "network":
            return self.network(method, rest, query, body)
        if service == "image":
            return self.image(method, rest, query)
        if service == "volume":
            return self.volume(method, rest, query, body)
        raise ApiError(404, "no such service %s" % service)

    def base(self):
        return "http://%s:%d" % self.server.server_address[:2]

    def identity(self, method, rest, body):
        base = self.base()
        if rest in ([], ["v3"]) and method == "GET":
            return 200, {"version": {"id": "v3.14", "status": "stable", "updated": "2020-04-07T00:00:00Z",
                                     "links": [{"rel": "self", "href": base + "/identity/v3/"}],
                                     "media-types": [{"base": "application/json",
                                                      "type": "application/vnd.openstack.identity-v3+json"}]}}, {}
        if rest == ["v3", "auth", "tokens"] and method == "POST":
            password = body["auth"]["identity"]["password"]["user"]
            if password.get("password") != self.standin.password:
                raise ApiError(401, "The request you have made requires authentication.")
            catalog = []
            for stype, name, url in (
                    ("identity", "keystone", base + "/identity"),
                    ("compute", "nova", base + "/compute/v2.1"),
                    ("network", "neutron", base + "/network"),
                    ("image", "glance", base + "/image"),
                    ("block-storage", "cinder", base + "/volume/v3/" + PROJECT_ID),
                    ("volumev3", "cinderv3", base + "/volume/v3/" + PROJECT_ID)):
                catalog.append({"type": stype, "name": name, "id": uuid.uuid4().hex, "endpoints": [
                    {"id": uuid.uuid4().hex, "interface": iface, "region": "RegionOne",
                     "region_id": "RegionOne", "url": url} for iface in ("public", "internal")]})
            token = {"token": {
                "methods": ["password"], "expires_at": "2099-01-01T00:00:00.000000Z",
                "issued_at": _now(), "audit_ids": [uuid.uuid4().hex],
                "user": {"id": USER_ID, "name": "standin", "domain": {"id": "default", "name": "Default"},
                         "password_expires_at": None},
                "project": {"id": PROJECT_ID, "name": "standin-project",
                            "domain": {"id": "default", "name": "Default"}},
                "roles": [{"id": uuid.uuid4().hex, "name": "member"}],
                "catalog": catalog, "is_domain": False}}
            return 201, token, {"X-Subject-Token": uuid.uuid4().hex}
        raise ApiError(404, "identity path not served by the stand-in")

    # -- nova --------------------------------------------------------------------------------------
    def compute(self, method, rest, query, body):
        cloud = self.standin.cloud
        base = self.base() + "/compute/v2.1"
        if rest is None or rest == []:
            version = {"id": "v2.1", "status": "CURRENT", "version": COMPUTE_MAX_VERSION,
                       "min_version": "2.1", "updated": "2013-07-23T11:33:21Z",
                       "links": [{"rel": "self", "href": base + "/"}]}
            if rest is None:
                return 200, {"versions": [version]}, {}
            return 200, {"version": version}, {}
        head, tail = rest[0], rest[1:]
        if head == "limits" and method == "GET":
            return 200, {"limits": cloud.compute_limits()}, {}
        if head == "flavors":
            if not tail or tail == ["detail"]:
                return 200, {"flavors": [self._flavor(f) for f in cloud.flavors.values()
                                         if _matches(f, query)]}, {}
            flavor = cloud.flavors.get(tail[0])
            if flavor is None:
                raise ApiError(404, "Flavor %s could not be found." % tail[0])
            if tail[1:] == ["os-extra_specs"]:
                return 200, {"extra_specs": {}}, {}
            return 200, {"flavor": self._flavor(flavor)}, {}
        if head == "os-keypairs":
            if not tail:
                if method == "GET":
                    return 200, {"keypairs": [{"keypair": k} for k in cloud.keypairs.values()]}, {}
                if method == "POST":
                    data = body["keypair"]
                    if data["name"] in cloud.keypairs:
                        raise ApiError(409, "Key pair '%s' already exists." % data["name"])
                    keypair = {"name": data["name"], "public_key": data["public_key"],
                               "fingerprint": "00:11:22:33:44:55:66:77:88:99:aa:bb:cc:dd:ee:ff",
                               "type": data.get("type", "ssh"), "user_id": USER_ID,
                               "created_at": _now(), "id": len(cloud.keypairs) + 1, "deleted": False}
                    cloud.keypairs[data["name"]] = keypair
                    return 200, {"keypair": keypair}, {}
            keypair = cloud.keypairs.get(tail[0])
            if keypair is None:
                raise ApiError(404, "Keypair %s not found for user %s" % (tail[0], USER_ID))
            if method == "DELETE":
                del cloud.keypairs[tail[0]]
                return 202, None, {}
            return 200, {"keypair": keypair}, {}
        if head == "servers":
            return self.servers(method, tail, query, body)
        if head == "os-quota-sets":
            usage = cloud.compute_usage()
            return 200, {"quota_set": {k: {"limit": cloud.limits[k], "in_use": usage[k], "reserved": 0}
                                       for k in ("instances", "cores", "ram")}}, {}
        raise ApiError(404, "compute path not served by the stand-in")

    def _flavor(self, flavor):
        return {"id": flavor["id"], "name": flavor["name"], "vcpus": flavor["vcpus"], "ram": flavor["ram"],
                "disk": flavor["disk"], "OS-FLV-EXT-DATA:ephemeral": 0, "swap": 0,
                "os-flavor-access:is_public": True, "OS-FLV-DISABLED:disabled": False,
                "rxtx_factor": 1.0, "description": None, "extra_specs": {}, "links": []}

    def servers(self, method, tail, query, body):
        cloud = self.standin.cloud
        if not tail or tail == ["detail"]:
            if method == "POST":
                server = cloud.create_server(body["server"])
                return 202, {"server": {"id": server["id"], "links": [], "OS-DCF:diskConfig": "MANUAL",
                                        "security_groups": [], "adminPass": "standin"}}, {}
            found = []
            for server in cloud.servers.values():
                name = query.get("name")
                if name and name not in server["name"]:  # nova filters by regular expression
                    continue
                found.append(cloud.server_view(server))
            return 200, {"servers": found}, {}
        server = cloud.servers.get(tail[0])
        if server is None:
            raise ApiError(404, "Instance %s could not be found." % tail[0])
        sub = tail[1:]
        if not sub:
            if method == "DELETE":
                cloud.delete_server(server)
                return 204, None, {}
            if method == "PUT":
                server.update({k: v for k, v in body["server"].items() if k in ("name", "description")})
            return 200, {"server": cloud.server_view(server)}, {}
        if sub == ["metadata"]:
            if method == "POST":
                server["metadata"].update(body["metadata"])
            elif method == "PUT":
                server["metadata"] = dict(body["metadata"])
            return 200, {"metadata": server["metadata"]}, {}
        if sub[0] == "metadata" and len(sub) == 2:
            if method == "DELETE":
                server["metadata"].pop(sub[1], None)
                return 204, None, {}
            if method == "PUT":
                server["metadata"].update(body["meta"])
            return 200, {"meta": {sub[1]: server["metadata"].get(sub[1])}}, {}
        if sub == ["tags"]:
            if method == "PUT":
                server["tags"] = list(body["tags"])
            return 200, {"tags": server["tags"]}, {}
        if sub == ["os-security-groups"]:
            groups = [cloud.security_groups[g] for g in server["security_group_ids"]
                      if g in cloud.security_groups]
            return 200, {"security_groups": [{"id": g["id"], "name": g["name"],
                                              "description": g["description"], "rules": [],
                                              "tenant_id": PROJECT_ID} for g in groups]}, {}
        if sub == ["os-interface"]:
            ports = [p for p in cloud.ports.values() if p["device_id"] == server["id"]]
            return 200, {"interfaceAttachments": [
                {"port_id": p["id"], "net_id": p["network_id"], "mac_addr": p["mac_address"],
                 "port_state": "ACTIVE", "fixed_ips": p["fixed_ips"]} for p in ports]}, {}
        if sub[0] == "os-volume_attachments":
            if len(sub) == 1 and method == "GET":
                return 200, {"volumeAttachments": [self._attachment(server, v) for v in server["volume_ids"]]}, {}
            if len(sub) == 1 and method == "POST":
                vid = body["volumeAttachment"]["volumeId"]
                cloud.attach_volume(server, vid)
                return 200, {"volumeAttachment": self._attachment(server, vid)}, {}
            vid = sub[1]
            if vid not in server["volume_ids"]:
                raise ApiError(404, "Volume %s is not attached to %s" % (vid, server["id"]))
            if method == "DELETE":
                server["volume_ids"].remove(vid)
                cloud.volumes[vid].update(status="available", attachments=[])
                return 202, None, {}
            return 200, {"volumeAttachment": self._attachment(server, vid)}, {}
        raise ApiError(404, "server path not served by the stand-in")

    def _attachment(self, server, vid):
        volume = self.standin.cloud.volumes[vid]
        device = volume["attachments"][0]["device"] if volume["attachments"] else None
        return {"id": vid, "volumeId": vid, "serverId": server["id"], "device": device, "tag": None,
                "delete_on_termination": False, "attachment_id": vid, "bdm_uuid": vid}

    # -- neutron -----------------------------------------------------------------------------------
    def network(self, method, rest, query, body):
        cloud = self.standin.cloud
        base = self.base() + "/network"
        if not rest:
            return 200, {"versions": [{"id": "v2.0", "status": "CURRENT",
                                       "links": [{"rel": "self", "href": base + "/v2.0/"}]}]}, {}
        if rest[0] != "v2.0":
            raise ApiError(404, "network path not served by the stand-in")
        rest = rest[1:]
        if not rest:
            return 200, {"resources": []}, {}
        head, tail = rest[0], rest[1:]
        if head == "extensions":
            exts = [{"alias": a, "name": a, "description": a, "updated": "2020-01-01T00:00:00-00:00",
                     "links": []} for a in NEUTRON_EXTENSIONS]
            if tail:
                match = [e for e in exts if e["alias"] == tail[0]]
                if not match:
                    raise ApiError(404, "Extension %s not found." % tail[0])
                return 200, {"extension": match[0]}, {}
            return 200, {"extensions": exts}, {}
        if head == "quotas":
            details = cloud.quota_details()
            if tail[1:] == ["details"]:
                return 200, {"quota": details}, {}
            return 200, {"quota": {k: v["limit"] for k, v in details.items()}}, {}
        if head not in NEUTRON:
            raise ApiError(404, "network path not served by the stand-in")
        attr, key = NEUTRON[head]
        store = getattr(cloud, attr)
        views = {"routers": cloud.router_view, "floatingips": cloud.floating_ip_view,
                 "security-groups": cloud.security_group_view}
        view = views.get(head, lambda item: item)
        if not tail:
            if method == "GET":
                return 200, {attr: [view(item) for item in store.values()
                                    if _matches(view(item), query)]}, {}
            if method == "POST":
                if attr + "" in body and isinstance(body.get(attr), list):  # bulk create
                    created = [self.neutron_create(head, item) for item in body[attr]]
                    return 201, {attr: [view(item) for item in created]}, {}
                return 201, {key: view(self.neutron_create(head, body[key]))}, {}
        item = store.get(tail[0])
        if item is None:
            raise ApiError(404, "%s %s could not be found." % (key, tail[0]))
        if tail[1:] in (["add_router_interface"], ["remove_router_interface"]) and head == "routers":
            return 200, self.router_interface(item, tail[1], body), {}
        if tail[1:]:
            raise ApiError(404, "network path not served by the stand-in")
        if method == "GET":
            return 200, {key: view(item)}, {}
        if method == "PUT":
            self.neutron_update(head, item, body[key])
            return 200, {key: view(item)}, {}
        if method == "DELETE":
            self.neutron_delete(head, item)
            return 204, None, {}
        raise ApiError(405, "method not allowed")

    def neutron_create(self, head, data):
        cloud = self.standin.cloud
        if head == "networks":
            return cloud.create_network(data)
        if head == "subnets":
            return cloud.create_subnet(data)
        if head == "ports":
            return cloud.create_port(data)
        if head == "security-groups":
            return cloud.create_security_group(data)
        if head == "security-group-rules":
            return cloud.create_security_group_rule(data)
        if head == "routers":
            rid = cloud.new_id()
            router = {"id": rid, "name": data.get("name", ""), "status": "ACTIVE",
                      "admin_state_up": data.get("admin_state_up", True), "tenant_id": PROJECT_ID,
                      "project_id": PROJECT_ID, "description": data.get("description", ""),
                      "external_gateway_info": None, "routes": [], "tags": [],
                      "availability_zone_hints": [], "availability_zones": ["nova"],
                      "distributed": False, "ha": False, "flavor_id": None,
                      "created_at": _now(), "updated_at": _now(), "revision_number": 1}
            cloud.routers[rid] = router
            self.neutron_update(head, router, data)
            return router
        if head == "floatingips":
            network = cloud.networks.get(data.get("floating_network_id"))
            if network is None or not network["router:external"]:
                raise ApiError(404, "External network %s not found" % data.get("floating_network_id"))
            if len(cloud.floatingips) >= cloud.limits["floatingip"]:
                raise ApiError(409, "Quota exceeded for resources: ['floatingip'].")
            fid = cloud.new_id()
            subnet = cloud.subnet_of_network(network["id"])
            fip = {"id": fid, "floating_network_id": network["id"],
                   "floating_ip_address": data.get("floating_ip_address") or cloud._allocate_ip(subnet),
                   "port_id": None, "fixed_ip_address": None, "router_id": None,
                   "tenant_id": PROJECT_ID, "project_id": PROJECT_ID, "description": data.get("description", ""),
                   "dns_domain": "", "dns_name": "", "tags": [], "qos_policy_id": None,
                   "port_forwardings": [], "created_at": _now(), "updated_at": _now(), "revision_number": 0}
            cloud.floatingips[fid] = fip
            self.neutron_update(head, fip, data)
            return fip
        raise ApiError(405, "create not supported for %s" % head)

    def neutron_update(self, head, item, data):
        cloud = self.standin.cloud
        if head == "floatingips" and "port_id" in data:
            port = cloud.ports.get(data["port_id"] or "")
            if data["port_id"] and port is None:
                raise ApiError(404, "Port %s could not be found." % data["port_id"])
            item["port_id"] = port["id"] if port else None
            item["fixed_ip_address"] = (data.get("fixed_ip_address") or port["fixed_ips"][0]["ip_address"]) \
                if port else None
            routers = [r for r in cloud.routers.values() if r["external_gateway_info"]]
            item["router_id"] = routers[0]["id"] if port and routers else None
            cloud.sync_listeners()
            return
        if head == "routers" and "external_gateway_info" in data:
            info = data["external_gateway_info"]
            if info:
                network = cloud.networks[info["network_id"]]
                subnet = cloud.subnet_of_network(network["id"])
                item["external_gateway_info"] = {
                    "network_id": network["id"], "enable_snat": info.get("enable_snat", True),
                    "external_fixed_ips": [{"subnet_id": subnet["id"], "ip_address": cloud._allocate_ip(subnet)}]}
            else:
                item["external_gateway_info"] = None
        for key, value in data.items():
            if key in ("name", "description", "admin_state_up", "dns_nameservers", "routes"):
                item[key] = value

    def neutron_delete(self, head, item):
        cloud = self.standin.cloud
        if head == "networks":
            if any(p["network_id"] == item["id"] for p in cloud.ports.values()):
                raise ApiError(409, "Unable to complete operation on network %s. There are one or more "
                                    "ports still in use on the network." % item["id"])
            for sid in item["subnets"]:
                cloud.subnets.pop(sid, None)
            del cloud.networks[item["id"]]
        elif head == "subnets":
            if any(ip["subnet_id"] == item["id"] for p in cloud.ports.values() for ip in p["fixed_ips"]):
                raise ApiError(409, "Unable to complete operation on subnet %s: One or more ports have an "
                                    "IP allocation from this subnet." % item["id"])
            cloud.networks[item["network_id"]]["subnets"].remove(item["id"])
            del cloud.subnets[item["id"]]
        elif head == "routers":
            if any(p["device_id"] == item["id"] for p in cloud.ports.values()):
                raise ApiError(409, "Router %s still has ports" % item["id"])
            del cloud.routers[item["id"]]
        elif head == "security-groups":
            for rid in [r["id"] for r in cloud.security_group_rules.values()
                        if r["security_group_id"] == item["id"]]:
                del cloud.security_group_rules[rid]
            del cloud.security_groups[item["id"]]
        elif head == "security-group-rules":
            del cloud.security_group_rules[item["id"]]
        elif head == "ports":
            del cloud.ports[item["id"]]
        elif head == "floatingips":
            del cloud.floatingips[item["id"]]
            cloud.sync_listeners()

    def router_interface(self, router, action, body):
        cloud = self.standin.cloud
        if action == "add_router_interface":
            subnet = cloud.subnets[body["subnet_id"]]
            if any(p["device_id"] == router["id"] and ip["subnet_id"] == subnet["id"]
                   for p in cloud.ports.values() for ip in p["fixed_ips"]):
                raise ApiError(400, "Router already has a port on subnet %s" % subnet["id"])
            port = cloud.create_port({"network_id": subnet["network_id"],
                                      "fixed_ips": [{"subnet_id": subnet["id"],
                                                     "ip_address": subnet["gateway_ip"]}],
                                      "device_id": router["id"],
                                      "device_owner": "network:router_interface"})
            return {"id": router["id"], "subnet_id": subnet["id"], "subnet_ids": [subnet["id"]],
                    "port_id": port["id"], "network_id": subnet["network_id"], "tenant_id": PROJECT_ID,
                    "project_id": PROJECT_ID}
        for port in list(cloud.ports.values()):
            if port["device_id"] == router["id"] and (
                    port["id"] == body.get("port_id")
                    or any(ip["subnet_id"] == body.get("subnet_id") for ip in port["fixed_ips"])):
                del cloud.ports[port["id"]]
                return {"id": router["id"], "port_id": port["id"],
                        "subnet_id": port["fixed_ips"][0]["subnet_id"], "network_id": port["network_id"]}
        raise ApiError(404, "Router %s has no interface on subnet %s" % (router["id"], body.get("subnet_id")))

    # -- glance ----------------------------------------------------------------------------------------
    def image(self, method, rest, query):
        cloud = self.standin.cloud
        base = self.base() + "/image"
        if not rest or rest == ["versions"]:
            return 200, {"versions": [{"id": "v2.16", "status": "CURRENT",
                                       "links": [{"rel": "self", "href": base + "/v2/"}]}]}, {}
        if rest[0] != "v2" or rest[1:2] != ["images"] or method != "GET":
            raise ApiError(404, "image path not served by the stand-in")
        if len(rest) == 2:
            return 200, {"images": [i for i in cloud.images.values() if _matches(i, query)],
                         "schema": "/v2/schemas/images", "first": "/v2/images"}, {}
        image = cloud.images.get(rest[2])
        if image is None:
            raise ApiError(404, "No image found with ID %s" % rest[2])
        return 200, image, {}

    # -- cinder ----------------------------------------------------------------------------------------
    def volume(self, method, rest, query, body):
        cloud = self.standin.cloud
        base = self.base() + "/volume"
        if len(rest) < 2:
            version = {"id": "v3.0", "status": "CURRENT", "version": "3.70", "min_version": "3.0",
                       "updated": "2023-01-01T00:00:00Z",
                       "links": [{"rel": "self", "href": base + "/v3/"}]}
            return 200, {"versions": [version]} if not rest else {"version": version}, {}
        if rest[0] != "v3" or rest[1] != PROJECT_ID:
            raise ApiError(404, "volume path not served by the stand-in")
        rest = rest[2:]
        if not rest:
            return 200, {"versions": []}, {}
        head, tail = rest[0], rest[1:]
        if head == "limits":
            return 200, {"limits": cloud.volume_limits()}, {}
        if head != "volumes":
            raise ApiError(404, "volume path not served by the stand-in")
        if not tail or tail == ["detail"]:
            if method == "POST":
                data = body["volume"]
                size = int(data["size"])
                if len(cloud.volumes) + 1 > cloud.limits["volumes"]:
                    raise ApiError(413, "VolumeLimitExceeded: Maximum number of volumes allowed exceeded")
                if sum(v["size"] for v in cloud.volumes.values()) + size > cloud.limits["gigabytes"]:
                    raise ApiError(413, "VolumeSizeExceedsAvailableQuota")
                vid = cloud.new_id()
                volume = {"id": vid, "name": data.get("name"), "size": size, "status": "available",
                          "description": data.get("description"), "volume_type": "standard",
                          "metadata": data.get("metadata") or {}, "attachments": [],
                          "availability_zone": "nova", "bootable": "false", "encrypted": False,
                          "multiattach": False, "snapshot_id": None, "source_volid": None,
                          "user_id": USER_ID, "os-vol-tenant-attr:tenant_id": PROJECT_ID,
                          "created_at": _now(), "updated_at": _now(), "consistencygroup_id": None,
                          "replication_status": None, "links": []}
                cloud.volumes[vid] = volume
                return 202, {"volume": volume}, {}
            return 200, {"volumes": [v for v in cloud.volumes.values() if _matches(v, query)]}, {}
        volume = cloud.volumes.get(tail[0])
        if volume is None:
            raise ApiError(404, "Volume %s could not be found." % tail[0])
        if method == "DELETE":
            if volume["status"] != "available":
                raise ApiError(400, "Invalid volume: Volume status must be available or error")
            del cloud.volumes[tail[0]]
            return 202, None, {}
        return 200, {"volume": volume}, {}


class StandIn:
    """The stand-in cloud, served from a thread. Use as a context manager or call start()/stop()."""

    def __init__(self, host="127.0.0.1", port=0, ssh_port=0, password="standin-secret",
                 external_cidr="127.0.1.0/24"):
        self.password = password
        self.requests = []
        self.cloud = Cloud(ssh_port=ssh_port, external_cidr=external_cidr)
        handler = type("BoundHandler", (Handler,), {"standin": self})
        self.httpd = ThreadingHTTPServer((host, port), handler)
        self.httpd.daemon_threads = True
        self._thread = None

    @property
    def url(self):
        return "http://%s:%d" % self.httpd.server_address[:2]

    @property
    def auth_url(self):
        return self.url + "/identity/v3"

    def clouds_yaml(self, cloud_name="standin"):
        """The clouds.yaml text that points openstacksdk at this stand-in."""
        return (
            "clouds:\n"
            "  %s:\n"
            "    auth:\n"
            "      auth_url: %s\n"
            "      username: standin\n"
            "      password: %s\n"
            "      project_name: standin-project\n"
            "      user_domain_name: Default\n"
            "      project_domain_name: Default\n"
            "    region_name: RegionOne\n"
            "    interface: public\n"
            "    identity_api_version: 3\n" % (cloud_name, self.auth_url, self.password))

    def posts(self):
        return [r for r in self.requests if r[0] == "POST" and not r[1].endswith("/auth/tokens")]

    def start(self):
        self._thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self):
        self.httpd.shutdown()
        self.httpd.server_close()
        self.cloud.ssh.close_all()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()


def main():
    parser = argparse.ArgumentParser(description="OpenStack API stand-in for tests (not OpenStack).")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--ssh-port", type=int, default=0)
    parser.add_argument("--external-cidr", default="127.0.1.0/24")
    parser.add_argument("--clouds-yaml", help="write a clouds.yaml pointing at the stand-in here")
    parser.add_argument("--cloud-name", default="standin", help="the cloud's name in that clouds.yaml")
    args = parser.parse_args()
    standin = StandIn(port=args.port, ssh_port=args.ssh_port, external_cidr=args.external_cidr)
    if args.clouds_yaml:
        with open(args.clouds_yaml, "w", encoding="utf-8") as handle:
            handle.write(standin.clouds_yaml(args.cloud_name))
    print("OpenStack stand-in on", standin.url, flush=True)
    standin.httpd.serve_forever()


if __name__ == "__main__":
    main()
