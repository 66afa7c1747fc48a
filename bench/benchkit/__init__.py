"""benchkit: the pieces behind bench/run.py, the side-by-side benchmark of pghalo and Patroni.

  labrun     a lab brought up with the bootstrap timed, torn down whatever happens
  gateway    etcd's v3 JSON gateway over the lab's client certificate (leader key, its lease)
  failover   crash, graceful stop, switchover and rejoin, each measured by the write probe
  footprint  RSS and CPU seconds of the agent processes (from /proc), idle and under pgbench
  rest       wrk on the REST endpoints, and health checks while PostgreSQL is hung
  soak       pgbench and a CPU hog for minutes, counting leader changes
  stats      min/median/max per agent and the ratio of the medians
  report     the results file (JSON lines) and the table

Standard library only, plus the integration harness (tests/integration/harness) and labkit.
"""
