# check_pgo_guard.cmake: RTN_PGO refuses, at configure time and with its
# message, a compiler other than GCC and a build without the tool.
# Run: cmake -DSRC=... -DWORK=... -DGEN=... [-DCLANG=...] -P check_pgo_guard.cmake
cmake_minimum_required(VERSION 3.16)

function(expect_refusal name expected)
  set(dir ${WORK}/${name})
  file(REMOVE_RECURSE ${dir})
  execute_process(COMMAND ${CMAKE_COMMAND} -S ${SRC} -B ${dir} -G ${GEN} -DRTN_PGO=ON
                          -DRTN_BUILD_TESTS=OFF -DRTN_BUILD_BENCH=OFF -DRTN_BUILD_EXAMPLES=OFF
                          -DRTN_ABI_CHECK=OFF ${ARGN}
    RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  file(REMOVE_RECURSE ${dir})
  if(rc EQUAL 0)
    message(FATAL_ERROR "${name}: configure with RTN_PGO=ON succeeded; expected a refusal")
  endif()
  string(FIND "${err}" "${expected}" at)
  if(at EQUAL -1)
    message(FATAL_ERROR "${name}: the refusal does not say \"${expected}\":\n${err}")
  endif()
  message(STATUS "${name}: refused, saying \"${expected}\"")
endfunction()

expect_refusal(no_tool "RTN_BUILD_TOOLS must be ON" -DRTN_BUILD_TOOLS=OFF)
if(CLANG)
  expect_refusal(clang "RTN_PGO needs GCC" -DCMAKE_C_COMPILER=${CLANG})
endif()
