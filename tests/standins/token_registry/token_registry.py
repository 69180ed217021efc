"""A registry that speaks the bearer-token flow (stand-in, see README.md). Tests only."""
import base64
import json
import re
import secrets
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse


MANIFEST_BODY = b'{"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json"}'


class TokenRegistry:
    """Start with `with TokenRegistry(users={"u": "p"}, manifests={("p/x", "t"): "sha256:..."}) as reg:`."""

    def __init__(self, users, manifests, service="standin-registry", head=True, digest_header=True):
        """manifests: {(repository, tag): digest}. head=False answers HEAD with 405 (as some registries do);
        digest_header=False leaves out Docker-Content-Digest. GET returns MANIFEST_BODY."""
        self.head = head
        self.digest_header = digest_header
        self.users = dict(users)
        self.manifests = dict(manifests)
        self.service = service
        self.tokens = set()
        self.token_requests = []
        registry = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def _basic_user(self):
                header = self.headers.get("Authorization", "")
                if not header.startswith("Basic "):
                    return None
                user, _, password = base64.b64decode(header[6:]).decode().partition(":")
                return user if registry.users.get(user) == password else None

            def _reply(self, code, headers=None, body=b""):
                self.send_response(code)
                for key, value in (headers or {}).items():
                    self.send_header(key, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(body)

            def do_HEAD(self):
                if not registry.head and "/manifests/" in self.path:
                    return self._reply(405)
                return self.do_GET()

            def do_GET(self):
                url = urlparse(self.path)
                if url.path == "/token":
                    query = {k: v[0] for k, v in parse_qs(url.query).items()}
                    registry.token_requests.append(query)
                    if self._basic_user() is None:
                        return self._reply(401, {"WWW-Authenticate": 'Basic realm="token"'})
                    token = secrets.token_hex(16)
                    registry.tokens.add(token)
                    return self._reply(200, {"Content-Type": "application/json"},
                                       json.dumps({"token": token}).encode())
                match = re.match(r"^/v2/(.+)/manifests/([^/]+)$", url.path)
                if not match:
                    return self._reply(404)
                auth = self.headers.get("Authorization", "")
                if not (auth.startswith("Bearer ") and auth[7:] in registry.tokens):
                    challenge = 'Bearer realm="%s/token",service="%s",scope="repository:%s:pull"' % (
                        registry.url, registry.service, match.group(1))
                    return self._reply(401, {"WWW-Authenticate": challenge})
                digest = registry.manifests.get((match.group(1), match.group(2)))
                if digest is None:
                    return self._reply(404)
                headers = {"Content-Type": "application/vnd.oci.image.manifest.v1+json"}
                if registry.digest_header:
                    headers["Docker-Content-Digest"] = digest
                return self._reply(200, headers, MANIFEST_BODY)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = "http://127.0.0.1:%d" % self.server.server_address[1]
        self.host = "127.0.0.1:%d" % self.server.server_address[1]

    def __enter__(self):
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()
