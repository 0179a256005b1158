"""The Python client's credentials, against a stand-in daemon that reports what it received
(fake_daemon.py): the token on unary calls, streams and a worker's calls; $SHEQU_TOKEN; the
x-shequ-* metadata of development mode; TLS with a CA, mTLS with a client certificate and a
server name; refusals at the handshake; the hint on UNAUTHENTICATED without a token."""

import json
import os
import shutil
import tempfile
import threading
import unittest
from unittest import mock

from fake_daemon import SERVER_NAME, FakeDaemon, make_certs  # puts clients/python on sys.path
import shequ  # noqa: E402
from shequ.client import is_loopback  # noqa: E402

TOKEN = "sqt_test.0123456789abcdef"


def seen(principal) -> dict:
    return json.loads(principal.via)


class CredentialsTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls) -> None:
        cls.certs = make_certs(tempfile.mkdtemp(prefix="shequ-certs-"))
        cls.daemon = FakeDaemon(cls.certs)
        cls.plain = f"127.0.0.1:{cls.daemon.plain}"
        cls.tls = f"127.0.0.1:{cls.daemon.tls}"

    @classmethod
    def tearDownClass(cls) -> None:
        cls.daemon.stop()
        shutil.rmtree(cls.certs, ignore_errors=True)

    def setUp(self) -> None:
        env = {k: v for k, v in os.environ.items() if not k.startswith("SHEQU_")}
        patcher = mock.patch.dict(os.environ, env, clear=True)
        patcher.start()
        self.addCleanup(patcher.stop)

    def cert(self, name: str) -> str:
        return os.path.join(self.certs, name)

    def mtls(self, **kw) -> shequ.Client:
        options = dict(ca_file=self.cert("ca.pem"), cert_file=self.cert("client.pem"),
                       key_file=self.cert("client.key"), server_name=SERVER_NAME, timeout=5)
        options.update(kw)
        return shequ.Client(self.tls, **options)

    def test_token_on_unary_calls(self):
        with shequ.Client(self.plain, token=TOKEN) as client:
            self.assertFalse(client.tls)
            got = seen(client.principals.whoami())
            self.assertEqual(got["metadata"], {"authorization": f"Bearer {TOKEN}"})
            self.assertFalse(got["tls"])

    def test_token_from_the_environment(self):
        os.environ["SHEQU_TOKEN"] = "from-env"
        with shequ.Client(self.plain) as client:
            self.assertEqual(seen(client.principals.whoami())["metadata"],
                             {"authorization": "Bearer from-env"})
            # An explicit token wins; as_caller inherits nothing, not even the environment's.
            other = client.as_caller(token="other")
            self.assertEqual(seen(other.principals.whoami())["metadata"],
                             {"authorization": "Bearer other"})
            with self.assertRaises(shequ.Unauthenticated):
                client.as_caller().principals.whoami()
        with shequ.Client(self.plain, token="explicit") as client:
            self.assertEqual(seen(client.principals.whoami())["metadata"],
                             {"authorization": "Bearer explicit"})

    def test_token_on_streams_and_workers(self):
        with shequ.Client(self.plain, token=TOKEN) as client:
            with client.notifications.subscribe(roles=["leading-group"]) as inbox:
                note = inbox.next(timeout=5)
                self.assertEqual(json.loads(note.body)["metadata"],
                                 {"authorization": f"Bearer {TOKEN}"})
            worker = client.worker("archive", backoff=0.05)
            done = threading.Event()

            @worker("archive.file")
            def handle(job):
                done.set()
                return {"seen": job.variables["activate"]["metadata"]}

            worker.start()
            self.assertTrue(done.wait(5))
            for _ in range(100):
                if worker.completed:
                    break
                threading.Event().wait(0.05)
            worker.stop()
            self.assertEqual(worker.completed, 1)
            self.assertEqual(self.daemon.jobs.completions[-1]["metadata"],
                             {"authorization": f"Bearer {TOKEN}"})

    def test_development_mode_metadata(self):
        with shequ.Client(self.plain, user="wang", roles=["street-office", "x"],
                          unit="bh.whl") as client:
            self.assertEqual(seen(client.principals.whoami())["metadata"], {
                "x-shequ-user": "wang", "x-shequ-roles": "street-office,x",
                "x-shequ-unit": "bh.whl"})

    def test_unauthenticated_without_a_token_says_so(self):
        with shequ.Client(self.plain) as client:
            with self.assertRaises(shequ.Unauthenticated) as caught:
                client.principals.whoami()
        self.assertIn("no credentials", caught.exception.message)
        self.assertIn("no token was sent", caught.exception.message)
        self.assertIn("SHEQU_TOKEN", caught.exception.message)
        self.assertEqual(caught.exception.code.name, "UNAUTHENTICATED")

    def test_mtls_with_server_name(self):
        with self.mtls(token=TOKEN) as client:
            self.assertTrue(client.tls)
            got = seen(client.principals.whoami())
        self.assertTrue(got["tls"])
        self.assertEqual(got["client_cert"], "dept-system")
        self.assertEqual(got["metadata"], {"authorization": f"Bearer {TOKEN}"})

    def test_tls_options_from_the_environment(self):
        os.environ.update(SHEQU_CA=self.cert("ca.pem"), SHEQU_CERT=self.cert("client.pem"),
                          SHEQU_KEY=self.cert("client.key"), SHEQU_SERVER_NAME=SERVER_NAME)
        with shequ.Client(self.tls, timeout=5) as client:
            self.assertEqual(seen(client.principals.whoami())["client_cert"], "dept-system")

    def test_refused_at_the_handshake(self):
        # The server's certificate is for shequd.test, not 127.0.0.1.
        with self.mtls(server_name=None) as client:
            with self.assertRaises(shequ.Unavailable):
                client.principals.whoami()
        # A client certificate from a CA the server does not trust; none at all.
        with self.mtls(cert_file=self.cert("other-client.pem"),
                       key_file=self.cert("other-client.key")) as client:
            with self.assertRaises(shequ.Unavailable):
                client.principals.whoami()
        with self.mtls(cert_file=None, key_file=None) as client:
            with self.assertRaises(shequ.Unavailable):
                client.principals.whoami()
        # The server's certificate checked against the wrong CA.
        with self.mtls(ca_file=self.cert("other-ca.pem")) as client:
            with self.assertRaises(shequ.Unavailable):
                client.principals.whoami()
        # Plaintext against the TLS port.
        with shequ.Client(self.tls, tls=False, token=TOKEN, timeout=5) as client:
            with self.assertRaises(shequ.Unavailable):
                client.principals.whoami()

    def test_certificate_without_key_is_refused(self):
        with self.assertRaisesRegex(ValueError, "cert_file and key_file"):
            shequ.Client(self.tls, cert_file=self.cert("client.pem"))

    def test_tls_by_default_off_loopback(self):
        for address in ("127.0.0.1:7070", "localhost:7070", "[::1]:7070", "unix:/run/s.sock"):
            self.assertTrue(is_loopback(address), address)
        for address in ("shequd.district.example:7070", "10.1.2.3:7070", "[2001:db8::1]:7070"):
            self.assertFalse(is_loopback(address), address)
        client = shequ.Client("shequd.district.example:7070")
        self.assertTrue(client.tls)
        client.close()
        client = shequ.Client("shequd.district.example:7070", tls=False)
        self.assertFalse(client.tls)
        client.close()


if __name__ == "__main__":
    unittest.main()
