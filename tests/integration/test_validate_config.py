"""`pghalo --validate-config` as an operator runs it: the seed's three node files are valid
(exit 0) and carry the timing warning; every file in tests/data/configs/broken is refused
(exit 1) with an error that names the file, line, column and key. No servers needed.

  PGHALO_BUILD_DIR=build/dev python3 -m unittest -v test_validate_config   (from tests/integration)
"""

from __future__ import annotations

import os
import re
import subprocess
import unittest
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
DATA = REPO / "tests" / "data"


def pghalo() -> Path:
    build = Path(os.environ.get("PGHALO_BUILD_DIR", REPO / "build" / "dev"))
    return build / "src" / "app" / "pghalo"


def validate(path: Path) -> subprocess.CompletedProcess:
    return subprocess.run([str(pghalo()), "--validate-config", str(path)], capture_output=True,
                          text=True, timeout=30)


@unittest.skipUnless(pghalo().exists(), "pghalo is not built (set PGHALO_BUILD_DIR)")
class ValidateConfigTest(unittest.TestCase):

    def test_the_seeds_node_files_are_valid_with_the_timing_warning(self):
        for n in (1, 2, 3):
            with self.subTest(node=n):
                out = validate(DATA / "seed" / f"postgresql-node{n}.yml")
                self.assertEqual(out.returncode, 0, out.stdout + out.stderr)
                self.assertIn("valid", out.stdout.splitlines()[-1])
                self.assertIn("notice: etcd:", out.stdout)  # served with the v3 API
        node1 = validate(DATA / "seed" / "postgresql-node1.yml").stdout
        self.assertRegex(node1, r"warning: bootstrap\.dcs\.retry_timeout: breaks the safety rule "
                                r"loop_wait \+ 2\*retry_timeout <= ttl")
        self.assertIn("running with retry_timeout 10", node1)

    def test_every_broken_file_is_refused_with_its_location(self):
        broken = sorted((DATA / "configs" / "broken").glob("*.yml"))
        self.assertGreater(len(broken), 10)
        location = re.compile(r"^(?P<file>[^:]+):(?P<line>\d+)(:(?P<col>\d+))?: error: ", re.M)
        for path in broken:
            with self.subTest(file=path.name):
                out = validate(path)
                self.assertEqual(out.returncode, 1, out.stdout + out.stderr)
                self.assertNotIn("Traceback", out.stderr)
                match = location.search(out.stdout)
                self.assertIsNotNone(match, f"no 'file:line:col: error:' line in:\n{out.stdout}")
                self.assertTrue(match.group("file").endswith(path.name))

    def test_a_missing_file_is_a_clear_error(self):
        out = validate(DATA / "configs" / "does-not-exist.yml")
        self.assertEqual(out.returncode, 1)
        self.assertIn("does-not-exist.yml", out.stdout + out.stderr)


if __name__ == "__main__":
    unittest.main()
