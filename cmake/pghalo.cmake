# Helpers that keep every folder's CMakeLists.txt to a few lines.

set(PGHALO_WARNINGS -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor -Wold-style-cast
    -Wcast-align -Woverloaded-virtual -Wimplicit-fallthrough)

function(pghalo_target_options target)
  target_compile_options(${target} PRIVATE ${PGHALO_WARNINGS})
  if(PGHALO_WERROR)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
endfunction()

# pghalo_library(<name> SOURCES ... DEPS ...): static library pghalo_<name>, include root = src/.
function(pghalo_library name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS" ${ARGN})
  add_library(pghalo_${name} STATIC ${ARG_SOURCES})
  target_include_directories(pghalo_${name} PUBLIC ${PROJECT_SOURCE_DIR}/src)
  target_link_libraries(pghalo_${name} PUBLIC ${ARG_DEPS})
  pghalo_target_options(pghalo_${name})
endfunction()

# pghalo_test(<name> SOURCES ... DEPS ... [LABELS ...]): a GoogleTest binary registered with CTest.
# Labels: unit (default), sim, integration. Integration tests get a generous timeout.
function(pghalo_test name)
  cmake_parse_arguments(ARG "" "TIMEOUT" "SOURCES;DEPS;LABELS" ${ARGN})
  if(NOT PGHALO_BUILD_TESTS)
    return()
  endif()
  add_executable(${name} ${ARG_SOURCES})
  target_link_libraries(${name} PRIVATE ${ARG_DEPS} GTest::gtest GTest::gmock GTest::gtest_main)
  target_include_directories(${name} PRIVATE ${PROJECT_SOURCE_DIR}/src ${PROJECT_SOURCE_DIR})
  pghalo_target_options(${name})
  if(NOT ARG_LABELS)
    set(ARG_LABELS unit)
  endif()
  if(NOT ARG_TIMEOUT)
    set(ARG_TIMEOUT 120)
  endif()
  add_test(NAME ${name} COMMAND ${name})
  set_tests_properties(${name} PROPERTIES LABELS "${ARG_LABELS}" TIMEOUT ${ARG_TIMEOUT})
endfunction()
