"""The real JupyterHub of every hub of inventories/local and inventories/examples/* boots and lets users in.

Each inventory is rendered by playbooks/render.yml (real helm, real charts of ../shared/upstream/charts, test
values for the vault variables); every hub's release is then booted from its own manifests, unmodified, by
hubboot.HubPod: the hub ConfigMap and Secret where the hub Deployment mounts them, the hub image's Python
packages (tests/tools/hub-env.sh), configurable-http-proxy as the proxy Deployment runs it, in a private mount
and network namespace. `Client` plays the browser behind the Ingress: it sends each request to the proxy of the
hub whose host the URL names (with the X-Forwarded-Proto an Ingress with TLS adds) and keeps cookies.

Stand-ins: the Kubernetes API (no user server is started), kube-dns and the Ingress (hubboot), the generic OIDC
provider (tests/standins/oidc_provider). GitHub, GitLab and the LTI platform are not contacted: their part is
checked at the redirect the hub sends the browser to.
"""
import concurrent.futures
import datetime
import json
import os
import re
import ssl
import sys
from html.parser import HTMLParser
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
import yaml

from hubboot import HubPod, connect

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
INVENTORIES = ["inventories/local", "inventories/examples/lab", "inventories/examples/openstack"]
OIDC_STANDIN = os.path.join(REPO, "tests", "standins", "oidc_provider", "oidc_provider.py")
ARTIFACTS = os.environ.get("VJ_TEST_ARTIFACTS") or os.path.join(REPO, "tests", "output", "real-hub")
# Users the OIDC provider stand-in knows, with the claims it gives (the lab example allows group "lab").
OIDC_USERS = {
    "alice": {"preferred_username": "alice", "email": "alice@lab.example.org", "groups": ["lab"]},
    "bob": {"preferred_username": "bob", "email": "bob@lab.example.org", "groups": ["lab", "students"]},
    "eve": {"preferred_username": "eve", "email": "eve@elsewhere.example.org", "groups": ["guests"]},
}


class Hub:
    def __init__(self, inventory, name, folder, pod, values):
        self.inventory, self.name, self.folder, self.pod, self.values = inventory, name, folder, pod, values
        ingress = pod.objects[("Ingress", "jupyterhub")]
        self.host = ingress["spec"]["rules"][0]["host"]
        self.scheme = "https" if ingress["spec"].get("tls") else "http"
        self.url = "%s://%s" % (self.scheme, self.host)
        z2jh = values.get("jupyterhub", values)
        self.config = z2jh["hub"].get("config") or {}


