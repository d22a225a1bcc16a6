# amf_add_sass_check(LABEL): registers the CTest `sass_fused_kernel` (tests/sass_check.cmake),
# which reads the fused kernel's sm_90 machine code in libamf_engine with cuobjdump (no GPU
# needed) and runs the performance model (bench/fused_kernel_model.cpp) on its resource use.
# Without CUDA sources there is no machine code: the test reports a skip (exit 77).
# cuobjdump and its nvdisasm are looked up in the CUDA toolkit, then in the .venv wheels that
# tools/setup_python.sh installs (the CI machine's toolkit has nvcc but not these two).
function(amf_add_sass_check label)
  if(NOT AMF_HAVE_CUDA)
    add_test(NAME sass_fused_kernel
             COMMAND sh -c "echo 'sass_fused_kernel: skipped, CUDA sources are not built (no nvcc)'; exit 77")
    set_tests_properties(sass_fused_kernel PROPERTIES LABELS ${label} SKIP_RETURN_CODE 77)
    return()
  endif()
  file(GLOB venv_bins ${PROJECT_SOURCE_DIR}/.venv/lib/python3*/site-packages/nvidia/cu13/bin)
  find_program(AMF_CUOBJDUMP cuobjdump HINTS ${CUDAToolkit_BIN_DIR} ${venv_bins})
  get_filename_component(cuobjdump_dir "${AMF_CUOBJDUMP}" DIRECTORY)
  find_program(AMF_NVDISASM nvdisasm HINTS ${cuobjdump_dir} ${CUDAToolkit_BIN_DIR} ${venv_bins})
  add_executable(fused_kernel_model ${PROJECT_SOURCE_DIR}/bench/fused_kernel_model.cpp)
  target_include_directories(fused_kernel_model PRIVATE ${PROJECT_SOURCE_DIR}/kernels)
  add_test(NAME sass_fused_kernel
           COMMAND ${CMAKE_COMMAND} -DCUOBJDUMP=${AMF_CUOBJDUMP} -DNVDISASM=${AMF_NVDISASM}
                   -DLIBRARY=$<TARGET_FILE:amf_engine> -DMODEL=$<TARGET_FILE:fused_kernel_model>
                   -P ${PROJECT_SOURCE_DIR}/tests/sass_check.cmake)
  set_tests_properties(sass_fused_kernel PROPERTIES LABELS ${label} TIMEOUT 120)
endfunction()
