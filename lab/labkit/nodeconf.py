"""One agent YAML per node, derived from the seed's node files (seed/configs/postgresql-node*.yml).

What stays as the seed writes it: scope `postgres`, namespace `/db/`, names
`postgresql-node1..N`, the bootstrap section (DCS timing aside) and the local PostgreSQL
parameters on node 1 only, the other nodes' short files, and the tags.

What the lab changes, and why:
  * addresses: every listen/connect address is 127.0.0.1:<port from the port map>; pg_hba's
    10.0.1.0/24 becomes 127.0.0.1/32, plus one `local` rule so the launcher and the tests reach
    each node over its private socket directory without a password;
  * paths: data_dir, pgpass and the TLS files live in the lab directory; bin_dir is PostgreSQL 15's
    (Debian 12 ships 15, the seed wants 16);
  * timing: bootstrap.dcs ttl/loop_wait/retry_timeout come from the chosen profile;
  * memory: shared_buffers 128MB, effective_cache_size 1GB, maintenance_work_mem 64MB,
    min/max_wal_size 80MB/1GB, so three nodes fit on one machine and start fast
    (`--seed-memory` keeps the seed's values);
  * every node gets unix_socket_directories (its node directory) and PostgreSQL's logging
    collector writing to <node>/pglog, so each node has its own socket and log;
  * the DCS section: pghalo reads the seed's `etcd:` section with the v3 API; Patroni's `etcd:` is
    the v2 API (disabled in etcd 3.4), so Patroni gets the same keys under `etcd3:`;
  * Patroni requires `postgresql.authentication`, which the seed lacks: Patroni gets one
    (superuser postgres over the socket, replication `replicator`, rewind postgres); pghalo
    derives these itself, so its file has none, like the seed's.

Besides the YAML, each node's pgpass file is provisioned with the replication user's password
before the first start, as an operator following the seed must do: nodes 2 and 3 have no
bootstrap.users to learn it from, so without it they could not clone from the leader. Agents may
rewrite the file later (Patroni does).
"""

from __future__ import annotations

from .layout import (CLIENT_CERT, NAMESPACE, PG_BIN_DIR, REPLICATION_PASSWORD,
                     REPLICATION_USER, SCOPE, SUPERUSER_PASSWORD, LabSpec)
from .yamlout import dump

# The seed's node-1 `postgresql.parameters`, in its order.
SEED_PARAMETERS = {
    "max_connections": 200,
    "max_locks_per_transaction": 64,
    "max_worker_processes": 8,
    "wal_level": "replica",
    "hot_standby": "on",
    "wal_keep_segments": 8,
    "max_wal_senders": 10,
    "max_replication_slots": 10,
    "wal_log_hints": "on",
    "shared_buffers": "4GB",
    "effective_cache_size": "12GB",
    "maintenance_work_mem": "1GB",
    "checkpoint_completion_target": 0.9,
    "wal_buffers": "16MB",
    "default_statistics_target": 100,
    "random_page_cost": 1.1,
    "effective_io_concurrency": 200,
    "work_mem": "20MB",
    "min_wal_size": "1GB",
    "max_wal_size": "4GB",
}

# The lab's scaled-down memory (see the module docstring and docs/lab.md).
LAB_MEMORY = {
    "shared_buffers": "128MB",
    "effective_cache_size": "1GB",
    "maintenance_work_mem": "64MB",
    "min_wal_size": "80MB",
    "max_wal_size": "1GB",
}

SEED_TAGS = {"nofailover": False, "noloadbalance": False, "clonefrom": False, "nosync": False}


def _dcs_section(spec: LabSpec) -> dict:
    section = {
        "hosts": ",".join(f"{spec.etcd_host(i)}:{spec.etcd_client_port(i)}"
                          for i in spec.etcd_numbers()),
        "protocol": "https" if spec.tls else "http",
    }
    if spec.tls:
        section["cacert"] = spec.tls_file("ca.crt")
        section["cert"] = spec.tls_file(f"{CLIENT_CERT}.crt")
        section["key"] = spec.tls_file(f"{CLIENT_CERT}.key")
    return section


