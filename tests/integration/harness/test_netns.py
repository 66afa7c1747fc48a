"""The netns lab's pure parts: addresses from the base port, and the iptables rules of each cut.
No namespaces are created (the partitions suite does that, as root)."""

from __future__ import annotations

import dataclasses
import ipaddress
import unittest

from . import lab as _lab  # noqa: F401  (puts lab/ on sys.path)
from labkit import haproxy, netns, nodeconf  # noqa: E402
from labkit.layout import LabError, build_spec  # noqa: E402

PLAN = netns.NetPlan(18500, 3)
CLIENT, PEER = [18511, 18512, 18513], [18521, 18522, 18523]


def rules(node, target, one_way=None, chain=None):
    """The rule specs, without their chain (only those of `chain` when given)."""
    made = netns.cut_rules(PLAN, netns.Cut(node, target, one_way), CLIENT, PEER, "root")
    return [spec for c, *spec in made if chain in (None, c)]


class AddressTest(unittest.TestCase):

    def test_every_lab_gets_its_own_slash_24_inside_198_18_0_0_15(self):
        nets = {netns.lab_subnet(base) for base in range(18000, 70000, 100)}
        self.assertEqual(len(nets), 512)  # no two labs of one machine share addresses
        for net in nets:
            self.assertTrue(net.subnet_of(ipaddress.ip_network("198.18.0.0/15")))
        self.assertEqual(str(PLAN.subnet), "198.18.185.0/24")
        self.assertEqual((PLAN.observer_address, PLAN.address(1), PLAN.address(3)),
                         ("198.18.185.1", "198.18.185.11", "198.18.185.13"))

    def test_names_start_with_pgh_and_carry_the_base_port(self):
        self.assertEqual(PLAN.namespaces(), ["pgh-18500-sw", "pgh-18500-n1", "pgh-18500-n2",
                                             "pgh-18500-n3"])
        self.assertEqual(PLAN.host_interface, "pgh18500")
        self.assertLessEqual(len(PLAN.host_interface), 15)  # IFNAMSIZ
        for ns in PLAN.namespaces():
            self.assertRegex(ns, netns.NS_PATTERN)

    def test_a_netns_spec_puts_every_server_on_its_nodes_address(self):
        s = dataclasses.replace(build_spec(base_port=18500, run_as="postgres"), netns=True)
        self.assertEqual(s.node_host(2), "198.18.185.12")
        self.assertEqual(s.etcd_endpoints()[0], "https://198.18.185.11:18511")
        config = nodeconf.node_config(s, 2)
        self.assertEqual(config["restapi"]["listen"], "198.18.185.12:18542")
        self.assertEqual(config["postgresql"]["listen"], "198.18.185.12:18532")
        self.assertIn("host all all 198.18.185.0/24 md5",
                      nodeconf.node_config(s, 1)["bootstrap"]["pg_hba"])
        self.assertIn("bind 198.18.185.1:18551", haproxy.render_config(s))


class CutRulesTest(unittest.TestCase):

    def test_all_drops_both_ways_to_every_other_node_but_not_the_observer(self):
        r = rules(1, "all")
        self.assertEqual(len(r), 4)
        flat = [" ".join(x) for x in r]
        for address in ("198.18.185.12", "198.18.185.13"):
            self.assertTrue(any(f"-s {address} -j DROP" in x for x in flat))
            self.assertTrue(any(f"-d {address} -j DROP" in x for x in flat))
        self.assertFalse(any("198.18.185.1 " in x + " " for x in flat))

    def test_one_way_keeps_only_that_direction(self):
        self.assertTrue(all(x[0] == "-s" for x in rules(2, "all", "in")))
        self.assertTrue(all(x[0] == "-d" for x in rules(2, "all", "out")))

    def test_peers_lets_etcd_through_and_drops_the_rest(self):
        r = rules(1, "peers")
        returns = [x for x in r if "RETURN" in x]
        self.assertEqual(len(returns), 4)
        for x in returns:
            self.assertIn("18511,18512,18513,18521,18522,18523", x)
        # Each RETURN precedes its DROP, or the DROP would win.
        self.assertEqual([("RETURN" in x) for x in r], [True, False] * 4)

    def test_etcd_drops_only_the_agents_own_connections_to_client_ports(self):
        out = rules(3, "etcd", "out")
        self.assertEqual(len(out), 1)
        # The owner match exists only on output: iptables refuses it in a chain INPUT reaches.
        self.assertEqual(rules(3, "etcd", "out", chain=netns.OUT_CHAIN), out)
        self.assertFalse(any("--uid-owner" in x for x in rules(3, "etcd", chain=netns.CHAIN)))
        self.assertIn("--uid-owner", out[0])
        self.assertIn("18511,18512,18513", out[0])
        self.assertNotIn("18521", " ".join(out[0]))  # etcd's own peer traffic stays
        both = rules(3, "etcd")
        self.assertEqual(len(both), 3)  # drop out, mark, drop marked replies
        self.assertTrue(any("CONNMARK" in x for x in both))

    def test_bad_targets_are_refused_with_the_choices(self):
        with self.assertRaisesRegex(LabError, "all, etcd, peers, host or node:M"):
            netns.parse_target("everything", 3)
        with self.assertRaises(LabError):
            netns.parse_target("node:4", 3)
        self.assertEqual(netns.parse_target("node2", 3), "node:2")
        with self.assertRaisesRegex(LabError, "itself"):
            rules(2, "node:2")

    def test_each_rule_carries_the_cut_label_for_active_cuts(self):
        for x in rules(1, "node:3", "in"):
            self.assertIn("pgh node1 from node:3 one-way in", x)


if __name__ == "__main__":
    unittest.main()
