# How a unit test is registered with ctest: included by CMakeLists.txt, and
# by the small ctest project tests/scripts/t_scripts.sh builds to check that
# a skip cannot hide a failure.
#
# das_unit_test(NAME EXECUTABLE): test NAME, label unit, runs EXECUTABLE
# through tests/unit/run-unit. Its exit status decides; a cmocka case that
# called skip() ("[  SKIPPED ]") makes a run that passed a skipped one
# (exit 77), never a failed one a skipped one.
set(DAS_RUN_UNIT ${CMAKE_CURRENT_LIST_DIR}/run-unit)
function(das_unit_test name exe)
  add_test(NAME ${name} COMMAND bash ${DAS_RUN_UNIT} ${exe})
  set_tests_properties(${name} PROPERTIES LABELS unit SKIP_RETURN_CODE 77)
endfunction()
