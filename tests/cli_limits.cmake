# Issue #15 items 2 and 3 through the built binary: configuration values outside their documented
# range stop at load time with file, field and value (exit 2, nothing created); the documented
# table is what `amf run --fields` prints; a selection's batch is bounded by a memory check and a
# time limit that fail fast with the estimate.
include(${CMAKE_CURRENT_LIST_DIR}/run_amf.cmake)

file(REMOVE_RECURSE ${WORK})
file(MAKE_DIRECTORY ${WORK})

# The documentation's table is the schema's own description.
run_amf(0 run --fields)
file(READ ${SOURCE_DIR}/docs/configuration.md doc)
string(FIND "${doc}" "${OUT}" at)
if(at EQUAL -1)
  message(FATAL_ERROR "docs/configuration.md does not hold what `amf run --fields` prints:\n${OUT}")
endif()

# A TOML body (one line per argument after the first) must stop with the fragment, creating nothing.
# (One call per case: CMake lists split on ';' and bracket characters.)
set(case_number 0)
function(expect_refused fragment)
  math(EXPR i "${case_number} + 1")
  set(case_number ${i} PARENT_SCOPE)
  string(JOIN "\n" body ${ARGN})
  file(WRITE ${WORK}/c${i}.toml "out = \"out${i}\"\n${body}\n")
  run_amf(2 run c${i}.toml --no-plots)
  string(FIND "${ERR}" "c${i}.toml: gp study config: ${fragment}" found)
  if(found EQUAL -1 OR EXISTS ${WORK}/out${i})
    message(FATAL_ERROR "case ${i} (${body}): want '${fragment}' and no out${i}/, got: ${ERR}")
  endif()
endfunction()
expect_refused("field 'env.radius' = 1e+308 (must be a number in (0, 1e+06])" "[env]" "radius = 1e308")
expect_refused("field 'env.expert_gain' = -1" "[env]" "expert_gain = -1")
expect_refused("field 'env.max_speed' = inf" "[env]" "max_speed = inf")
expect_refused("field 'policy.noise_variance' = nan" "[policy]" "noise_variance = nan")
expect_refused("field 'env.horizon' = 1000000000 (must be an integer in 1..10000)" "[env]" "horizon = 1000000000")
expect_refused("field 'env.num_eval_tasks' = 100000" "[env]" "num_eval_tasks = 100000")
expect_refused("field 'run.k_values' repeats a value" "[run]" "k_values = [1, 1]")
expect_refused("field 'run.methods' repeats a method" "[run]" "methods = [\"amf\", \"amf\"]")
expect_refused("field 'selection.min_weight' = -1" "[selection]" "min_weight = -1")

# Flags set a field even when negative (a negative --seeds once meant "the preset's").
run_amf(2 gp-study --seeds -5 --out flags --no-plots)
if(NOT ERR MATCHES "field 'run.seeds' = -5" OR EXISTS ${WORK}/flags)
  message(FATAL_ERROR "gp-study --seeds -5: ${ERR}")
endif()

# Selections: an absurd batch fails before any work; a large one on the estimate after two passes.
set(ex ${SOURCE_DIR}/examples)
set(select select --demos ${ex}/demos.h5 --candidates ${ex}/candidates.csv --targets ${ex}/targets.csv)
run_amf(2 ${select} --batch-size 2147483647 --out huge)
if(NOT ERR MATCHES "Cholesky factor alone needs .* GB, more than this machine")
  message(FATAL_ERROR "select --batch-size 2147483647: ${ERR}")
endif()
run_amf(2 ${select} --batch-size 3000 --time-limit 0.5 --out long)
if(NOT ERR MATCHES "this selection of 3000 picks would take at least .*time limit of 500 ms" OR EXISTS ${WORK}/long/selection.json)
  message(FATAL_ERROR "select --batch-size 3000 --time-limit 0.5: ${ERR}")
endif()
run_amf(2 ${select} --time-limit -1 --out neg)
# More picks than candidates are allowed (a task may be picked again), and the files are written.
run_amf(0 ${select} --batch-size 12 --out repeat)
if(NOT EXISTS ${WORK}/repeat/selection.json)
  message(FATAL_ERROR "select --batch-size 12 wrote no selection: ${OUT}${ERR}")
endif()
