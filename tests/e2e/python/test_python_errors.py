"""Each failure surfaces as its own exception class, carrying the gRPC code and message."""

import socket
import unittest

import grpc
from harness import DaemonTestCase  # puts clients/python on sys.path
import shequ  # noqa: E402


class ErrorsTest(DaemonTestCase):
    def test_invalid_argument_names_the_field(self):
        with self.assertRaises(shequ.InvalidArgument) as caught:
            # not a JSON object
            self.client.instances.start("vacancy-approval", "[1, 2]", unit="street-1")
        err = caught.exception
        self.assertIsInstance(err, shequ.ShequError)
        self.assertEqual(err.code, grpc.StatusCode.INVALID_ARGUMENT)
        self.assertIn("variables", err.message)
        with self.assertRaises(shequ.InvalidArgument) as bad_yaml:
            self.daemon.admin.definitions.deploy(
                "id: broken\nstart: nowhere\nnodes:\n  a: {type: end}\n")
        self.assertIn("start", bad_yaml.exception.message)

    def test_not_found(self):
        with self.assertRaises(shequ.NotFound) as caught:
            self.client.instances.get(987654)
        self.assertEqual(caught.exception.code, grpc.StatusCode.NOT_FOUND)
        with self.assertRaises(shequ.NotFound):
            self.client.definitions.get("no-such-workflow")
        with self.assertRaises(shequ.NotFound):
            self.daemon.client("system:e2e-worker", ["job-worker"]).jobs.complete(424242)

    def test_unavailable_when_nothing_listens(self):
        with socket.socket() as s:  # a port that was free a moment ago
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        with shequ.Client(f"127.0.0.1:{port}", timeout=5) as nowhere:
            with self.assertRaises(shequ.Unavailable) as caught:
                nowhere.instances.get(1)
            self.assertEqual(caught.exception.code, grpc.StatusCode.UNAVAILABLE)
            with self.assertRaises(shequ.Unavailable):
                next(iter(nowhere.notifications.subscribe(roles=["leading-group"])))


if __name__ == "__main__":
    unittest.main()
