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
  # A build directory configured before the project moved to the wheel caches Debian's LibTorch
  # paths, which find_package would reuse: forget them (the guard at the end still refuses a mix).
  if(AMF_TORCH_DIR AND DEFINED CACHE{Torch_DIR} AND NOT Torch_DIR MATCHES "^${AMF_TORCH_DIR}/")
    message(STATUS "amf: forgetting the cached LibTorch of ${Torch_DIR}")
    foreach(v Torch_DIR Caffe2_DIR TORCH_LIBRARY c10_LIBRARY c10_cuda_LIBRARY kineto_LIBRARY)
      unset(${v} CACHE)
    endforeach()
  endif()
  set(amf_cuda_flags_before "${CMAKE_CUDA_FLAGS}")
  set(TORCH_CUDA_ARCH_LIST "9.0")  # only quiets its GPU auto-detection; the flags are dropped below
  find_package(Torch REQUIRED)
  set(CMAKE_CUDA_FLAGS "${amf_cuda_flags_before}")

  # The wheel's include directory carries its own fmt (12.x) next to ATen and c10, and it comes
  # before /usr/include, so spdlog's #include <fmt/...> would read fmt 12 while libspdlog and
  # libfmt are Debian's fmt 9: compile errors (fmt::basic_runtime) or worse. A directory holding
  # only a link to the fmt that spdlog was built with, searched first by everything linking
  # amf_torch (amf_add_system_fmt_first), keeps one fmt.
  set(AMF_SYSTEM_FMT_DIR "")
  if(AMF_TORCH_DIR AND EXISTS "${AMF_TORCH_DIR}/include/fmt" AND TARGET fmt::fmt)
    get_target_property(amf_fmt_include fmt::fmt INTERFACE_INCLUDE_DIRECTORIES)
    list(GET amf_fmt_include 0 amf_fmt_include)
    set(AMF_SYSTEM_FMT_DIR "${CMAKE_BINARY_DIR}/system_fmt")
    file(MAKE_DIRECTORY "${AMF_SYSTEM_FMT_DIR}")
    file(CREATE_LINK "${amf_fmt_include}/fmt" "${AMF_SYSTEM_FMT_DIR}/fmt" SYMBOLIC)
  endif()

  # The wheel's libtorch.so exports its own (broken: it calls a null pointer) copies of 64
  # std::filesystem functions. An executable lists libstdc++ last among its libraries, after
  # libtorch.so, so std::filesystem::remove_all in amf or a test bound to libtorch.so's copy and
  # crashed. Linking libstdc++ before LibTorch (AMF_TORCH_LIBRARIES, what amf_torch links) puts it
  # first in the search order of every program that links amf_torch.
  set(AMF_TORCH_LIBRARIES stdc++ ${TORCH_LIBRARIES})

  # A torch library outside the wheel (a cache from an older configure, or a system LibTorch found
  # first) would mix two LibTorch builds in one process; refuse it.
  if(AMF_TORCH_DIR AND NOT TORCH_LIBRARY MATCHES "^${AMF_TORCH_DIR}/")
    message(FATAL_ERROR "amf: LibTorch is ${TORCH_LIBRARY}, not the one in ${AMF_TORCH_DIR}; "
                        "delete the build directory's CMakeCache.txt and configure again")
  endif()
endmacro()

# Puts the system fmt before the wheel's for TARGET and what links it (see amf_find_torch).
function(amf_add_system_fmt_first target)
  if(AMF_SYSTEM_FMT_DIR)
    target_include_directories(${target} SYSTEM BEFORE PUBLIC "$<BUILD_INTERFACE:${AMF_SYSTEM_FMT_DIR}>")
  endif()
endfunction()