def _ca_and_cert(folder, host):
    """A test CA and a server certificate for `host` signed by it (files: ca.pem, cert.pem, key.pem)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID
    now = datetime.datetime.now(datetime.timezone.utc)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "versatile.jupyter test CA")])
    ca = (x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name).public_key(ca_key.public_key())
          .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(hours=1))
          .not_valid_after(now + datetime.timedelta(days=1))
          .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
          .sign(ca_key, hashes.SHA256()))
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (x509.CertificateBuilder().subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, host)]))
            .issuer_name(ca_name).public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(hours=1)).not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName(host)]), critical=False)
            .sign(ca_key, hashes.SHA256()))
    paths = {n: os.path.join(folder, n + ".pem") for n in ("ca", "cert", "key")}
    with open(paths["ca"], "wb") as handle:
        handle.write(ca.public_bytes(serialization.Encoding.PEM))
    with open(paths["cert"], "wb") as handle:
        handle.write(cert.public_bytes(serialization.Encoding.PEM))
    with open(paths["key"], "wb") as handle:
        handle.write(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                       serialization.NoEncryption()))
    os.chmod(paths["key"], 0o600)
    return paths


def _start_oidc(hub, folder):
    """The OIDC provider stand-in in the hub's network namespace, at the URLs the hub's values name."""
    settings = hub.config["GenericOAuthenticator"]
    urls = {k: urlsplit(settings[k]) for k in ("authorize_url", "token_url", "userdata_url")}
    host = urls["authorize_url"].hostname
    assert {u.hostname for u in urls.values()} == {host} and urls["authorize_url"].scheme == "https"
    users = os.path.join(folder, "users.json")
    with open(users, "w") as handle:
        json.dump(OIDC_USERS, handle)
    secret = os.path.join(folder, "client-secret")
    with open(os.open(secret, os.O_WRONLY | os.O_CREAT, 0o600), "w") as handle:
        handle.write(settings["client_secret"])
    hub.oidc_host = host
    hub.oidc_port = urls["authorize_url"].port or 443
    hub.pod.run_inside([sys.executable, OIDC_STANDIN, "--listen", "127.0.0.1:%d" % hub.oidc_port,
                        "--cert", hub.tls["cert"], "--key", hub.tls["key"],
                        "--authorize-path", urls["authorize_url"].path, "--token-path", urls["token_url"].path,
                        "--userinfo-path", urls["userdata_url"].path, "--client-id", settings["client_id"],
                        "--client-secret-file", secret, "--users", users], "oidc.log")


@pytest.fixture(scope="module")
def hubs(render_inventory, hub_env, tmp_path_factory):
    """Every hub of the shipped inventories, booted at once; stopped at the end of the module."""
    if os.geteuid() != 0:
        pytest.skip("booting a hub in a private mount and network namespace (unshare) needs root")
    booted = {}
    try:
        for inventory in INVENTORIES:
            rendered = render_inventory(inventory)
            for folder in sorted(p for p in rendered.iterdir() if (p / "manifests.yaml").is_file()):
                key = "%s/%s" % (os.path.basename(inventory), folder.name)
                work = tmp_path_factory.mktemp(key.replace("/", "-"))
                values = yaml.safe_load((folder / "values.yaml").read_text())
                z2jh = values.get("jupyterhub", values)
                generic = "GenericOAuthenticator" in (z2jh.get("hub", {}).get("config") or {})
                tls = None
                if generic:
                    oidc_host = urlsplit(z2jh["hub"]["config"]["GenericOAuthenticator"]["token_url"]).hostname
                    tls = _ca_and_cert(str(work), oidc_host)
                pod = HubPod(folder / "manifests.yaml", work / "pod", hub_env, extra_ca=tls and tls["ca"])
                hub = Hub(inventory, folder.name, folder, pod, values)
                hub.tls = tls
                pod.hosts = [hub.host]
                pod.start(extra_hosts=[oidc_host] if generic else [])
                if generic:
                    _start_oidc(hub, str(work))
                booted[key] = hub
        with concurrent.futures.ThreadPoolExecutor(len(booted)) as pool:
            list(pool.map(lambda h: h.pod.wait_ready(timeout=240), booted.values()))
        yield booted
    finally:
        for hub in booted.values():
            hub.pod.terminate()
        for hub in booted.values():
            hub.pod.stop()


def _hub(hubs, predicate, what):
    found = [h for h in hubs.values() if predicate(h)]
    if not found:
        pytest.fail("no hub of %s in the shipped inventories" % what)
    return found


# --- a browser without a screen ---------------------------------------------------------------------------------
class _Form(HTMLParser):
    def __init__(self):
        super().__init__()
        self.inputs = {}

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "input" and attrs.get("name"):
            self.inputs[attrs["name"]] = attrs.get("value") or ""


def form_inputs(body):
    parser = _Form()
    parser.feed(body.decode(errors="replace"))
    return parser.inputs


class Client:
    """Cookies and redirects across the hubs and provider stand-ins, reached as the Ingress would."""

    def __init__(self, hubs):
        self.hubs = hubs
        self.cookies = {}

    def _route(self, host):
        for hub in self.hubs.values():
            if hub.host == host:
                return hub, hub.pod.proxy_port, False
            if getattr(hub, "oidc_host", None) == host:
                return hub, hub.oidc_port, True
        raise AssertionError("no hub or stand-in answers for %s" % host)

    def request(self, method, url, form=None, headers=None, follow=False):
        import http.client
        for _hop in range(10):
            parts = urlsplit(url)
            hub, port, tls = self._route(parts.hostname)
            sock = connect(hub.pod.proc.pid, port)
            if tls:
                context = ssl.create_default_context(cafile=hub.tls["ca"])
                sock = context.wrap_socket(sock, server_hostname=parts.hostname)
            conn = http.client.HTTPConnection(parts.hostname)
            conn.sock = sock
            hdrs = {"Host": parts.hostname}
            if parts.scheme == "https" and not tls:  # TLS ended at the Ingress, which says so
                hdrs.update({"X-Forwarded-Proto": "https", "X-Forwarded-Host": parts.hostname})
            jar = self.cookies.get(parts.hostname, {})
            if jar:
                hdrs["Cookie"] = "; ".join("%s=%s" % kv for kv in jar.items())
            body = None
            if form is not None:
                body = urlencode(form)
                hdrs["Content-Type"] = "application/x-www-form-urlencoded"
                if "_xsrf" in jar and "_xsrf" not in form:
                    body = urlencode(dict(form, _xsrf=jar["_xsrf"]))
            hdrs.update(headers or {})
            conn.request(method, parts.path + ("?" + parts.query if parts.query else ""), body=body, headers=hdrs)
            resp = conn.getresponse()
            data = resp.read()
            conn.close()
            for name, value in resp.getheaders():
                if name.lower() == "set-cookie":
                    cookie, _sep, _attrs = value.partition(";")
                    cname, _eq, cvalue = cookie.partition("=")
                    if re.search(r"(?i)max-age=0|expires=thu, 01 jan 1970", value):
                        self.cookies.setdefault(parts.hostname, {}).pop(cname.strip(), None)
                    else:
                        self.cookies.setdefault(parts.hostname, {})[cname.strip()] = cvalue.strip().strip('"')
            location = resp.getheader("Location")
            if not (follow and resp.status in (301, 302, 303, 307) and location):
                return resp.status, resp.getheader, data, url
            url = location if "://" in location else "%s://%s%s" % (parts.scheme, parts.netloc, location)
            method, form = ("GET", None) if resp.status != 307 else (method, form)
        raise AssertionError("too many redirects from %s" % url)

    def login_native(self, hub, user, password):
        self.request("GET", hub.url + "/hub/login", follow=True)
        return self.request("POST", hub.url + "/hub/login?next=", form={"username": user, "password": password})

    def api(self, hub, path):
        """The hub's REST API with this browser's session (as the hub's own pages call it)."""
        xsrf = self.cookies.get(hub.host, {}).get("_xsrf", "")
        status, _h, body, _u = self.request("GET", hub.url + "/hub/api" + path, headers={"X-XSRFToken": xsrf})
        return status, (json.loads(body) if status == 200 else body)


# --- every hub boots --------------------------------------------------------------------------------------------
def test_every_hub_of_the_shipped_inventories_boots(hubs):
    expected = set()
    for inventory in INVENTORIES:
        with open(os.path.join(REPO, inventory, "group_vars", "all", "hubs.yml")) as handle:
            names = re.findall(r"^  - name: (\S+)", handle.read(), re.M)
        expected |= {"%s/%s" % (os.path.basename(inventory), n) for n in names}
    assert set(hubs) == expected
    for hub in hubs.values():
        status, _h, body = hub.pod.http("GET", "/hub/api/", host=hub.host)
        assert status == 200 and json.loads(body)["version"] == "5.5.0", hub.name
        assert "Using Authenticator" in hub.pod.log(tail=200000)


def test_binderhub_hubs_boot_with_their_binderspawner(hubs):
    for hub in _hub(hubs, lambda h: "jupyterhub" in h.values, "kind binderhub"):
        log = hub.pod.log(tail=200000)
        assert re.search(r"Using Spawner: .*BinderSpawner", log), (hub.name, log[-3000:])
        status, _h, body = hub.pod.http("GET", "/hub/api/", host=hub.host)
        assert status == 200


# --- native sign-up ---------------------------------------------------------------------------------------------
def _native_hubs(hubs):
    return _hub(hubs, lambda h: "NativeAuthenticator" in h.config, "auth type native")


def test_native_admin_logs_in_with_the_generated_password_and_is_admin(hubs):
    for hub in _native_hubs(hubs):
        admins = hub.config["Authenticator"]["admin_users"]
        password = hub.values.get("custom", hub.values.get("jupyterhub", {}).get("custom", {})) \
            .get("versatileJupyter", {}).get("initialAdminPassword")
        assert admins == ["admin"] and password, hub.name  # README: log in as admin with the generated password
        browser = Client(hubs)
        # Nobody can take the admin's name: the account exists from the hub's first start.
        browser.request("GET", hub.url + "/hub/signup")
        status, _h, body, _u = browser.request("POST", hub.url + "/hub/signup", form={
            "username": "admin", "signup_password": "x" * 12, "signup_password_confirmation": "x" * 12})
        assert status == 200 and b"username is already in use" in body, body[-2000:]
        status, header, _b, _u = browser.login_native(hub, "admin", "wrong-password-123")
        assert status == 200 and "jupyterhub-session-id" not in browser.cookies.get(hub.host, {})
        status, header, _b, _u = browser.login_native(hub, "admin", password)
        assert status == 302, hub.name
        status, user = browser.api(hub, "/user")
        assert status == 200 and user["name"] == "admin" and user["admin"] is True, (status, user)
        assert browser.request("GET", hub.url + "/hub/authorize")[0] == 200


def test_native_signup_needs_the_admins_approval(hubs):
    for hub in _native_hubs(hubs):
        password = (hub.values.get("custom") or hub.values["jupyterhub"]["custom"])["versatileJupyter"][
            "initialAdminPassword"]
        user = Client(hubs)
        user.request("GET", hub.url + "/hub/signup")
        status, _h, body, _u = user.request("POST", hub.url + "/hub/signup", form={
            "username": "bob", "signup_password": "bob-password-1", "signup_password_confirmation": "bob-password-1"})
        assert status == 200 and b"admin" in body.lower(), body[-2000:]
        status, _h, body, _u = user.login_native(hub, "bob", "bob-password-1")
        assert status == 200 and "jupyterhub-session-id" not in user.cookies.get(hub.host, {}), hub.name
        assert b"not authorized" in body.lower() or b"authoriz" in body.lower()
        admin = Client(hubs)
        assert admin.login_native(hub, "admin", password)[0] == 302
        assert admin.request("GET", hub.url + "/hub/authorize/bob")[0] in (200, 302)
        status, _h, _b, _u = user.login_native(hub, "bob", "bob-password-1")
        assert status == 302, hub.name
        status, me = user.api(hub, "/user")
        assert status == 200 and me["name"] == "bob" and me["admin"] is False
        assert user.request("GET", hub.url + "/hub/authorize")[0] == 403


# --- OAuth presets ----------------------------------------------------------------------------------------------
@pytest.mark.parametrize("cls, authorize", [
    ("GitHubOAuthenticator", "https://github.com/login/oauth/authorize"),
    ("GitLabOAuthenticator", None),
    ("GenericOAuthenticator", None),
])
def test_oauth_login_redirects_to_the_provider_with_client_id_and_callback(hubs, cls, authorize):
    for hub in _hub(hubs, lambda h: cls in h.config, cls):
        settings = hub.config[cls]
        expected = authorize or settings.get("authorize_url") or settings["gitlab_url"] + "/oauth/authorize"
        browser = Client(hubs)
        status, header, _b, _u = browser.request("GET", hub.url + "/hub/oauth_login?next=")
        assert status == 302, hub.name
        target = urlsplit(header("Location"))
        query = parse_qs(target.query)
        assert "%s://%s%s" % (target.scheme, target.netloc, target.path) == expected
        assert query["client_id"] == [settings["client_id"]]
        assert query["redirect_uri"] == [hub.url + "/hub/oauth_callback"], query
        assert query["response_type"] == ["code"] and query["state"]


def _oidc_login(hubs, hub, user):
    browser = Client(hubs)
    status, header, _b, _u = browser.request("GET", hub.url + "/hub/oauth_login?next=")
    assert status == 302
    status, _h, page, url = browser.request("GET", header("Location"))
    assert status == 200 and b"Sign in" in page
    fields = dict(form_inputs(page), username=user)
    status, header, _b, _u = browser.request("POST", url, form=fields)
    assert status == 302 and header("Location").startswith(hub.url + "/hub/oauth_callback?")
    status, header, body, _u = browser.request("GET", header("Location"))
    return browser, status, body


def test_generic_oidc_code_flow_claims_decide_who_gets_in_and_who_is_admin(hubs):
    for hub in _hub(hubs, lambda h: "GenericOAuthenticator" in h.config, "auth type generic-oauth"):
        settings, admins = hub.config["GenericOAuthenticator"], hub.config["Authenticator"]["admin_users"]
        allowed = set(settings["allowed_groups"])
        for name, claims in OIDC_USERS.items():
            browser, status, body = _oidc_login(hubs, hub, name)
            if allowed & set(claims["groups"]) or name in admins:
                assert status == 302, (name, status, body[-1500:], hub.pod.log())
                status, me = browser.api(hub, "/user")
                assert status == 200 and me["name"] == name and me["admin"] is (name in admins), me
            else:
                assert status == 403, (name, status, body[-1500:])
                assert "jupyterhub-session-id" not in browser.cookies.get(hub.host, {})


# --- LTI 1.3 ----------------------------------------------------------------------------------------------------
def test_lti13_login_initiation_and_tool_configuration(hubs):
    for hub in _hub(hubs, lambda h: "LTI13Authenticator" in h.config, "auth type lti13"):
        settings = hub.config["LTI13Authenticator"]
        platform = Client(hubs)
        status, header, _b, _u = platform.request("POST", hub.url + "/hub/lti13/oauth_login", form={
            "iss": settings["issuer"], "login_hint": "student-1", "target_link_uri": hub.url + "/",
            "lti_message_hint": "resource-1", "client_id": settings["client_id"][0]})
        assert status == 302, hub.pod.log()
        target = urlsplit(header("Location"))
        query = {k: v[0] for k, v in parse_qs(target.query).items()}
        assert "%s://%s%s" % (target.scheme, target.netloc, target.path) == settings["authorize_url"]
        assert query["client_id"] == settings["client_id"][0] and query["login_hint"] == "student-1"
        assert query["redirect_uri"] == hub.url + "/hub/lti13/oauth_callback"
        assert query["response_type"] == "id_token" and query["response_mode"] == "form_post"
        assert query["scope"] == "openid" and query["prompt"] == "none" and query["nonce"] and query["state"]
        status, _h, _b, _u = platform.request("POST", hub.url + "/hub/lti13/oauth_login", form={"iss": "x"})
        assert status == 400
        status, _h, body, _u = platform.request("GET", hub.url + "/hub/lti13/config")
        config = json.loads(body)
        assert status == 200 and config["oidc_initiation_url"] == hub.url + "/hub/lti13/oauth_login"
        assert config["target_link_uri"] == hub.url


# --- a real browser ---------------------------------------------------------------------------------------------
class IngressGateway:
    """Stand-in for the Ingress and DNS, as the browser sees them: a SOCKS5 proxy on this machine's loopback
    through which chromium reaches each hub's proxy (TLS ended here for https hosts, with a test certificate the
    browser is told to accept) and the OIDC provider stand-in, inside their network namespaces."""

    def __init__(self, hubs, folder):
        import socketserver
        import threading
        self.hubs, self.folder, self.contexts = hubs, folder, {}
        gateway = self

        class Handler(socketserver.BaseRequestHandler):
            def handle(self):
                gateway.serve(self.request)

        class Server(socketserver.ThreadingMixIn, socketserver.TCPServer):
            daemon_threads = True
            allow_reuse_address = True

        self.server = Server(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def _tls(self, host):
        if host not in self.contexts:
            folder = os.path.join(self.folder, host)
            os.makedirs(folder, exist_ok=True)
            paths = _ca_and_cert(folder, host)
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(paths["cert"], paths["key"])
            self.contexts[host] = context
        return self.contexts[host]

    def serve(self, client):
        import select
        import struct
        client.recv(2 + client.recv(2)[1])           # greeting: version, methods -> no authentication
        client.sendall(b"\x05\x00")
        head = client.recv(4)                         # version, CONNECT, reserved, address type
        if head[3] == 3:
            host = client.recv(client.recv(1)[0]).decode()
        else:
            client.recv(4 if head[3] == 1 else 16)
            host = None
        port = struct.unpack(">H", client.recv(2))[0]
        upstream = None
        for hub in self.hubs.values():
            if host == hub.host and port == (443 if hub.scheme == "https" else 80):
                upstream = connect(hub.pod.proc.pid, hub.pod.proxy_port)
                terminate = hub.scheme == "https"
            elif host == getattr(hub, "oidc_host", None) and port == hub.oidc_port:
                upstream, terminate = connect(hub.pod.proc.pid, hub.oidc_port), False
        if upstream is None:
            client.sendall(b"\x05\x04\x00\x01" + b"\x00" * 6)  # host unreachable
            return
        client.sendall(b"\x05\x00\x00\x01" + b"\x00" * 6)
        if terminate:
            client = self._tls(host).wrap_socket(client, server_side=True)
        client.setblocking(False)
        upstream.setblocking(False)
        peers = {client: upstream, upstream: client}
        try:
            while True:
                readable, _w, _x = select.select(list(peers), [], [], 30)
                if not readable:
                    return
                for sock in readable:
                    try:
                        data = sock.recv(65536)
                    except (ssl.SSLWantReadError, BlockingIOError):
                        continue
                    if not data:
                        return
                    peers[sock].setblocking(True)
                    peers[sock].sendall(data)
                    peers[sock].setblocking(False)
                # TLS may hold decrypted bytes that select() does not see
                while isinstance(client, ssl.SSLSocket) and client.pending():
                    upstream.setblocking(True)
                    upstream.sendall(client.recv(65536))
                    upstream.setblocking(False)
        except OSError:
            return
        finally:
            client.close()
            upstream.close()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture(scope="module")
def browser(hubs, tmp_path_factory):
    """Debian's chromium driven by selenium, reaching the hubs through the IngressGateway."""
    if not (os.path.exists("/usr/bin/chromium") and os.path.exists("/usr/bin/chromedriver")):
        pytest.skip("chromium and chromium-driver are not installed (tests/apt-packages.txt; scripts/test setup)")
    webdriver = pytest.importorskip("selenium.webdriver")
    from selenium.webdriver.chrome.service import Service
    gateway = IngressGateway(hubs, str(tmp_path_factory.mktemp("gateway")))
    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for flag in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run", "--window-size=1280,900",
                 "--proxy-server=socks5://127.0.0.1:%d" % gateway.port, "--proxy-bypass-list=<-loopback>",
                 "--ignore-certificate-errors"):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
    driver.set_page_load_timeout(60)
    os.makedirs(ARTIFACTS, exist_ok=True)
    try:
        yield driver
    finally:
        driver.quit()
        gateway.close()


def _shot(driver, name):
    path = os.path.join(ARTIFACTS, name + ".png")
    assert driver.save_screenshot(path), path
    return path


def _wait(driver, predicate, what, timeout=30):
    from selenium.webdriver.support.ui import WebDriverWait
    try:
        WebDriverWait(driver, timeout).until(lambda d: predicate(d))
    except Exception:
        raise AssertionError("%s: still at %s\n%s" % (what, driver.current_url, driver.page_source[-2000:]))


def test_browser_native_signup_approval_and_admin(hubs, browser):
    from selenium.webdriver.common.by import By
    hub = hubs["local/jupyter"]
    password = hub.values["custom"]["versatileJupyter"]["initialAdminPassword"]

    def login(user, secret):
        browser.delete_all_cookies()
        browser.get(hub.url + "/hub/login?next=%2Fhub%2Fhome")
        browser.find_element(By.ID, "username_input").send_keys(user)
        browser.find_element(By.ID, "password_input").send_keys(secret)
        browser.find_element(By.ID, "login_submit").click()

    browser.get(hub.url + "/hub/login")
    assert browser.find_element(By.ID, "username_input")
    _shot(browser, "native-login")
    browser.get(hub.url + "/hub/signup")
    browser.find_element(By.NAME, "username").send_keys("carol")
    browser.find_element(By.NAME, "signup_password").send_keys("carol-password-1")
    browser.find_element(By.NAME, "signup_password_confirmation").send_keys("carol-password-1")
    browser.find_element(By.CSS_SELECTOR, "form [type=submit]").click()
    _wait(browser, lambda d: "sent to the admin" in d.page_source, "carol's sign-up")
    _shot(browser, "native-signup")
    login("carol", "carol-password-1")
    _wait(browser, lambda d: "/hub/login" in d.current_url and "login_submit" in d.page_source, "carol refused")
    assert "/hub/home" not in browser.current_url
    login("admin", password)
    _wait(browser, lambda d: d.current_url.endswith("/hub/home"), "admin's home page")
    assert browser.find_element(By.LINK_TEXT, "Admin")  # the navbar shows admins the admin page
    _shot(browser, "native-admin-home")
    browser.get(hub.url + "/hub/authorize")
    _wait(browser, lambda d: "carol" in d.page_source, "the authorize page lists carol")
    _shot(browser, "native-authorize")
    browser.get(hub.url + "/hub/authorize/carol")
    login("carol", "carol-password-1")
    _wait(browser, lambda d: d.current_url.endswith("/hub/home"), "carol's home page after approval")
    assert not browser.find_elements(By.LINK_TEXT, "Admin")
    _shot(browser, "native-user-home")


def test_browser_oidc_code_flow(hubs, browser):
    from selenium.webdriver.common.by import By
    hub = _hub(hubs, lambda h: "GenericOAuthenticator" in h.config, "auth type generic-oauth")[0]
    browser.delete_all_cookies()
    browser.get(hub.url + "/hub/login?next=%2Fhub%2Fhome")
    _shot(browser, "oidc-login")
    browser.find_element(By.CSS_SELECTOR, "a.btn-jupyter, #login-main a").click()
    _wait(browser, lambda d: d.current_url.startswith("https://" + hub.oidc_host), "the provider's sign-in page")
    browser.find_element(By.ID, "username").send_keys("alice")
    _shot(browser, "oidc-provider")
    browser.find_element(By.ID, "signin").click()
    _wait(browser, lambda d: d.current_url == hub.url + "/hub/home", "alice's home page")
    assert "alice" in browser.page_source and browser.find_element(By.LINK_TEXT, "Admin")
    _shot(browser, "oidc-home")
