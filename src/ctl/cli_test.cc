#include "ctl/cli.h"

#include <gtest/gtest.h>

#include <map>

#include "ctl/testing/ctl_fixture.h"

namespace pghalo::ctl {
namespace {

using testing::CtlFixture;

TEST(Cli, BadCommandLinesExitTwoWithAMessage) {
  struct Case {
    std::vector<std::string> args;
    std::string says;
  };
  for (const auto& c : std::vector<Case>{
           {{}, "A subcommand is required"},
           {{"nosuch"}, "unknown command 'nosuch'"},
           {{"list", "-f", "xml"}, "unknown output format 'xml'"},
           {{"list", "--group", "1"}, "Citus"},
           {{"restart"}, "cluster_name is required"},
           {{"flush", "pglab"}, "args"},
           {{"flush", "pglab", "later"}, "restart or switchover"},
           {{"reload", "pglab", "-r", "boss"}, "boss"},
           {{"reload", "pglab", "node7", "--force"}, "its members are: node1, node2, node3"},
           {{"dsn", "-r", "replica", "-m", "node2"}, "mutually exclusive"},
           {{"query"}, "either --command or --file"},
           {{"backup"}, "--directory is required"},
       }) {
    CtlFixture f;
    f.load_scenario("healthy");
    EXPECT_EQ(f.run(c.args), 2) << c.says;
    EXPECT_NE(f.errors().find(c.says), std::string::npos) << f.errors();
    EXPECT_NE(f.errors().find("pghaloctl"), std::string::npos);
  }
}

TEST(Cli, HelpAndVersionNeedNoConfiguration) {
  CtlFixture f;
  EXPECT_EQ(f.run({"--help"}), 0);
  for (const std::string command : {"list", "switchover", "edit-config", "backup", "lag"}) {
    EXPECT_NE(f.output().find(command), std::string::npos) << command;
  }
  f.out.str("");
  EXPECT_EQ(f.run({"version"}), 0);
  EXPECT_EQ(f.output().rfind("pghaloctl version ", 0), 0u);
}

TEST(Cli, ColourOnlyOnATerminalThatAllowsIt) {
  struct Case {
    bool terminal;
    std::map<std::string, std::string> env;
    std::vector<std::string> extra;
    bool coloured;
  };
  for (const auto& c : std::vector<Case>{
           {false, {}, {}, false},
           {true, {}, {}, true},
           {true, {{"NO_COLOR", "1"}}, {}, false},
           {true, {{"TERM", "dumb"}}, {}, false},
           {true, {}, {"--no-color"}, false},
       }) {
    CtlFixture f;
    f.load_scenario("healthy");
    f.run_on_terminal = c.terminal;
    f.run_environment = c.env;
    std::vector<std::string> args = c.extra;
    args.push_back("list");
    ASSERT_EQ(f.run(args), 0) << f.errors();
    EXPECT_EQ(f.output().find("\033[") != std::string::npos, c.coloured) << f.output();
  }
}

TEST(Cli, AnUnreachableEtcdIsARuntimeFailureNamingTheEndpoints) {
  CtlFixture f;
  f.kv.set_available(false);
  EXPECT_EQ(f.run({"list"}), 1);
  EXPECT_NE(f.errors().find("cannot read cluster 'pglab' from etcd"), std::string::npos)
      << f.errors();
  EXPECT_NE(f.errors().find("configured endpoints: 127.0.0.1:2379"), std::string::npos);
}

TEST(Cli, ListThroughTheCommandLine) {
  CtlFixture f;
  f.load_scenario("healthy");
  EXPECT_EQ(f.run({"list", "-t", "-W", "--count", "2"}), 0) << f.errors();
  std::string out = f.output();
  std::size_t tables = 0;
  for (auto at = out.find("+ Cluster: pglab"); at != std::string::npos;
       at = out.find("+ Cluster: pglab", at + 1)) {
    ++tables;
  }
  EXPECT_EQ(tables, 2u);
}

TEST(Cli, EditConfigFromTheCommandLine) {
  CtlFixture f;
  f.load_scenario("healthy");
  EXPECT_EQ(f.run({"edit-config", "-s", "ttl=12", "--force"}), 0) << f.errors();
  EXPECT_NE(f.output().find("+ttl: 12"), std::string::npos);
}

TEST(Cli, AnAbortedConfirmationExitsOne) {
  CtlFixture f;
  f.load_scenario("healthy");
  f.prompter.answers = {"n"};
  EXPECT_EQ(f.run({"reload", "pglab"}), 1);
  EXPECT_NE(f.errors().find("Aborted reload"), std::string::npos);
  CtlFixture g;
  g.load_scenario("healthy");
  EXPECT_EQ(g.run({"reload", "pglab"}), 1);  // no terminal, no answer
  EXPECT_NE(g.errors().find("--force"), std::string::npos) << g.errors();
}

}  // namespace
}  // namespace pghalo::ctl
