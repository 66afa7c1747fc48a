"""Ports, paths and timing profiles of a lab, and the LabSpec a state file persists.

Port map (N = node or etcd member number, 1-based), all on 127.0.0.1 (or, with `netns`, on each
node's own address in 198.18.0.0/15: see netns.py; the ports stay the same):
  etcd client   base+10+N        etcd peer   base+20+N
  PostgreSQL    base+30+N        REST API    base+40+N
  HAProxy       write base+51, read base+52, stats base+53
"""

from __future__ import annotations

import dataclasses
import os
import pwd
from pathlib import Path

HOST = "127.0.0.1"
ETCD_MEMBERS = 3
MAX_NODES = 9  # the port map leaves room for nodes 1..9

# The seed's cluster identity (000_84787920b33ed4d4.txt, "Step 4").
SCOPE = "postgres"
NAMESPACE = "/db/"
REPLICATION_USER = "replicator"
REPLICATION_PASSWORD = "secure_replication_password"
# Patroni requires postgresql.authentication; the seed has none, so the lab picks this one.
SUPERUSER_PASSWORD = "lab_superuser_password"
# A login role the launcher creates after the cluster is healthy, so that TCP clients (through
# HAProxy too) can connect with a password whatever the agent does with the superuser.
LAB_ROLE = "lab"
LAB_PASSWORD = "lab"

PG_BIN_DIR = "/usr/lib/postgresql/15/bin"
STATE_FILE = "pglab-state.json"
CLIENT_CERT = "etcd-client"
REPO_ROOT = Path(__file__).resolve().parents[2]

# Timing profiles: (ttl, loop_wait, retry_timeout).
PROFILES = {
    "seed": (30, 10, 30),  # as the seed writes it (breaks loop_wait + 2*retry_timeout <= ttl)
    "fast": (10, 2, 4),
    # pghalo's recommended default. Placeholder until the agent's authors settle it: change it
    # here, in one place.
    "pghalo": (6, 1, 2),
}


class LabError(Exception):
    """A step of the lab failed. `what` names the step; `log` is the log worth showing."""

    def __init__(self, what: str, log: str | os.PathLike | None = None):
        super().__init__(what)
        self.what = what
        self.log = str(log) if log else None


def default_dir(base_port: int) -> Path:
    return Path(f"/tmp/pghalo-lab-{base_port}")


def default_run_as() -> str:
    """PostgreSQL refuses to run as root: root runs the agents as `postgres`, others as themselves."""
    if os.geteuid() == 0:
        return "postgres"
    return pwd.getpwuid(os.geteuid()).pw_name


@dataclasses.dataclass
class LabSpec:
    """Everything that defines one lab; stored in the state file so every command sees the same."""

    base_port: int
    dir: str
    agent: str = "patroni"  # "patroni" or "pghalo"
    agent_bin: str = "/usr/bin/patroni"
    tls: bool = True
    profile: str = "fast"
    ttl: int = 10
    loop_wait: int = 2
    retry_timeout: int = 4
    nodes: int = 3
    haproxy: bool = True
    seed_memory: bool = False
    etcd_data_root: str = ""  # where etcd member data dirs live (tmpfs by default)
    run_as: str = "postgres"
    # Every node gets the bootstrap section and all agents start at the same instant (the
    # bootstrap race test) instead of node 1 first, as the seed does.
    bootstrap_race: bool = False
    # Each node (etcd member, PostgreSQL, agent) in its own network namespace with its own
    # address, so links can be cut (netns.py). False: everything on 127.0.0.1.
    netns: bool = False

    # Addresses.
    def net_plan(self):
        from .netns import NetPlan  # netns imports this module
        return NetPlan(self.base_port, max(self.nodes, ETCD_MEMBERS))

    def node_host(self, n: int) -> str:
        """Where node n's PostgreSQL and REST API listen."""
        return self.net_plan().address(n) if self.netns else HOST

    def etcd_host(self, i: int) -> str:
        """Where etcd member i listens (node i's host in netns mode)."""
        return self.net_plan().address(i) if self.netns else HOST

    @property
    def observer_host(self) -> str:
        """The launcher's and the tests' own address (HAProxy binds here)."""
        return self.net_plan().observer_address if self.netns else HOST

    @property
    def client_network(self) -> str:
        """The addresses pg_hba lets in over TCP."""
        return str(self.net_plan().subnet) if self.netns else f"{HOST}/32"

    # Ports.
    def etcd_client_port(self, n: int) -> int:
        return self.base_port + 10 + n

    def etcd_peer_port(self, n: int) -> int:
        return self.base_port + 20 + n

    def pg_port(self, n: int) -> int:
        return self.base_port + 30 + n

    def rest_port(self, n: int) -> int:
        return self.base_port + 40 + n

    @property
    def haproxy_write_port(self) -> int:
        return self.base_port + 51

    @property
    def haproxy_read_port(self) -> int:
        return self.base_port + 52

    @property
    def haproxy_stats_port(self) -> int:
        return self.base_port + 53

    def all_ports(self) -> list[int]:
        ports = [self.etcd_client_port(i) for i in self.etcd_numbers()]
        ports += [self.etcd_peer_port(i) for i in self.etcd_numbers()]
        ports += [self.pg_port(n) for n in self.node_numbers()]
        ports += [self.rest_port(n) for n in self.node_numbers()]
        if self.haproxy:
            ports += [self.haproxy_write_port, self.haproxy_read_port, self.haproxy_stats_port]
        return ports

    # Names and numbers.
    def node_numbers(self) -> range:
        return range(1, self.nodes + 1)

    @staticmethod
    def etcd_numbers() -> range:
        return range(1, ETCD_MEMBERS + 1)

    @staticmethod
    def node_name(n: int) -> str:
        return f"postgresql-node{n}"

    def node_number(self, name_or_number: str | int) -> int:
        """Accepts 2, "2", "node2" or "postgresql-node2"."""
        text = str(name_or_number)
        digits = text.removeprefix("postgresql-").removeprefix("node")
        if digits.isdigit() and int(digits) in self.node_numbers():
            return int(digits)
        raise ValueError(f"no node {text!r} in this lab (nodes 1..{self.nodes})")

    # Paths.
    @property
    def root(self) -> Path:
        return Path(self.dir)

    @property
    def state_path(self) -> Path:
        return self.root / STATE_FILE

    @property
    def tls_dir(self) -> Path:
        return self.root / "tls"

    def node_dir(self, n: int) -> Path:
        return self.root / f"node{n}"

    def data_dir(self, n: int) -> Path:
        return self.node_dir(n) / "data"

    def config_path(self, n: int) -> Path:
        return self.node_dir(n) / "postgresql.yml"

    def pgpass_path(self, n: int) -> Path:
        return self.node_dir(n) / "pgpass"

    def agent_log(self, n: int) -> Path:
        return self.node_dir(n) / "agent.log"

    def socket_dir(self, n: int) -> Path:
        return self.node_dir(n)

    def etcd_data_dir(self, i: int) -> Path:
        return Path(self.etcd_data_root) / f"etcd{i}"

    def etcd_log(self, i: int) -> Path:
        return self.root / "etcd" / f"etcd{i}.log"

    @property
    def haproxy_cfg(self) -> Path:
        return self.root / "haproxy" / "haproxy.cfg"

    @property
    def haproxy_log(self) -> Path:
        return self.root / "haproxy" / "haproxy.log"

    @property
    def patronictl_config(self) -> Path:
        return self.root / "patronictl.yml"

    def etcd_endpoints(self) -> list[str]:
        scheme = "https" if self.tls else "http"
        return [f"{scheme}://{self.etcd_host(i)}:{self.etcd_client_port(i)}"
                for i in self.etcd_numbers()]

    def tls_file(self, name: str) -> str:
        return str(self.tls_dir / name)

    def leader_key(self) -> str:
        return f"{NAMESPACE.rstrip('/')}/{SCOPE}/leader"

    def to_json(self) -> dict:
        return dataclasses.asdict(self)

    @classmethod
    def from_json(cls, data: dict) -> "LabSpec":
        known = {f.name for f in dataclasses.fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in known})


