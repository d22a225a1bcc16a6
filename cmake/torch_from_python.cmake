# amf_find_torch(): LibTorch from the torch wheel of AMF_PYTHON (the project venv,
# tools/setup_python.sh), so that the C++ side and the Python side use one torch. Sets what
# find_package(Torch) sets (TORCH_LIBRARIES, ...) and AMF_TORCH_DIR (the wheel's torch directory,
# empty when AMF_PYTHON has no torch: find_package(Torch) then searches the system as usual).
macro(amf_find_torch)
  # TorchConfig's CUDA part runs find_package(Python COMPONENTS Interpreter), which would pick the
  # first python3 on PATH and, found without Development, leave pybind11 without python_add_library.
  # So AMF_PYTHON is found first, with its headers.
  set(Python_EXECUTABLE ${AMF_PYTHON})
  find_package(Python 3 REQUIRED COMPONENTS Interpreter Development)

  execute_process(COMMAND ${AMF_PYTHON} -c "import os, torch; print(os.path.dirname(torch.__file__))"
                  OUTPUT_VARIABLE AMF_TORCH_DIR RESULT_VARIABLE amf_torch_rc
                  OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET)
  if(amf_torch_rc EQUAL 0 AND EXISTS "${AMF_TORCH_DIR}/share/cmake/Torch")
    # Both prefixes: <torch>/share/cmake finds TorchConfig, and <torch> makes its
    # find_library(torch|c10 ...) look in <torch>/lib before the system directories; with only the
    # first, a Debian libtorch.so in /usr/lib is linked instead and the binaries abort at start
    # (two c10 libraries in one process).
    list(PREPEND CMAKE_PREFIX_PATH "${AMF_TORCH_DIR}/share/cmake" "${AMF_TORCH_DIR}")
    message(STATUS "amf: LibTorch from ${AMF_TORCH_DIR} (the torch of ${AMF_PYTHON})")
  else()
    set(AMF_TORCH_DIR "")
    message(STATUS "amf: ${AMF_PYTHON} has no torch wheel with LibTorch; find_package(Torch) searches the system")
  endif()

  # The wheel's LibTorch carries CUDA, and its TorchConfig appends gencode flags for eleven
  # architectures (sm_50 among them, which nvcc 13 rejects) and its own options to
  # CMAKE_CUDA_FLAGS. They are for compiling torch CUDA extensions, which amf has none of; amf's
  # kernels keep their own flags and CMAKE_CUDA_ARCHITECTURES.
  set(amf_cuda_flags_before "${CMAKE_CUDA_FLAGS}")
  set(TORCH_CUDA_ARCH_LIST "9.0")  # only quiets its GPU auto-detection; the flags are dropped below
  find_package(Torch REQUIRED)
  set(CMAKE_CUDA_FLAGS "${amf_cuda_flags_before}")

  # A torch library outside the wheel (a cache from an older configure, or a system LibTorch found
  # first) would mix two LibTorch builds in one process; refuse it.
  if(AMF_TORCH_DIR AND NOT TORCH_LIBRARY MATCHES "^${AMF_TORCH_DIR}/")
    message(FATAL_ERROR "amf: LibTorch is ${TORCH_LIBRARY}, not the one in ${AMF_TORCH_DIR}; "
                        "delete the build directory's CMakeCache.txt and configure again")
  endif()
endmacro()
