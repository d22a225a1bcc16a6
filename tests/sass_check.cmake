# The machine-code check of the fused criterion kernel (cmake -P; registered by
# cmake/sass_check.cmake). Reads the sm_90 code in the engine library with cuobjdump, which needs
# no GPU, and fails when the kernel
#   - uses local memory (register spills: LDL/STL instructions, or LOCAL > 0 in its resource use),
#   - has no DMMA instruction (its GEMMs fell off the FP64 tensor cores),
#   - has no LDGSTS instruction (the staging loop lost its cp.async copies), or LDGSTS but no
#     LDGDEPBAR/DEPBAR (copies nobody waits for).
# Then it prints every kernel's resource use and runs the performance model
# (bench/fused_kernel_model.cpp) on the registers and static shared memory it read.
#
# -DCUOBJDUMP=path -DNVDISASM=path -DLIBRARY=path -DMODEL=path
foreach(v CUOBJDUMP NVDISASM LIBRARY MODEL)
  if(NOT ${v} OR NOT EXISTS "${${v}}")
    message(FATAL_ERROR "sass_check: ${v} not found ('${${v}}'). cuobjdump and nvdisasm come with a full CUDA "
                        "toolkit, or from the nvidia-cuda-cuobjdump and nvidia-cuda-nvdisasm wheels that "
                        "tools/setup_python.sh installs into .venv; configure with -DAMF_CUOBJDUMP=... otherwise.")
  endif()
endforeach()
set(kernel_pattern "fused_criterion_kernel")

execute_process(COMMAND "${CUOBJDUMP}" --dump-resource-usage "${LIBRARY}" OUTPUT_VARIABLE usage
                ERROR_VARIABLE usage_err RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "sass_check: cuobjdump --dump-resource-usage failed (${rc}): ${usage_err}")
endif()
# cuobjdump finds nvdisasm on PATH.
get_filename_component(nvdisasm_dir "${NVDISASM}" DIRECTORY)
execute_process(COMMAND ${CMAKE_COMMAND} -E env "PATH=${nvdisasm_dir}:$ENV{PATH}" "${CUOBJDUMP}" -sass "${LIBRARY}"
                OUTPUT_VARIABLE sass ERROR_VARIABLE sass_err RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "sass_check: cuobjdump -sass failed (${rc}): ${sass_err}")
endif()

# Resource use: " Function NAME:" then "  REG:n STACK:n SHARED:n LOCAL:n ...". sm_90 only.
string(REGEX MATCHALL "Function [^\n]+:\n[^\n]*REG:[0-9]+ STACK:[0-9]+ SHARED:[0-9]+ LOCAL:[0-9]+" entries "${usage}")
set(fused_found FALSE)
message("kernel resource use (sm_90): registers/thread, stack, static shared, local bytes")
foreach(e IN LISTS entries)
  string(REGEX MATCH "Function ([^\n]+):" _ "${e}")
  set(name "${CMAKE_MATCH_1}")
  string(REGEX MATCH "REG:([0-9]+) STACK:([0-9]+) SHARED:([0-9]+) LOCAL:([0-9]+)" _ "${e}")
  set(reg ${CMAKE_MATCH_1})
  set(stack ${CMAKE_MATCH_2})
  set(shared ${CMAKE_MATCH_3})
  set(local ${CMAKE_MATCH_4})
  message("  ${reg} ${stack} ${shared} ${local}  ${name}")
  if(name MATCHES "${kernel_pattern}")
    set(fused_found TRUE)
    set(fused_reg ${reg})
    set(fused_shared ${shared})
    if(NOT local EQUAL 0 OR NOT stack EQUAL 0)
      message(SEND_ERROR "sass_check: the fused kernel uses ${local} bytes of local memory and a ${stack}-byte stack "
                         "(register spills or a dynamically indexed array)")
    endif()
  endif()
endforeach()
if(NOT fused_found)
  message(FATAL_ERROR "sass_check: no ${kernel_pattern} in the resource use of ${LIBRARY}")
endif()

# The kernel's disassembly: from its "Function : NAME" header to the next one.
string(REGEX MATCH "Function : [^\n]*${kernel_pattern}[^\n]*\n" header "${sass}")
string(FIND "${sass}" "${header}" begin)
string(SUBSTRING "${sass}" ${begin} -1 rest)
string(LENGTH "${header}" header_length)
string(SUBSTRING "${rest}" ${header_length} -1 body)
string(FIND "${body}" "Function : " end)
if(NOT end EQUAL -1)
  string(SUBSTRING "${body}" 0 ${end} body)
endif()
function(count_opcode out opcode)
  string(REGEX MATCHALL "[ \t}]${opcode}[ .;]" hits "${body}")
  list(LENGTH hits n)
  set(${out} ${n} PARENT_SCOPE)
endfunction()
count_opcode(dmma DMMA)
count_opcode(ldgsts LDGSTS)
count_opcode(depbar "(LDGDEPBAR|DEPBAR)")
count_opcode(ldl LDL)
count_opcode(stl STL)
message("fused kernel instructions: DMMA ${dmma}, LDGSTS ${ldgsts}, LDGDEPBAR/DEPBAR ${depbar}, LDL ${ldl}, STL ${stl}")
if(dmma EQUAL 0)
  message(SEND_ERROR "sass_check: no DMMA in the fused kernel: its GEMMs no longer run on the FP64 tensor cores")
endif()
if(ldgsts EQUAL 0)
  message(SEND_ERROR "sass_check: no LDGSTS in the fused kernel: the staging loop lost its cp.async copies")
elseif(depbar EQUAL 0)
  message(SEND_ERROR "sass_check: LDGSTS without LDGDEPBAR/DEPBAR: the kernel never waits for its copies")
endif()
if(ldl GREATER 0 OR stl GREATER 0)
  message(SEND_ERROR "sass_check: the fused kernel loads/stores local memory (${ldl} LDL, ${stl} STL): spills")
endif()

execute_process(COMMAND "${MODEL}" ${fused_reg} ${fused_shared} RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(SEND_ERROR "sass_check: the performance model failed (${rc})")
endif()
