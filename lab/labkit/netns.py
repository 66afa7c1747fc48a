"""Hosts for the lab: one network namespace per node, joined by veth pairs to a bridge, so a test
can cut any link with iptables rules inside the namespaces.

Topology for a lab on base port B (k = (B // 100) % 512, the lab's /24 inside 198.18.0.0/15):

    root namespace                 pgh-B-sw (switch)                 pgh-B-n1 .. pgh-B-nM
    pghB   198.18.k.1/24  <-veth->  obs]                      [ n1 <-veth-> pgh0  198.18.k.11/24
    (the observer: tests,              ]-- bridge br0 --------[ n2 <-veth-> pgh0  198.18.k.12/24
     etcdctl, the checker)             ]                      [ n3 <-veth-> pgh0  198.18.k.13/24

Node N's namespace holds etcd member N, PostgreSQL N and agent N; each listens on 198.18.k.(10+N)
only (PostgreSQL's Unix socket lives in the lab directory, reachable from every namespace). The
bridge sits in a namespace of its own, so the root namespace gains a single interface and route,
never forwards (the lab has no uplink), and nothing in the lab can reach any other address.

Cuts are iptables rules in the chain PGH-CUT of the node's namespace, hooked into INPUT and
OUTPUT, and PGH-OUT, hooked into OUTPUT only (the owner match, which says whose socket sent a
packet, exists only there); `heal` flushes both. Deleting the namespaces removes every interface and rule with
them, so `down` (and `cleanup_leftovers` for a crashed launcher) only has to stop the processes
first and delete the namespaces. Every name starts with `pgh` so nothing else is touched.

What a cut means, seen from node N (`peers` = the other nodes' addresses):
  all       every packet between N and the other nodes (etcd, PostgreSQL, REST): the seed's Test 3
  etcd      N's agent and etcd: the agent's own connections to every member's client port (its
            local member included); etcd's peer traffic and N's PostgreSQL and REST stay up
  peers     everything between N and the other nodes except etcd (PostgreSQL and REST)
  node:M    every packet between N and node M
  host      N and the observer (the root namespace); never part of `all`, so by default a client
            in the root namespace still reaches a cut-off primary, the worst case for split brain
One way: `in` drops what N receives (for etcd: the answers to its agent), `out` what N sends.
"""

from __future__ import annotations

import dataclasses
import ipaddress
import pwd
import re
import subprocess

from .layout import LabError

IP = "/usr/sbin/ip"
IPTABLES = "/usr/sbin/iptables"
CHAIN = "PGH-CUT"  # INPUT and OUTPUT
OUT_CHAIN = "PGH-OUT"  # OUTPUT only: rules matching the sending socket's owner
LAB_NET = ipaddress.ip_network("198.18.0.0/15")
# The connection mark for "this connection was opened by the agent towards etcd" (one-way in).
ETCD_MARK = "0x7067"
TARGETS = ("all", "etcd", "peers", "host")
NS_PATTERN = re.compile(r"^pgh-(\d+)-(sw|n\d+)$")
HOST_IF_PATTERN = re.compile(r"^pgh(\d+)$")


