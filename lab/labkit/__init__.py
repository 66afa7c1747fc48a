"""labkit: the pieces behind lab/pglab.py, the local 3-node cluster launcher.

It starts a 3-member etcd 3.4 cluster (TLS, client-certificate auth, as the seed runs it), one
HA agent (pghalo or Patroni) per PostgreSQL node as the `postgres` OS user, and HAProxy, all on
127.0.0.1 with ports derived from one base port. Every process it starts is recorded by pid in a
state file inside the lab directory, so any later command (or `down` after a crash of the
launcher) finds and stops exactly those processes.

Modules:
  layout    ports, paths, timing profiles, the LabSpec that a state file persists
  procs     starting processes, liveness by pid + start time, bounded stops, log tails
  state     the state file (atomic JSON) and the LabError every step raises
  yamlout   a tiny YAML writer (Python's standard library has none)
  nodeconf  one agent YAML per node, derived from the seed's node files
  etcd      etcd member command lines and etcdctl calls
  haproxy   the standard Patroni HAProxy configuration, mapped to the lab's ports
  cluster   REST calls and the "one leader, all others streaming" health predicate
  ops       the operations: up, down, kill, start/stop agent and etcd, wait-healthy, status

Standard library only: the integration-test harness imports this package in-process.
"""