def pghalo_bin(build_dir: str | os.PathLike | None = None) -> str:
    """pghalo in `build_dir`, else in build/release or build/dev (the first that has it)."""
    # Absolute: agents start in their node directory, where a relative path means nothing.
    # PGHALO_BUILD_DIR lets CTest point the lab at the build being tested.
    build_dir = build_dir or os.environ.get("PGHALO_BUILD_DIR")
    candidates = [Path(build_dir).resolve()] if build_dir else [REPO_ROOT / "build" / p
                                                                for p in ("release", "dev")]
    for d in candidates:
        if (d / "src" / "app" / "pghalo").exists():
            return str(d / "src" / "app" / "pghalo")
    return str(candidates[0] / "src" / "app" / "pghalo")


def build_spec(*, agent: str = "pghalo", base_port: int, dir: str | os.PathLike | None = None,
               tls: bool = True, profile: str = "seed", ttl: int | None = None,
               loop_wait: int | None = None, retry_timeout: int | None = None, nodes: int = 3,
               haproxy: bool = True, build_dir: str | None = None, agent_bin: str | None = None,
               seed_memory: bool = False, etcd_data: str = "tmpfs",
               run_as: str | None = None, bootstrap_race: bool = False,
               netns: bool = False) -> LabSpec:
    """A LabSpec from the launcher's options, validated (LabError on a bad combination)."""
    if agent not in ("pghalo", "patroni"):
        raise LabError(f"unknown agent {agent!r} (pghalo or patroni)")
    overrides = (ttl, loop_wait, retry_timeout)
    if profile == "custom":
        if None in overrides:
            raise LabError("--profile custom needs --ttl, --loop-wait and --retry-timeout")
        timing = overrides
    elif any(v is not None for v in overrides):
        raise LabError("--ttl/--loop-wait/--retry-timeout go with --profile custom")
    elif profile in PROFILES:
        timing = PROFILES[profile]
    else:
        raise LabError(f"unknown profile {profile!r} ({', '.join(PROFILES)} or custom)")
    if not 1 <= nodes <= MAX_NODES:
        raise LabError(f"--nodes must be 1..{MAX_NODES} (the port map has room for {MAX_NODES})")
    if netns and os.geteuid() != 0:
        raise LabError("--netns needs root (network namespaces, veth pairs, iptables)")
    lab_dir = Path(dir).resolve() if dir else default_dir(base_port)
    if etcd_data == "tmpfs" and os.access("/dev/shm", os.W_OK):
        etcd_root = f"/dev/shm/pghalo-lab-{base_port}-etcd"
    else:
        etcd_root = str(lab_dir / "etcd")
    if not agent_bin:
        agent_bin = "/usr/bin/patroni" if agent == "patroni" else pghalo_bin(build_dir)
    return LabSpec(base_port=base_port, dir=str(lab_dir), agent=agent, agent_bin=agent_bin,
                   tls=tls, profile=profile, ttl=timing[0], loop_wait=timing[1],
                   retry_timeout=timing[2], nodes=nodes, haproxy=haproxy,
                   seed_memory=seed_memory, etcd_data_root=etcd_root,
                   run_as=run_as or default_run_as(), bootstrap_race=bootstrap_race,
                   netns=netns)
