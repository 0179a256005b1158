"""shequctl's credentials, against the stand-in daemon of fake_daemon.py: --token and
SHEQU_TOKEN on unary calls and streams, development mode's --user/--roles/--unit, TLS and mTLS
with --ca/--cert/--key/--server-name (and their SHEQU_* variables), refusals and their exit
codes."""

import json
import os
import shutil
import subprocess
import tempfile
import unittest

from fake_daemon import SERVER_NAME, SOURCE_DIR, FakeDaemon, make_certs

SHEQUCTL = os.environ.get("SHEQUCTL_BINARY") or os.path.join(SOURCE_DIR, "build", "clients",
                                                             "shequctl")
TOKEN = "sqt_test.0123456789abcdef"


class ShequctlCredentialsTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls) -> None:
        cls.certs = make_certs(tempfile.mkdtemp(prefix="shequ-certs-"))
        cls.daemon = FakeDaemon(cls.certs)

    @classmethod
    def tearDownClass(cls) -> None:
        cls.daemon.stop()
        shutil.rmtree(cls.certs, ignore_errors=True)

    def cert(self, name: str) -> str:
        return os.path.join(self.certs, name)

    def run_cli(self, *args: str, tls: bool = False, **env: str) -> subprocess.CompletedProcess:
        clean = {k: v for k, v in os.environ.items() if not k.startswith("SHEQU_")}
        port = self.daemon.tls if tls else self.daemon.plain
        clean.update(SHEQU_ADDR=f"127.0.0.1:{port}", **env)
        return subprocess.run([SHEQUCTL, "--timeout", "5", *args], capture_output=True,
                              text=True, timeout=30, env=clean)

    def seen(self, *args: str, **kw) -> dict:
        run = self.run_cli("--json", *args, "whoami", **kw)
        self.assertEqual(run.returncode, 0, run.stderr)
        return json.loads(json.loads(run.stdout)["via"])

    def mtls(self) -> list[str]:
        return ["--ca", self.cert("ca.pem"), "--cert", self.cert("client.pem"), "--key",
                self.cert("client.key"), "--server-name", SERVER_NAME]

    def test_token_flag_and_environment(self):
        self.assertEqual(self.seen("--token", TOKEN)["metadata"],
                         {"authorization": f"Bearer {TOKEN}"})
        self.assertEqual(self.seen(SHEQU_TOKEN="from-env")["metadata"],
                         {"authorization": "Bearer from-env"})
        self.assertEqual(self.seen("--token", "flag", SHEQU_TOKEN="from-env")["metadata"],
                         {"authorization": "Bearer flag"})

    def test_token_on_streams(self):
        # notify --follow: the stand-in's one notification carries what it saw.
        proc = subprocess.Popen(
            [SHEQUCTL, "--json", "--token", TOKEN, "notify", "--role", "leading-group",
             "--follow"], stdout=subprocess.PIPE, text=True,
            env=dict(os.environ, SHEQU_ADDR=f"127.0.0.1:{self.daemon.plain}"))
        try:
            line = proc.stdout.readline()
        finally:
            proc.terminate()
            proc.wait(10)
            proc.stdout.close()
        self.assertEqual(json.loads(json.loads(line)["body"])["metadata"],
                         {"authorization": f"Bearer {TOKEN}"})

    def test_development_mode_metadata(self):
        self.assertEqual(
            self.seen("--user", "wang", "--roles", "street-office", "--unit", "bh.whl")["metadata"],
            {"x-shequ-user": "wang", "x-shequ-roles": "street-office", "x-shequ-unit": "bh.whl"})

    def test_whoami_table(self):
        run = self.run_cli("--token", TOKEN, "whoami")
        self.assertEqual(run.returncode, 0, run.stderr)
        self.assertRegex(run.stdout, r"(?m)^name\s+seen$")
        self.assertRegex(run.stdout, r"(?m)^via\s+\{")

    def test_unauthenticated_without_a_token(self):
        run = self.run_cli("whoami")
        self.assertEqual(run.returncode, 7, run.stderr)
        self.assertEqual(run.stdout, "")
        self.assertEqual(run.stderr.strip(), "shequctl: UNAUTHENTICATED: no credentials (no token "
                         "was sent: pass --token or set SHEQU_TOKEN)")

    def test_mtls(self):
        got = self.seen("--token", TOKEN, *self.mtls(), tls=True)
        self.assertTrue(got["tls"])
        self.assertEqual(got["client_cert"], "dept-system")
        self.assertEqual(got["metadata"], {"authorization": f"Bearer {TOKEN}"})
        got = self.seen(tls=True, SHEQU_CA=self.cert("ca.pem"),
                        SHEQU_CERT=self.cert("client.pem"), SHEQU_KEY=self.cert("client.key"),
                        SHEQU_SERVER_NAME=SERVER_NAME)
        self.assertEqual(got["client_cert"], "dept-system")

    def test_refusals(self):
        base = self.mtls()
        for args in (base[:6],  # no --server-name: the certificate is for shequd.test
                     ["--ca", self.cert("other-ca.pem"), *base[2:]],  # wrong CA for the server
                     [*base[:2], "--cert", self.cert("other-client.pem"), "--key",
                      self.cert("other-client.key"), *base[6:]],  # a client of another CA
                     [*base[:2], *base[6:]]):  # no client certificate
            run = self.run_cli(*args, "whoami", tls=True)
            self.assertEqual(run.returncode, 6, f"{args}: {run.stderr}")
            self.assertIn("UNAVAILABLE", run.stderr)
        run = self.run_cli("--plaintext", "--token", TOKEN, "whoami", tls=True)
        self.assertEqual(run.returncode, 6, run.stderr)
        run = self.run_cli("--ca", "/nonexistent/ca.pem", "whoami")
        self.assertEqual(run.returncode, 4, run.stderr)
        self.assertIn("--ca: cannot read /nonexistent/ca.pem", run.stderr)
        run = self.run_cli("--cert", self.cert("client.pem"), "whoami")
        self.assertEqual(run.returncode, 3, run.stderr)
        self.assertIn("--cert and --key go together", run.stderr)

    def test_help_names_the_options(self):
        out = self.run_cli("--help").stdout
        for flag in ("--token", "--ca", "--cert", "--key", "--server-name", "--tls",
                     "--plaintext", "SHEQU_TOKEN", "development mode"):
            self.assertIn(flag, out)
        self.assertIn("7  UNAUTHENTICATED or PERMISSION_DENIED", out)
        for group in ("tokens", "principals"):
            self.assertIn(group, out)


if __name__ == "__main__":
    unittest.main()
