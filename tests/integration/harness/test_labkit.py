"""The launcher's pure parts: port map, options, node YAML per agent, YAML quoting, HAProxy.
No servers are started."""

from __future__ import annotations

import unittest

from . import lab as _lab  # noqa: F401  (puts lab/ on sys.path)
from labkit import haproxy, nodeconf, yamlout  # noqa: E402
from labkit.layout import LabError, build_spec  # noqa: E402


def spec(**kwargs):
    kwargs.setdefault("base_port", 18000)
    kwargs.setdefault("run_as", "postgres")
    return build_spec(**kwargs)


class PortMapTest(unittest.TestCase):

    def test_ports_follow_the_documented_map(self):
        s = spec(agent="patroni")
        self.assertEqual([s.etcd_client_port(i) for i in (1, 2, 3)], [18011, 18012, 18013])
        self.assertEqual([s.etcd_peer_port(i) for i in (1, 2, 3)], [18021, 18022, 18023])
        self.assertEqual([s.pg_port(n) for n in (1, 2, 3)], [18031, 18032, 18033])
        self.assertEqual([s.rest_port(n) for n in (1, 2, 3)], [18041, 18042, 18043])
        self.assertEqual((s.haproxy_write_port, s.haproxy_read_port, s.haproxy_stats_port),
                         (18051, 18052, 18053))
        self.assertEqual(len(set(s.all_ports())), 15)

    def test_nodes_are_named_by_number_or_name(self):
        s = spec()
        for name in (2, "2", "node2", "postgresql-node2"):
            self.assertEqual(s.node_number(name), 2)
        with self.assertRaises(ValueError):
            s.node_number("node4")


class OptionsTest(unittest.TestCase):

    def test_profiles_give_their_timing(self):
        self.assertEqual(_timing(spec(profile="seed")), (30, 10, 30))
        self.assertEqual(_timing(spec(profile="fast")), (10, 2, 4))
        self.assertEqual(_timing(spec(profile="custom", ttl=20, loop_wait=5, retry_timeout=7)),
                         (20, 5, 7))

    def test_custom_timing_needs_all_three_values_and_only_with_custom(self):
        with self.assertRaises(LabError):
            spec(profile="custom", ttl=20)
        with self.assertRaises(LabError):
            spec(profile="fast", ttl=20)

    def test_default_dir_is_named_after_the_base_port(self):
        self.assertEqual(spec(base_port=18500).dir, "/tmp/pghalo-lab-18500")


def _timing(s):
    return s.ttl, s.loop_wait, s.retry_timeout


class NodeConfigTest(unittest.TestCase):

    def test_pghalo_keeps_the_seeds_etcd_section_and_no_authentication(self):
        config = nodeconf.node_config(spec(agent="pghalo"), 1)
        self.assertIn("etcd", config)
        self.assertNotIn("etcd3", config)
        self.assertNotIn("authentication", config["postgresql"])
        self.assertEqual(config["etcd"]["hosts"], "127.0.0.1:18011,127.0.0.1:18012,127.0.0.1:18013")
        self.assertEqual(config["etcd"]["protocol"], "https")

    def test_patroni_gets_etcd3_and_authentication(self):
        config = nodeconf.node_config(spec(agent="patroni"), 2)
        self.assertIn("etcd3", config)
        self.assertNotIn("etcd", config)
        auth = config["postgresql"]["authentication"]
        self.assertEqual(auth["replication"]["username"], "replicator")
        self.assertEqual(auth["superuser"]["username"], "postgres")

    def test_only_node_one_bootstraps_and_carries_the_seeds_parameters(self):
        s = spec(agent="pghalo", profile="seed")
        one, two = nodeconf.node_config(s, 1), nodeconf.node_config(s, 2)
        self.assertEqual(one["bootstrap"]["dcs"]["ttl"], 30)
        self.assertEqual(one["bootstrap"]["dcs"]["retry_timeout"], 30)
        self.assertNotIn("bootstrap", two)
        self.assertEqual(one["postgresql"]["parameters"]["max_connections"], 200)
        self.assertNotIn("max_connections", two["postgresql"]["parameters"])
        self.assertEqual(one["tags"], two["tags"])

    def test_memory_is_scaled_unless_the_seeds_is_asked_for(self):
        scaled = nodeconf.node_config(spec(), 1)["postgresql"]["parameters"]
        seed = nodeconf.node_config(spec(seed_memory=True), 1)["postgresql"]["parameters"]
        self.assertEqual((scaled["shared_buffers"], scaled["max_wal_size"]), ("128MB", "1GB"))
        self.assertEqual((seed["shared_buffers"], seed["max_wal_size"]), ("4GB", "4GB"))

    def test_pg_hba_is_mapped_to_loopback(self):
        hba = nodeconf.node_config(spec(), 1)["bootstrap"]["pg_hba"]
        self.assertIn("host replication replicator 127.0.0.1/32 md5", hba)
        self.assertFalse([line for line in hba if "10.0.1." in line])

    def test_without_tls_the_etcd_section_has_no_certificates(self):
        section = nodeconf.node_config(spec(agent="pghalo", tls=False), 1)["etcd"]
        self.assertEqual(section["protocol"], "http")
        self.assertNotIn("cert", section)


class YamlTest(unittest.TestCase):

    def test_strings_yaml_would_misread_are_quoted(self):
        self.assertEqual(yamlout.scalar("on"), '"on"')
        self.assertEqual(yamlout.scalar("8"), '"8"')
        self.assertEqual(yamlout.scalar("%m [%p] "), '"%m [%p] "')
        self.assertEqual(yamlout.scalar("127.0.0.1:18011,127.0.0.1:18012"),
                         "127.0.0.1:18011,127.0.0.1:18012")
        self.assertEqual(yamlout.scalar("/db/"), "/db/")
        self.assertEqual(yamlout.scalar(False), "false")

    def test_block_layout_matches_the_seeds_style(self):
        text = yamlout.dump({"initdb": [{"encoding": "UTF8"}, "data-checksums"],
                             "tags": {"nofailover": False}, "empty": {}}, header="hello")
        self.assertEqual(text, "# hello\ninitdb:\n  - encoding: UTF8\n  - data-checksums\n"
                               "tags:\n  nofailover: false\nempty: {}\n")


class HaproxyTest(unittest.TestCase):

    def test_write_and_read_ports_check_primary_and_replica(self):
        text = haproxy.render_config(spec(agent="patroni"))
        self.assertIn("bind 127.0.0.1:18051\n    option httpchk OPTIONS /primary", text)
        self.assertIn("bind 127.0.0.1:18052\n    balance roundrobin\n    option httpchk OPTIONS "
                      "/replica", text)
        self.assertIn("server postgresql-node2 127.0.0.1:18032 maxconn 100 check port 18042", text)

    def test_stats_csv_gives_server_states(self):
        csv = ("# pxname,svname,qcur,status\nprimary,FRONTEND,,OPEN\n"
               "primary,postgresql-node1,0,UP\nprimary,postgresql-node2,0,DOWN\n"
               "replicas,postgresql-node2,0,UP\n")
        self.assertEqual(haproxy.server_states(csv),
                         {"primary": {"postgresql-node1": "UP", "postgresql-node2": "DOWN"},
                          "replicas": {"postgresql-node2": "UP"}})


if __name__ == "__main__":
    unittest.main()