def dcs_section_name(spec: LabSpec) -> str:
    return "etcd3" if spec.agent == "patroni" else "etcd"


def _bootstrap(spec: LabSpec) -> dict:
    return {
        "dcs": {
            "ttl": spec.ttl,
            "loop_wait": spec.loop_wait,
            "retry_timeout": spec.retry_timeout,
            "maximum_lag_on_failover": 1048576,
            "postgresql": {
                "use_pg_rewind": True,
                "use_slots": True,
                "parameters": {
                    "wal_level": "replica",
                    "hot_standby": "on",
                    "wal_keep_segments": 8,
                    "max_wal_senders": 10,
                    "max_replication_slots": 10,
                    "wal_log_hints": "on",
                },
            },
        },
        "initdb": [{"encoding": "UTF8"}, "data-checksums"],
        "pg_hba": [
            "local all all trust",
            f"host replication {REPLICATION_USER} {spec.client_network} md5",
            f"host all all {spec.client_network} md5",
        ],
        "users": {REPLICATION_USER: {"password": REPLICATION_PASSWORD, "options": ["replication"]}},
    }


def _parameters(spec: LabSpec, n: int) -> dict:
    params = {}
    if n == 1:  # only the seed's node-1 file carries local parameters
        params.update(SEED_PARAMETERS)
        if not spec.seed_memory:
            params.update(LAB_MEMORY)
    node_dir = spec.node_dir(n)
    params.update({
        "unix_socket_directories": str(spec.socket_dir(n)),
        "logging_collector": "on",
        "log_directory": str(node_dir / "pglog"),
        "log_filename": "postgresql.log",
        "log_line_prefix": "%m [%p] %q%u@%d app=%a ",
    })
    return params


def _postgresql(spec: LabSpec, n: int) -> dict:
    address = f"{spec.node_host(n)}:{spec.pg_port(n)}"
    section = {
        "listen": address,
        "connect_address": address,
        "data_dir": str(spec.data_dir(n)),
        "bin_dir": PG_BIN_DIR,
        "pgpass": str(spec.pgpass_path(n)),
    }
    if spec.agent == "patroni":
        section["use_unix_socket"] = True
        section["authentication"] = {
            "superuser": {"username": "postgres", "password": SUPERUSER_PASSWORD},
            "replication": {"username": REPLICATION_USER, "password": REPLICATION_PASSWORD},
            "rewind": {"username": "postgres", "password": SUPERUSER_PASSWORD},
        }
    section["parameters"] = _parameters(spec, n)
    return section


def node_config(spec: LabSpec, n: int) -> dict:
    rest = f"{spec.node_host(n)}:{spec.rest_port(n)}"
    config = {
        "scope": SCOPE,
        "namespace": NAMESPACE,
        "name": spec.node_name(n),
        "restapi": {"listen": rest, "connect_address": rest},
        dcs_section_name(spec): _dcs_section(spec),
    }
    if n == 1 or spec.bootstrap_race:  # the seed bootstraps from node 1 only
        config["bootstrap"] = _bootstrap(spec)
    config["postgresql"] = _postgresql(spec, n)
    config["tags"] = dict(SEED_TAGS)
    return config


def render_node_config(spec: LabSpec, n: int) -> str:
    header = (f"{spec.node_name(n)} of the pghalo lab ({spec.agent}, profile {spec.profile}), "
              f"written by lab/pglab.py.\n"
              "Derived from the seed's node file; see lab/labkit/nodeconf.py and docs/lab.md for "
              "every change and why.")
    return dump(node_config(spec, n), header)


def render_pgpass() -> str:
    return f"*:*:*:{REPLICATION_USER}:{REPLICATION_PASSWORD}\n"


def render_patronictl_config(spec: LabSpec) -> str:
    """A config the real patronictl can use against either agent (it needs `etcd3:`)."""
    config = {"scope": SCOPE, "namespace": NAMESPACE, "etcd3": _dcs_section(spec)}
    header = ("For the real patronictl: patronictl -c <this file> list\n"
              "(Patroni 3.0.2's patronictl speaks etcd v3 only through an `etcd3:` section.)")
    return dump(config, header)
