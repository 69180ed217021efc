"""A registry token service (stand-in, see README.md): RS256 JWTs that distribution 2.8 accepts. Tests only."""
import base64
import datetime
import json
import os
import secrets
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509.oid import NameOID

ISSUER = "vj-test-token-issuer"


def _b64(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


class TokenIssuer:
    """`with TokenIssuer({"user": "password"}, service="...", directory=d) as issuer:` then point the registry's
    `auth.token` at `issuer.realm`, `issuer.service`, `ISSUER`, `issuer.cert_path`."""

    def __init__(self, users, service, directory):
        self.users = dict(users)
        self.service = service
        self.requests = []
        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, ISSUER)])
        now = datetime.datetime.now(datetime.timezone.utc)
        self.cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
                     .public_key(self.key.public_key()).serial_number(x509.random_serial_number())
                     .not_valid_before(now - datetime.timedelta(minutes=5))
                     .not_valid_after(now + datetime.timedelta(days=1))
                     .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
                     .sign(self.key, hashes.SHA256()))
        self.cert_path = os.path.join(directory, "token-issuer.pem")
        with open(self.cert_path, "wb") as handle:
            handle.write(self.cert.public_bytes(serialization.Encoding.PEM))
        issuer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_GET(self):
                url = urlparse(self.path)
                query = parse_qs(url.query)
                issuer.requests.append(query)
                header = self.headers.get("Authorization", "")
                account = None
                if header.startswith("Basic "):
                    user, _, password = base64.b64decode(header[6:]).decode().partition(":")
                    if issuer.users.get(user) != password:
                        return self._reply(401, {"errors": [{"code": "UNAUTHORIZED", "message": "bad credentials"}]})
                    account = user
                access = []
                if account:
                    for scope in query.get("scope", []):
                        for part in scope.split(" "):
                            kind, _, rest = part.partition(":")
                            name, _, actions = rest.rpartition(":")
                            access.append({"type": kind, "name": name, "actions": actions.split(",")})
                token = issuer.sign(account or "", access)
                return self._reply(200, {"token": token, "access_token": token, "expires_in": 300,
                                         "issued_at": datetime.datetime.now(datetime.timezone.utc).isoformat()})

            def _reply(self, code, body):
                data = json.dumps(body).encode()
                self.send_response(code)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.realm = "http://127.0.0.1:%d/token" % self.server.server_address[1]

    def sign(self, subject, access):
        header = {"typ": "JWT", "alg": "RS256",
                  "x5c": [base64.b64encode(self.cert.public_bytes(serialization.Encoding.DER)).decode()]}
        now = int(time.time())
        claims = {"iss": ISSUER, "sub": subject, "aud": self.service, "exp": now + 300, "nbf": now - 10,
                  "iat": now, "jti": secrets.token_hex(8), "access": access}
        signing_input = "%s.%s" % (_b64(json.dumps(header).encode()), _b64(json.dumps(claims).encode()))
        signature = self.key.sign(signing_input.encode(), padding.PKCS1v15(), hashes.SHA256())
        return "%s.%s" % (signing_input, _b64(signature))

    def __enter__(self):
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def start(self):
        return self.__enter__()

    def stop(self):
        self.server.shutdown()
        self.server.server_close()

    def __exit__(self, *exc):
        self.stop()
