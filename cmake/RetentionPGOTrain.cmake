# The training run of RTN_PGO (cmake -P): the instrumented tool writes a
# generated shop log (about a million rows) and reports on it; the profile
# of both runs is what the optimised build uses. Inputs: TOOL, PROFILE, WORK.
file(REMOVE_RECURSE ${PROFILE})
execute_process(COMMAND ${TOOL} sample --customers 20000 --days 365 --seed 1 -o ${WORK}/train.csv
  RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "RTN_PGO training: retention sample failed (${rc})")
endif()
execute_process(COMMAND ${TOOL} report --format json ${WORK}/train.csv
  OUTPUT_QUIET RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "RTN_PGO training: retention report failed (${rc})")
endif()
file(REMOVE ${WORK}/train.csv)