def lab_subnet(base_port: int) -> ipaddress.IPv4Network:
    """The lab's /24: one per base port (base ports are 100 apart), all inside 198.18.0.0/15."""
    index = (base_port // 100) % 512
    net = ipaddress.ip_network(f"{LAB_NET.network_address + index * 256}/24")
    assert net.subnet_of(LAB_NET)
    return net


@dataclasses.dataclass(frozen=True)
class NetPlan:
    """Names and addresses of one lab's namespaces, derived from its base port alone."""

    base_port: int
    hosts: int  # namespaces n1..n<hosts>: max(nodes, etcd members)

    @property
    def subnet(self) -> ipaddress.IPv4Network:
        return lab_subnet(self.base_port)

    @property
    def observer_address(self) -> str:
        return str(self.subnet.network_address + 1)

    def address(self, n: int) -> str:
        return str(self.subnet.network_address + 10 + n)

    def namespace(self, n: int) -> str:
        return f"pgh-{self.base_port}-n{n}"

    @property
    def switch(self) -> str:
        return f"pgh-{self.base_port}-sw"

    @property
    def host_interface(self) -> str:
        return f"pgh{self.base_port}"

    def numbers(self) -> range:
        return range(1, self.hosts + 1)

    def namespaces(self) -> list[str]:
        return [self.switch, *map(self.namespace, self.numbers())]


# ------------------------------------------------------------------------------------- commands

def _run(argv: list[str], check: bool = True, timeout: float = 10.0) -> subprocess.CompletedProcess:
    try:
        result = subprocess.run(argv, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        raise LabError(f"{' '.join(argv)} timed out after {timeout:.0f}s")
    if check and result.returncode != 0:
        raise LabError(f"{' '.join(argv)} failed: {result.stderr.strip()}")
    return result


def _in(ns: str, argv: list[str], check: bool = True) -> subprocess.CompletedProcess:
    return _run([IP, "netns", "exec", ns, *argv], check)


def existing_namespaces() -> list[str]:
    out = _run([IP, "netns", "list"], check=False).stdout
    return [line.split()[0] for line in out.splitlines() if line.strip()]


def exec_prefix(ns: str, user: str) -> list[str]:
    """argv prefix that runs a command in `ns` as `user`, replacing itself each step (ip netns
    exec, then setpriv), so the pid a launcher records is the command's own."""
    prefix = [IP, "netns", "exec", ns]
    if user != "root":
        pw = pwd.getpwnam(user)
        prefix += ["/usr/bin/setpriv", f"--reuid={pw.pw_uid}", f"--regid={pw.pw_gid}",
                   "--clear-groups", "--"]
    return prefix


def _no_ipv6(ns: str | None, interface: str) -> None:
    # No IPv6 link-local chatter (router solicitations, MLD) on lab links.
    argv = ["/usr/sbin/sysctl", "-qw", f"net.ipv6.conf.{interface}.disable_ipv6=1"]
    _run([IP, "netns", "exec", ns, *argv] if ns else argv, check=False)


def create(plan: NetPlan) -> None:
    """Creates the namespaces, the bridge and the links; LabError (after removing what it made)
    if any step fails. Refuses when any of the lab's names already exists."""
    taken = set(existing_namespaces()) & set(plan.namespaces())
    if taken:
        raise LabError(f"network namespace(s) {', '.join(sorted(taken))} exist: another lab on "
                       f"base port {plan.base_port} is up, or a crashed one left them (pglab.py "
                       "cleanup removes leftovers)")
    if _run([IP, "link", "show", plan.host_interface], check=False).returncode == 0:
        raise LabError(f"interface {plan.host_interface} exists (pglab.py cleanup removes it)")
    try:
        _create(plan)
    except BaseException:
        remove(plan)
        raise


def _create(plan: NetPlan) -> None:
    sw = plan.switch
    prefix = plan.subnet.prefixlen
    for ns in plan.namespaces():
        _run([IP, "netns", "add", ns])
        _in(ns, [IP, "link", "set", "lo", "up"])
    _in(sw, [IP, "link", "add", "br0", "type", "bridge"])
    _no_ipv6(sw, "br0")
    _in(sw, [IP, "link", "set", "br0", "up"])
    # The observer's link: one end in the root namespace, the other on the bridge.
    _run([IP, "link", "add", plan.host_interface, "type", "veth", "peer", "name", "obs",
          "netns", sw])
    _no_ipv6(None, plan.host_interface)
    _run([IP, "addr", "add", f"{plan.observer_address}/{prefix}", "dev", plan.host_interface])
    _run([IP, "link", "set", plan.host_interface, "up"])
    _attach(sw, "obs")
    for n in plan.numbers():
        ns = plan.namespace(n)
        _run([IP, "link", "add", f"n{n}", "netns", sw, "type", "veth", "peer", "name", "pgh0",
              "netns", ns])
        _no_ipv6(ns, "pgh0")
        _in(ns, [IP, "addr", "add", f"{plan.address(n)}/{prefix}", "dev", "pgh0"])
        _in(ns, [IP, "link", "set", "pgh0", "up"])
        _attach(sw, f"n{n}")
        for chain in (CHAIN, OUT_CHAIN):
            _in(ns, [IPTABLES, "-w", "5", "-N", chain])
        for hook, chain in (("INPUT", CHAIN), ("OUTPUT", CHAIN), ("OUTPUT", OUT_CHAIN)):
            _in(ns, [IPTABLES, "-w", "5", "-A", hook, "-j", chain])


def _attach(sw: str, interface: str) -> None:
    _no_ipv6(sw, interface)
    _in(sw, [IP, "link", "set", interface, "master", "br0"])
    _in(sw, [IP, "link", "set", interface, "up"])


def remove(plan: NetPlan) -> list[str]:
    """Deletes the lab's namespaces (their interfaces and rules go with them) and the observer's
    interface. Run it after the processes inside have stopped. Returns what it removed."""
    removed = []
    present = set(existing_namespaces())
    for ns in plan.namespaces():
        if ns in present:
            delete_namespace(ns)
            removed.append(ns)
    if _run([IP, "link", "show", plan.host_interface], check=False).returncode == 0:
        delete_link(plan.host_interface)
        removed.append(plan.host_interface)
    return removed


def delete_namespace(ns: str) -> None:
    _run([IP, "netns", "del", ns], check=False)


def delete_link(interface: str) -> None:
    _run([IP, "link", "del", interface], check=False)


def leftovers() -> tuple[list[str], list[str]]:
    """(namespaces, root-namespace interfaces) named like a lab's, whatever lab made them."""
    namespaces = [ns for ns in existing_namespaces() if NS_PATTERN.match(ns)]
    links = _run([IP, "-o", "link", "show"], check=False).stdout
    interfaces = []
    for line in links.splitlines():
        parts = line.split(":")
        if len(parts) > 1:
            name = parts[1].strip().split("@")[0]
            if HOST_IF_PATTERN.match(name):
                interfaces.append(name)
    return namespaces, interfaces


def namespace_pids(ns: str) -> list[int]:
    out = _run([IP, "netns", "pids", ns], check=False).stdout
    return [int(p) for p in out.split() if p.isdigit()]


# ------------------------------------------------------------------------------------ cuts

@dataclasses.dataclass(frozen=True)
class Cut:
    """One link cut: node `node` from `target` ("all", "etcd", "peers", "host", or "node:M"),
    both ways or one way ("in": what the node receives, "out": what it sends)."""

    node: int
    target: str
    one_way: str | None = None

    def label(self) -> str:
        way = f" one-way {self.one_way}" if self.one_way else ""
        return f"node{self.node} from {self.target}{way}"


def parse_target(target: str, hosts: int) -> str:
    if target in TARGETS:
        return target
    m = re.fullmatch(r"node:?(\d+)", target)
    if m and 1 <= int(m.group(1)) <= hosts:
        return f"node:{int(m.group(1))}"
    raise LabError(f"unknown cut target {target!r}: all, etcd, peers, host or node:M")


def cut_rules(plan: NetPlan, cut: Cut, etcd_client_ports: list[int], etcd_peer_ports: list[int],
              agent_user: str) -> list[list[str]]:
    """The iptables rules (chain, then the spec: `-A <chain> <spec>`) that make `cut` inside
    node cut.node's namespace. Pure: unit-tested without namespaces."""
    n = cut.node
    others = [plan.address(m) for m in plan.numbers() if m != n]
    tag = ["-m", "comment", "--comment", f"pgh {cut.label()}"]
    want_in = cut.one_way in (None, "in")
    want_out = cut.one_way in (None, "out")
    rules: list[list[str]] = []

    def between(addresses: list[str], extra: list[str] = ()) -> None:
        for address in addresses:
            if want_in:
                rules.append([CHAIN, "-s", address, *extra, "-j", "DROP", *tag])
            if want_out:
                rules.append([CHAIN, "-d", address, *extra, "-j", "DROP", *tag])

    if cut.target == "all":
        between(others)
    elif cut.target == "host":
        between([plan.observer_address])
    elif cut.target.startswith("node:"):
        m = int(cut.target.split(":")[1])
        if m == n:
            raise LabError(f"cannot cut node{n} from itself")
        between([plan.address(m)])
    elif cut.target == "peers":
        etcd_ports = ",".join(map(str, etcd_client_ports + etcd_peer_ports))
        for address in others:  # etcd passes, everything else between the nodes is dropped
            if want_in:
                rules.append([CHAIN, "-s", address, "-p", "tcp", "-m", "multiport", "--ports",
                              etcd_ports, "-j", "RETURN", *tag])
                rules.append([CHAIN, "-s", address, "-j", "DROP", *tag])
            if want_out:
                rules.append([CHAIN, "-d", address, "-p", "tcp", "-m", "multiport", "--ports",
                              etcd_ports, "-j", "RETURN", *tag])
                rules.append([CHAIN, "-d", address, "-j", "DROP", *tag])
    elif cut.target == "etcd":
        uid = str(pwd.getpwnam(agent_user).pw_uid)
        agent_to_etcd = ["-p", "tcp", "-m", "owner", "--uid-owner", uid, "-m", "multiport",
                         "--dports", ",".join(map(str, etcd_client_ports))]
        if want_out:
            rules.append([OUT_CHAIN, *agent_to_etcd, "-j", "DROP", *tag])
        if want_in:
            # Requests leave and reach etcd (a keepalive may even renew the lease), answers
            # never come back: mark the agent's etcd connections on the way out, drop marked
            # packets on the way in. Nothing else in the namespace carries the mark.
            rules.append([OUT_CHAIN, *agent_to_etcd, "-j", "CONNMARK", "--set-mark", ETCD_MARK,
                          *tag])
            rules.append([CHAIN, "-m", "connmark", "--mark", ETCD_MARK, "-m", "conntrack",
                          "--ctdir", "REPLY", "-j", "DROP", *tag])
    else:
        raise LabError(f"unknown cut target {cut.target!r}")
    return rules


def apply_rules(plan: NetPlan, node: int, rules: list[list[str]]) -> None:
    ns = plan.namespace(node)
    for chain, *spec in rules:
        _in(ns, [IPTABLES, "-w", "5", "-A", chain, *spec])


def heal(plan: NetPlan, node: int | None = None) -> None:
    """Removes every cut of `node` (all nodes when None)."""
    for n in ([node] if node else plan.numbers()):
        for chain in (CHAIN, OUT_CHAIN):
            _in(plan.namespace(n), [IPTABLES, "-w", "5", "-F", chain])


def active_cuts(plan: NetPlan) -> dict[int, list[str]]:
    """Node -> the labels of its cuts, read back from the rules' comments."""
    cuts: dict[int, list[str]] = {}
    for n in plan.numbers():
        text = "".join(_in(plan.namespace(n), [IPTABLES, "-w", "5", "-S", chain],
                           check=False).stdout for chain in (CHAIN, OUT_CHAIN))
        labels = []
        for label in re.findall(r'--comment "pgh ([^"]+)"', text):
            if label not in labels:
                labels.append(label)
        if labels:
            cuts[n] = labels
    return cuts
