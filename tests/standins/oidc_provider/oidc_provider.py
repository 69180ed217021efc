#!/usr/bin/env python3
"""Stand-in for an OpenID Connect provider (Keycloak, Auth0, an institution's SSO): the authorization-code flow.

Tests only. Serves, over HTTPS with the certificate it is given, at the paths it is given (those the hub's
GenericOAuthenticator configuration names):
- authorize (GET): checks client_id, response_type=code and redirect_uri, shows a sign-in form (the user name
  stands for a real sign-in; no password); (POST) redirects to redirect_uri with a one-time code and the state;
- token (POST, grant_type=authorization_code): checks the client credentials (HTTP Basic or form), the code and
  its redirect_uri; answers an opaque bearer access token;
- userinfo (GET, Authorization: Bearer): the signed-in user's claims, from the users file.

Usage: oidc_provider.py --listen HOST:PORT --cert CERT --key KEY --authorize-path P --token-path P
       --userinfo-path P --client-id ID --client-secret-file FILE --users USERS.json
USERS.json maps a user name to its claims ({"alice": {"preferred_username": "alice", "groups": ["lab"]}}).
Not faithful: no discovery document, no id_token signature, no consent, no refresh tokens.
"""
import argparse
import base64
import html
import json
import secrets
import ssl
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlencode, urlsplit


def main():
    parser = argparse.ArgumentParser()
    for name in ("listen", "cert", "key", "authorize-path", "token-path", "userinfo-path", "client-id",
                 "client-secret-file", "users"):
        parser.add_argument("--" + name, required=True)
    args = parser.parse_args()
    with open(args.users) as handle:
        users = json.load(handle)
    with open(args.client_secret_file) as handle:
        client_secret = handle.read().strip()
    codes, tokens = {}, {}

    class Handler(BaseHTTPRequestHandler):
        def _send(self, status, body=b"", ctype="application/json", headers=()):
            self.send_response(status)
            for key, value in headers:
                self.send_header(key, value)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def _error(self, status, error, text):
            self._send(status, json.dumps({"error": error, "error_description": text}).encode())

        def _form(self):
            length = int(self.headers.get("Content-Length") or 0)
            return {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}

        def do_GET(self):
            url = urlsplit(self.path)
            query = {k: v[0] for k, v in parse_qs(url.query).items()}
            if url.path == args.authorize_path:
                if query.get("client_id") != args.client_id or query.get("response_type") != "code" \
                        or not query.get("redirect_uri"):
                    return self._error(400, "invalid_request", "unknown client_id, no redirect_uri or not code")
                hidden = "".join('<input type="hidden" name="%s" value="%s">' % (html.escape(k), html.escape(v))
                                 for k, v in query.items())
                page = ('<!doctype html><title>Sign in (OIDC provider stand-in)</title><h1>Sign in</h1>'
                        '<form method="post">%s<label>User <input id="username" name="username"></label>'
                        '<button id="signin" type="submit">Sign in</button></form>' % hidden)
                return self._send(200, page.encode(), "text/html")
            if url.path == args.userinfo_path:
                auth = self.headers.get("Authorization", "")
                user = tokens.get(auth[7:]) if auth.startswith("Bearer ") else None
                if user is None:
                    return self._error(401, "invalid_token", "unknown bearer token")
                return self._send(200, json.dumps(dict(users[user], sub=user)).encode())
            return self._error(404, "not_found", url.path)

        def do_POST(self):
            url = urlsplit(self.path)
            form = self._form()
            if url.path == args.authorize_path:
                user = form.get("username", "")
                if user not in users:
                    return self._send(200, b"<p id='error'>unknown user</p>", "text/html")
                code = secrets.token_urlsafe(16)
                codes[code] = (user, form["redirect_uri"])
                target = form["redirect_uri"] + ("&" if "?" in form["redirect_uri"] else "?") + urlencode(
                    {"code": code, "state": form.get("state", "")})
                return self._send(302, b"", "text/plain", [("Location", target)])
            if url.path == args.token_path:
                client_id, secret = form.get("client_id"), form.get("client_secret")
                auth = self.headers.get("Authorization", "")
                if auth.startswith("Basic "):
                    client_id, _sep, secret = base64.b64decode(auth[6:]).decode().partition(":")
                if client_id != args.client_id or secret != client_secret:
                    return self._error(401, "invalid_client", "wrong client credentials")
                entry = codes.pop(form.get("code", ""), None)
                if form.get("grant_type") != "authorization_code" or entry is None \
                        or entry[1] != form.get("redirect_uri"):
                    return self._error(400, "invalid_grant", "unknown code or redirect_uri mismatch")
                token = secrets.token_urlsafe(24)
                tokens[token] = entry[0]
                return self._send(200, json.dumps({"access_token": token, "token_type": "Bearer",
                                                   "expires_in": 300, "scope": "openid profile email"}).encode())
            return self._error(404, "not_found", url.path)

        def log_message(self, fmt, *fargs):
            print("%s %s" % (self.address_string(), fmt % fargs), flush=True)

    host, port = args.listen.rsplit(":", 1)
    server = ThreadingHTTPServer((host, int(port)), Handler)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(args.cert, args.key)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    print("listening on %s" % args.listen, flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
