"""A stand-in for shequd that only reports what reached it, for the clients' credential tests
(no real daemon): `Principals/WhoAmI` answers with the metadata and TLS peer it saw,
`Notifications/Subscribe` sends one notification saying the same, and `Jobs/Activate` hands out
one job per stream while `Jobs/Complete` records its caller. It listens twice: plaintext, and TLS
requiring a client certificate from the test CA.

make_certs(dir) writes, with the openssl command: ca.pem/ca.key (the test CA), server.pem/.key
(for the name shequd.test, signed by it), client.pem/.key (CN dept-system, signed by it), and
other-ca.pem with other-client.pem/.key (a CA the server does not trust, and a client of it).

Run as a program it prints one JSON line {"plain": port, "tls": port, "certs": dir} and serves
until killed (the Node.js test uses it that way)."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from concurrent import futures

SOURCE_DIR = os.environ.get("SHEQU_SOURCE_DIR") or os.path.abspath(
    os.path.join(os.path.dirname(__file__), "..", ".."))
sys.path.insert(0, os.path.join(SOURCE_DIR, "clients", "python"))

import grpc  # noqa: E402
from shequ.v1 import jobs_pb2, jobs_pb2_grpc  # noqa: E402
from shequ.v1 import notifications_pb2, notifications_pb2_grpc  # noqa: E402
from shequ.v1 import principals_pb2, principals_pb2_grpc  # noqa: E402

SERVER_NAME = "shequd.test"


def _openssl(*args: str, cwd: str) -> None:
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True)


def _ca(dir: str, name: str) -> None:
    _openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj",
             f"/CN={name}", "-keyout", f"{name}.key", "-out", f"{name}.pem", cwd=dir)


def _leaf(dir: str, name: str, ca: str, cn: str, san: str | None) -> None:
    _openssl("req", "-newkey", "rsa:2048", "-nodes", "-subj", f"/CN={cn}", "-keyout",
             f"{name}.key", "-out", f"{name}.csr", cwd=dir)
    ext = os.path.join(dir, f"{name}.ext")
    with open(ext, "w") as f:
        f.write(f"subjectAltName=DNS:{san}\n" if san else "extendedKeyUsage=clientAuth\n")
    _openssl("x509", "-req", "-in", f"{name}.csr", "-CA", f"{ca}.pem", "-CAkey", f"{ca}.key",
             "-CAcreateserial", "-days", "2", "-extfile", ext, "-out", f"{name}.pem", cwd=dir)


def make_certs(dir: str) -> str:
    os.makedirs(dir, exist_ok=True)
    _ca(dir, "ca")
    _leaf(dir, "server", "ca", SERVER_NAME, SERVER_NAME)
    _leaf(dir, "client", "ca", "dept-system", None)
    _ca(dir, "other-ca")
    _leaf(dir, "other-client", "other-ca", "intruder", None)
    return dir


def _seen(context: grpc.ServicerContext) -> dict:
    """What identified the call: its authorization and x-shequ-* metadata, and the TLS client
    certificate's common name."""
    md = {k: v for k, v in context.invocation_metadata()
          if k == "authorization" or k.startswith("x-shequ-")}
    auth = context.auth_context()
    cn = auth.get("x509_common_name") or []
    return {"metadata": md, "client_cert": cn[0].decode() if cn else "",
            "tls": bool(auth.get("transport_security_type", [b""])[0] == b"ssl")}


def _hold(context: grpc.ServicerContext) -> None:
    """Keeps a stream open, as the daemon does, until the client cancels it."""
    while context.is_active():
        time.sleep(0.05)


class _Principals(principals_pb2_grpc.PrincipalsServicer):
    def WhoAmI(self, request, context):
        seen = _seen(context)
        if not seen["metadata"] and not seen["client_cert"]:
            context.abort(grpc.StatusCode.UNAUTHENTICATED, "no credentials")
        return principals_pb2.Principal(name="seen", via=json.dumps(seen))


class _Notifications(notifications_pb2_grpc.NotificationsServicer):
    def Subscribe(self, request, context):
        yield notifications_pb2.Notification(id=1, kind="seen", body=json.dumps(_seen(context)))
        _hold(context)


class _Jobs(jobs_pb2_grpc.JobsServicer):
    def __init__(self):
        self.completions: list[dict] = []
        self._next = 0
        self._mu = threading.Lock()

    def Activate(self, request, context):
        with self._mu:
            self._next += 1
            job_id = self._next
        yield jobs_pb2.Job(id=job_id, type=request.types[0], attempt=1,
                           variables=json.dumps({"activate": _seen(context)}))
        _hold(context)

    def Complete(self, request, context):
        with self._mu:
            self.completions.append({"job": request.job_id, **_seen(context)})
        return jobs_pb2.CompleteJobResponse()


def _read(dir: str, name: str) -> bytes:
    with open(os.path.join(dir, name), "rb") as f:
        return f.read()


class FakeDaemon:
    """Both listeners; stop() ends them."""

    def __init__(self, certs: str):
        self.certs = certs
        self.jobs = _Jobs()
        self.server = grpc.server(futures.ThreadPoolExecutor(16))
        principals_pb2_grpc.add_PrincipalsServicer_to_server(_Principals(), self.server)
        notifications_pb2_grpc.add_NotificationsServicer_to_server(_Notifications(),
                                                                   self.server)
        jobs_pb2_grpc.add_JobsServicer_to_server(self.jobs, self.server)
        tls = grpc.ssl_server_credentials([(_read(certs, "server.key"),
                                            _read(certs, "server.pem"))],
                                          root_certificates=_read(certs, "ca.pem"),
                                          require_client_auth=True)
        self.plain = self.server.add_insecure_port("127.0.0.1:0")
        self.tls = self.server.add_secure_port("127.0.0.1:0", tls)
        self.server.start()

    def stop(self) -> None:
        self.server.stop(0)


def main() -> None:
    certs = make_certs(tempfile.mkdtemp(prefix="shequ-fake-certs-"))
    daemon = FakeDaemon(certs)
    done = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: done.set())
    signal.signal(signal.SIGINT, lambda *_: done.set())
    print(json.dumps({"plain": daemon.plain, "tls": daemon.tls, "certs": certs}), flush=True)
    while not done.wait(0.2):
        pass
    daemon.stop()
    shutil.rmtree(certs, ignore_errors=True)


if __name__ == "__main__":
    main()
