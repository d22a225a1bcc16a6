# Runs a small nn-study through the CLI and checks every output (CSV, JSON, PNG, SVG) exists.
file(REMOVE_RECURSE "${OUT}")
execute_process(COMMAND "${AMF}" nn-study --env cupfaucet --figure fig4 --pretrain skewed --seeds 2 --budget 2
                        --episodes 1 --steps-per-round 10 --out "${OUT}"
                RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
message("${out}")
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "amf nn-study exited with ${rc}:\n${err}")
endif()
foreach(f curves.csv picks.csv summary_curves.csv auc.csv summary.json summary.txt
          success_curves.png success_curves.svg auc.png picks.png)
  if(NOT EXISTS "${OUT}/${f}")
    message(FATAL_ERROR "missing output ${OUT}/${f}")
  endif()
endforeach()
execute_process(COMMAND "${AMF}" nn-study --env kitchen --pretrain lopsided --out "${OUT}/bad"
                RESULT_VARIABLE rc ERROR_VARIABLE err)
if(NOT rc EQUAL 2 OR NOT err MATCHES "lopsided")
  message(FATAL_ERROR "a bad pre-training name should exit 2 naming it, got ${rc}: ${err}")
endif()
