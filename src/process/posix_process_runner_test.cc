#include <gtest/gtest.h>
#include <signal.h>

#include <fstream>
#include <thread>

#include "common/strings.h"
#include "process/process_runner.h"

namespace pghalo::process {
namespace {

ProcessSpec shell(const std::string& script) {
  ProcessSpec spec;
  spec.argv = {"/bin/sh", "-c", script};
  spec.timeout = std::chrono::seconds(20);
  return spec;
}

ProcessResult run_ok(const ProcessSpec& spec) {
  PosixProcessRunner runner;
  auto result = runner.run(spec);
  EXPECT_TRUE(result.ok()) << (result.ok() ? "" : result.error().to_string());
  return result.ok() ? *result : ProcessResult{};
}

// A process is gone when it no longer exists or is a zombie nobody has reaped yet (containers
// whose pid 1 does not reap orphans).
bool process_gone(int pid) {
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  if (!std::getline(stat, line)) return true;
  auto close_paren = line.rfind(')');
  return close_paren != std::string::npos && line.size() > close_paren + 2 &&
         line[close_paren + 2] == 'Z';
}

// Signal delivery is asynchronous: give the kernel a bounded moment.
bool becomes_gone(int pid) {
  for (int i = 0; i < 200; ++i) {
    if (process_gone(pid)) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return false;
}

TEST(PosixProcessRunner, ReportsTheExitCode) {
  auto result = run_ok(shell("exit 3"));
  EXPECT_EQ(result.exit_code, 3);
  EXPECT_FALSE(result.timed_out);
  EXPECT_FALSE(result.succeeded());
  EXPECT_TRUE(run_ok(shell("true")).succeeded());
}

TEST(PosixProcessRunner, ReportsDeathBySignal) {
  auto result = run_ok(shell("kill -KILL $$"));
  EXPECT_EQ(result.exit_code, -1);
  EXPECT_EQ(result.signal, SIGKILL);
}

TEST(PosixProcessRunner, MergesStdoutAndStderr) {
  auto result = run_ok(shell("echo out; echo err >&2; echo out2"));
  EXPECT_EQ(result.output, "out\nerr\nout2\n");
}

TEST(PosixProcessRunner, KeepsOnlyTheTailOfLongOutput) {
  auto spec = shell("i=0; while [ $i -lt 20000 ]; do echo 0123456789; i=$((i+1)); done; echo END");
  spec.output_tail_bytes = 1000;
  auto result = run_ok(spec);
  EXPECT_EQ(result.output.size(), 1000u);
  EXPECT_EQ(result.output.substr(result.output.size() - 4), "END\n");
}

TEST(PosixProcessRunner, AddsAndRemovesEnvironmentVariables) {
  ::setenv("PGHALO_TEST_INHERITED", "yes", 1);
  ::setenv("PGHALO_TEST_REMOVED", "present", 1);
  auto spec =
      shell("echo \"$PGHALO_TEST_ADDED/$PGHALO_TEST_INHERITED/${PGHALO_TEST_REMOVED-unset}\"");
  spec.env = {{"PGHALO_TEST_ADDED", "a b"}};
  spec.unset_env = {"PGHALO_TEST_REMOVED"};
  EXPECT_EQ(run_ok(spec).output, "a b/yes/unset\n");
}

TEST(PosixProcessRunner, DeliversStdinAndThenEndOfFile) {
  auto spec = shell("wc -c");
  spec.stdin_data = std::string(1 << 20, 'x');  // larger than a pipe buffer
  EXPECT_EQ(trim(run_ok(spec).output), "1048576");
}

TEST(PosixProcessRunner, GivesAnEmptyClosedStdinByDefault) {
  EXPECT_EQ(run_ok(shell("cat; echo done")).output, "done\n");
}

TEST(PosixProcessRunner, SurvivesAChildThatIgnoresItsStdin) {
  auto spec = shell("exec 0<&-; exit 0");
  spec.stdin_data = std::string(1 << 20, 'x');
  EXPECT_TRUE(run_ok(spec).succeeded());
}

TEST(PosixProcessRunner, RunsInTheGivenWorkingDirectory) {
  auto spec = shell("pwd");
  spec.working_dir = "/";
  EXPECT_EQ(run_ok(spec).output, "/\n");
}

TEST(PosixProcessRunner, FindsProgramsInPath) {
  ProcessSpec spec;
  spec.argv = {"sh", "-c", "echo found"};
  EXPECT_EQ(run_ok(spec).output, "found\n");
}

TEST(PosixProcessRunner, FailsToStartAMissingProgram) {
  PosixProcessRunner runner;
  ProcessSpec spec;
  spec.argv = {"/nonexistent/pghalo-no-such-program"};
  auto result = runner.run(spec);
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().code, ErrorCode::kNotFound);
  spec.argv = {"pghalo-no-such-program-in-path"};
  EXPECT_FALSE(runner.run(spec).ok());
}

TEST(PosixProcessRunner, TimeoutKillsTheChildAndItsGrandchildren) {
  auto spec = shell("sleep 30 & echo $!; sleep 30; echo not-reached");
  spec.timeout = std::chrono::milliseconds(300);
  auto result = run_ok(spec);
  EXPECT_TRUE(result.timed_out);
  EXPECT_EQ(result.exit_code, -1);
  EXPECT_LT(result.elapsed, std::chrono::seconds(5));
  auto grandchild = parse_int64(trim(result.output));
  ASSERT_TRUE(grandchild.has_value()) << result.output;
  EXPECT_TRUE(becomes_gone(static_cast<int>(*grandchild)));
}

TEST(PosixProcessRunner, EscalatesToSigkillWhenSigtermIsIgnored) {
  auto spec = shell("trap '' TERM; echo ready; while :; do sleep 1; done");
  spec.timeout = std::chrono::milliseconds(200);
  auto result = run_ok(spec);
  EXPECT_TRUE(result.timed_out);
  EXPECT_GE(result.elapsed, std::chrono::seconds(2));
  EXPECT_LT(result.elapsed, std::chrono::seconds(6));
}

TEST(PosixProcessRunner, ReturnsWhenTheChildExitsEvenIfABackgroundGrandchildHoldsTheOutput) {
  auto spec = shell("sleep 30 & echo $!");
  auto result = run_ok(spec);
  EXPECT_TRUE(result.succeeded());
  EXPECT_LT(result.elapsed, std::chrono::seconds(5));
  auto grandchild = parse_int64(trim(result.output));
  ASSERT_TRUE(grandchild.has_value()) << result.output;
  ::kill(static_cast<int>(*grandchild), SIGKILL);
}

TEST(PosixProcessRunner, RunsProcessesFromSeveralThreadsAtOnce) {
  std::vector<std::thread> threads;
  std::vector<int> codes(6, -2);
  for (int i = 0; i < 6; ++i) {
    threads.emplace_back([i, &codes] {
      PosixProcessRunner runner;
      auto result = runner.run(shell("exit " + std::to_string(i)));
      codes[static_cast<std::size_t>(i)] = result.ok() ? result->exit_code : -3;
    });
  }
  for (auto& t : threads) t.join();
  for (int i = 0; i < 6; ++i) EXPECT_EQ(codes[static_cast<std::size_t>(i)], i);
}

}  // namespace
}  // namespace pghalo::process
