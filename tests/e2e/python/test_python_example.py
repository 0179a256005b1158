"""clients/python/examples/quickstart.py, the example of docs/integration.md, against a fresh
daemon."""

import os
import subprocess
import sys
import unittest

from harness import SOURCE_DIR, DaemonTestCase


class ExampleTest(DaemonTestCase):
    def test_quickstart(self):
        example = os.path.join(SOURCE_DIR, "clients/python/examples/quickstart.py")
        run = subprocess.run([sys.executable, example, self.daemon.address],
                             capture_output=True, text=True, timeout=60)
        self.assertEqual(run.returncode, 0, run.stderr)
        lines = run.stdout.splitlines()
        self.assertRegex(lines[0], r"^started instance \d+$")
        self.assertIn("reminder: ", run.stdout)
        self.assertIn("vacancy-approval ended: approved", lines)
        self.assertRegex(run.stdout, r"archived as A-\d+")


if __name__ == "__main__":
    unittest.main()
