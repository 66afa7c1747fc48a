// Test-only: reads a fixture from src/pg/testdata (real outputs captured from PostgreSQL 15).
#pragma once

#include <fstream>
#include <sstream>
#include <string>

namespace pghalo::pg::testing {

inline std::string read_testdata(const std::string& name) {
  std::ifstream in(std::string(PGHALO_PG_TESTDATA) + "/" + name, std::ios::binary);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

}  // namespace pghalo::pg::testing
