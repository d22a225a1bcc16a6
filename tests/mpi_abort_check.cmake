# run_or_abort: rank 2 of 3 fails; the job must end (not hang) with a non-zero code and the message.
execute_process(COMMAND ${MPIEXEC} --allow-run-as-root --oversubscribe -np 3 ${CHECK} abort
                RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err TIMEOUT 60)
if(rc EQUAL 0 OR NOT err MATCHES "amf: rank 2: demos.h5: dataset 'data/demo_0/actions' is missing")
  message(FATAL_ERROR "expected MPI_Abort with rank 2's message, got (${rc}):\n${out}\n${err}")
endif()
