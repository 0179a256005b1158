"""clients/python/examples/quickstart.py, the example of docs/integration.md, against a fresh
daemon."""

import os
import subprocess
import sys
import unittest

from harness import SOURCE_DIR, DaemonTestCase, create_street_1


class ExampleTest(DaemonTestCase):
    def test_quickstart(self):
        create_street_1(self.daemon)  # wang's street-1 and its community-7
        example = os.path.join(SOURCE_DIR, "clients/python/examples/quickstart.py")
        tokens = self.daemon.write_tokens(os.path.join(self.daemon.data_dir, "tokens.txt"), [
            ("wang", ["street-office"], "street-1"), ("li", ["leading-group"], ""),
            ("zhang.admin", ["district-admin"], ""),
            ("system:civil-affairs", ["department", "job-worker"], "civil-affairs")])
        run = subprocess.run([sys.executable, example, self.daemon.address],
                             capture_output=True, text=True, timeout=60,
                             env=dict(os.environ, SHEQU_TOKENS=tokens))
        self.assertEqual(run.returncode, 0, run.stderr)
        lines = run.stdout.splitlines()
        self.assertRegex(lines[0], r"^started instance \d+$")
        self.assertIn("reminder: ", run.stdout)
        self.assertIn("vacancy-approval ended: approved", lines)
        self.assertRegex(run.stdout, r"archived as A-\d+")


if __name__ == "__main__":
    unittest.main()
