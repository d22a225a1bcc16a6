# run_amf(EXPECTED_RC args...): runs ${AMF} with the arguments (in ${WORK} when the script defines
# it), fails the script unless it exits EXPECTED_RC, and leaves its stdout and stderr in OUT and ERR.
function(run_amf expect_rc)
  set(dir ${CMAKE_CURRENT_BINARY_DIR})  # in script mode, the directory ctest started it in
  if(DEFINED WORK)
    set(dir ${WORK})
  endif()
  execute_process(COMMAND "${AMF}" ${ARGN} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err
                  WORKING_DIRECTORY ${dir})
  if(NOT rc EQUAL expect_rc)
    message(FATAL_ERROR "amf ${ARGN}: exit ${rc}, expected ${expect_rc}\n${out}\n${err}")
  endif()
  set(OUT "${out}" PARENT_SCOPE)
  set(ERR "${err}" PARENT_SCOPE)
endfunction()
