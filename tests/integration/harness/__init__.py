"""Integration-test and benchmark harness over the lab (lab/pglab.py).

  Lab          a real etcd + PostgreSQL + agent cluster on loopback, as a context manager
  WriteProbe   a writer to every node every 20 ms, and the failover report it yields
  wait_until   bounded polling
  failover     the seed's Test 1 (SIGKILL the primary's agent and PostgreSQL), measured

Run the self-test from the repository root:
  python3 -m unittest discover -s tests/integration -t tests/integration -p 'test_lab_patroni.py' -v
"""

from .lab import Lab, LabError, free_base_port, wait_until  # noqa: F401
from .probe import Ack, ProbeReport, WriteProbe, analyse  # noqa: F401
