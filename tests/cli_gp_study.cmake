# Runs a small gp-study through the CLI and checks every output (CSV, JSON, PNG, SVG) exists.
file(REMOVE_RECURSE "${OUT}")
execute_process(COMMAND "${AMF}" gp-study --out "${OUT}" --seeds 2 --rounds 2 --k 12 --k 6 --k 2
                        --shooting-budget 24
                RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
message("${out}")
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "amf gp-study exited with ${rc}:\n${err}")
endif()
foreach(f curves.csv picks.csv summary_curves.csv summary.json summary.txt
          curves_k12.png curves_k12.svg curves_k6.png final_return_vs_k.png final_return_vs_k.svg
          task_circle.png)
  if(NOT EXISTS "${OUT}/${f}")
    message(FATAL_ERROR "missing output ${OUT}/${f}")
  endif()
endforeach()
execute_process(COMMAND "${AMF}" gp-study --k 13 --out "${OUT}/bad" RESULT_VARIABLE rc ERROR_VARIABLE err)
if(NOT rc EQUAL 2 OR NOT err MATCHES "k_values' = 13")
  message(FATAL_ERROR "bad k should exit 2 naming the field, got ${rc}: ${err}")
endif()
