#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""A real SMTP server for the mail tests: Debian's python3-aiosmtpd on loopback.

Run with Debian's interpreter (/usr/bin/python3, where python3-aiosmtpd lives):

    smtp_server.py --port 0 --ready-file F --maildir D [--mode none|starttls|tls]
                   [--cert C --key K] [--auth USER:PASSWORD]

  --mode none      plain SMTP (AUTH allowed without TLS, as wg-portal's "none" needs)
  --mode starttls  STARTTLS offered and required before MAIL
  --mode tls       implicit TLS from the first byte (smtps)
  --auth U:P       AUTH required; PLAIN, LOGIN and CRAM-MD5 offered, only U:P accepted

Every accepted message is written to D/<n>.eml (the DATA bytes as received) with D/<n>.json
beside it: envelope sender and recipients, the AUTH mechanism and login, whether the session
was TLS, the time it arrived. The chosen port goes to the ready file. SIGTERM stops it.
"""
import argparse
import hashlib
import hmac
import json
import os
import signal
import ssl
import time

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword


class Handler:
    def __init__(self, maildir, creds):
        self.maildir, self.creds, self.n = maildir, creds, 0

    async def handle_DATA(self, server, session, envelope):
        self.n += 1
        base = os.path.join(self.maildir, f"{self.n:04d}")
        with open(base + ".eml.tmp", "wb") as f:
            f.write(envelope.original_content or envelope.content)
        meta = {"mail_from": envelope.mail_from, "rcpt_tos": envelope.rcpt_tos,
                "auth_mechanism": getattr(session, "wgp_mech", None),
                "login": session.auth_data.decode(errors="replace")
                if isinstance(session.auth_data, bytes) else None,
                "tls": session.ssl is not None or
                server.transport.get_extra_info("ssl_object") is not None,
                "received_at": time.time()}
        with open(base + ".json", "w") as f:
            json.dump(meta, f)
        os.rename(base + ".eml.tmp", base + ".eml")
        return "250 2.0.0 Message accepted for delivery"

    # CRAM-MD5 (RFC 2195), which aiosmtpd does not ship: the method name maps to "CRAM-MD5"
    async def auth_CRAM__MD5(self, server, args):
        challenge = f"<{os.getpid()}.{time.time_ns()}@wgportal.test>".encode()
        resp = await server.challenge_auth(challenge)
        if not isinstance(resp, bytes) or b" " not in resp:
            return AuthResult(success=False, handled=False)
        login, digest = resp.rsplit(b" ", 1)
        user, password = self.creds or (None, None)
        want = hmac.new(password.encode(), challenge, hashlib.md5).hexdigest().encode() \
            if password else None
        ok = user is not None and login.decode(errors="replace") == user and \
            want is not None and hmac.compare_digest(digest, want)
        server.session.wgp_mech = "CRAM-MD5"
        return AuthResult(success=ok, handled=False, auth_data=login if ok else None)


def make_authenticator(creds):
    def authenticator(server, session, envelope, mechanism, auth_data):
        session.wgp_mech = mechanism
        if not isinstance(auth_data, LoginPassword):
            return AuthResult(success=False, handled=False)
        ok = (auth_data.login.decode(errors="replace"), auth_data.password.decode(
            errors="replace")) == creds
        return AuthResult(success=ok, handled=False, auth_data=auth_data.login if ok else None)
    return authenticator


class TLSController(Controller):
    """Controller whose SMTP factory passes our STARTTLS and AUTH settings."""

    def __init__(self, handler, starttls_ctx, creds, **kw):
        self.starttls_ctx, self.creds = starttls_ctx, creds
        super().__init__(handler, **kw)

    def factory(self):
        return SMTP(self.handler, hostname="wgportal.test", tls_context=self.starttls_ctx,
                    require_starttls=self.starttls_ctx is not None,
                    authenticator=make_authenticator(self.creds) if self.creds else None,
                    auth_required=self.creds is not None, auth_require_tls=False,
                    decode_data=False)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--ready-file", required=True)
    ap.add_argument("--maildir", required=True)
    ap.add_argument("--mode", choices=("none", "starttls", "tls"), default="none")
    ap.add_argument("--cert")
    ap.add_argument("--key")
    ap.add_argument("--auth")
    a = ap.parse_args()
    os.makedirs(a.maildir, exist_ok=True)
    creds = tuple(a.auth.split(":", 1)) if a.auth else None
    ctx = None
    if a.mode != "none":
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(a.cert, a.key)
    port = a.port
    if port == 0:
        import socket
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
        s.close()
    handler = Handler(a.maildir, creds)
    ctl = TLSController(handler, ctx if a.mode == "starttls" else None, creds,
                        hostname="127.0.0.1", port=port,
                        ssl_context=ctx if a.mode == "tls" else None, ready_timeout=10)
    ctl.start()
    with open(a.ready_file + ".tmp", "w") as f:
        f.write(str(port))
    os.rename(a.ready_file + ".tmp", a.ready_file)
    signal.sigwait([signal.SIGTERM, signal.SIGINT])
    ctl.stop()


if __name__ == "__main__":
    signal.pthread_sigmask(signal.SIG_BLOCK, [signal.SIGTERM, signal.SIGINT])
    main()
