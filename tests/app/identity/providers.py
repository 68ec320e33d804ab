"""OpenID providers for the tests, both real HTTP servers on localhost.

* `MockProvider`: oidc-provider-mock (a real OpenID Provider built on Authlib's server side,
  with RS256-signed tokens and a JWKS endpoint) in a process of its own. People are set with
  `set_person(sub, claims)`; the test drives its consent page over HTTP like a browser.
* `TinyProvider`: a few dozen lines of http.server in a thread, for the tokens a good provider
  never sends (signed by another key, expired, for another audience or issuer, with another
  nonce). It signs with a key of its own (joserfc) and serves its JWKS like any provider.

Nothing of the relying party is replaced: it discovers, redirects, exchanges the code and checks
the token over real HTTP in both cases.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlencode, urlparse

import httpx
from joserfc import jwt
from joserfc.jwk import RSAKey


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class MockProvider:
    def __init__(self) -> None:
        self.port = free_port()
        self.issuer = f"http://127.0.0.1:{self.port}"
        env = {**os.environ, "NO_COLOR": "1"}
        self.process = subprocess.Popen(
            [sys.executable, "-m", "oidc_provider_mock", "--port", str(self.port),
             "--host", "127.0.0.1"], env=env, stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"{self.issuer}/.well-known/openid-configuration",
                             timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError("oidc-provider-mock did not start")
            time.sleep(0.1)

    def set_person(self, sub: str, claims: dict) -> None:
        response = httpx.put(f"{self.issuer}/users/{sub}", json=claims, timeout=5)
        assert response.status_code == 204, response.text

    def consent(self, authorization_url: str, sub: str) -> str:
        """The person at the provider: the consent page, then "Authorize" as `sub`. Returns
        the address the provider sends the browser back to."""
        with httpx.Client(timeout=10) as browser:
            page = browser.get(authorization_url)
            assert page.status_code == 200, page.text
            assert 'name="sub"' in page.text  # the consent form
            answer = browser.post(authorization_url, data={"sub": sub})
            assert answer.status_code == 302, answer.text
            return answer.headers["location"]

    def deny(self, authorization_url: str) -> str:
        with httpx.Client(timeout=10) as browser:
            answer = browser.post(authorization_url, data={"action": "deny"})
            assert answer.status_code == 302, answer.text
            return answer.headers["location"]

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


class TinyProvider:
    """Issues the ID token `mode` asks for: good, other_key, expired, other_audience,
    other_issuer, other_nonce, no_nonce."""

    CLIENT_ID = "hromada-tests"

    def __init__(self) -> None:
        self.key = RSAKey.generate_key(2048, parameters={"kid": "ours", "use": "sig"})
        self.stranger = RSAKey.generate_key(2048, parameters={"kid": "ours", "use": "sig"})
        self.mode = "good"
        self.codes: dict[str, dict] = {}
        self.token_requests: list[dict] = []
        provider = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:
                pass

            def _json(self, data: dict, status: int = 200) -> None:
                body = json.dumps(data).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_GET(self) -> None:
                url = urlparse(self.path)
                if url.path == "/.well-known/openid-configuration":
                    base = provider.issuer
                    self._json({"issuer": base, "authorization_endpoint": f"{base}/authorize",
                                "token_endpoint": f"{base}/token", "jwks_uri": f"{base}/jwks",
                                "id_token_signing_alg_values_supported": ["RS256"]})
                elif url.path == "/jwks":
                    self._json({"keys": [provider.key.as_dict(private=False)]})
                elif url.path == "/authorize":
                    query = {k: v[0] for k, v in parse_qs(url.query).items()}
                    code = os.urandom(8).hex()
                    provider.codes[code] = query
                    back = f"{query['redirect_uri']}?" + urlencode(
                        {"code": code, "state": query["state"]})
                    self.send_response(302)
                    self.send_header("Location", back)
                    self.end_headers()
                else:
                    self._json({"error": "not_found"}, 404)

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", 0))
                form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
                provider.token_requests.append(form)
                asked = provider.codes.pop(form.get("code", ""), None)
                if asked is None:
                    self._json({"error": "invalid_grant"}, 400)
                    return
                self._json({"access_token": "at-" + os.urandom(8).hex(),
                            "token_type": "Bearer", "expires_in": 300,
                            "id_token": provider.id_token(asked)})

        self.port = free_port()
        self.issuer = f"http://127.0.0.1:{self.port}"
        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def id_token(self, asked: dict) -> str:
        now = int(time.time())
        claims = {"iss": self.issuer, "aud": self.CLIENT_ID, "sub": "tiny-person-1",
                  "iat": now, "exp": now + 300, "nonce": asked.get("nonce"),
                  "email": "tiny@example.org", "name": "Тарас Тестовий",
                  "birthdate": "1985-02-03"}
        key = self.key
        if self.mode == "other_key":
            key = self.stranger
        elif self.mode == "expired":
            claims.update(iat=now - 3600, exp=now - 1800)
        elif self.mode == "other_audience":
            claims["aud"] = "someone-else"
        elif self.mode == "other_issuer":
            claims["iss"] = "https://impostor.example"
        elif self.mode == "other_nonce":
            claims["nonce"] = "not-the-nonce-we-were-given"
        elif self.mode == "no_nonce":
            claims.pop("nonce")
        return jwt.encode({"alg": "RS256", "kid": "ours"}, claims, key)

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
