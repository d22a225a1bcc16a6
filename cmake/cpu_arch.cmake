# CPU code generation for everything compiled as C++. The CPU backend's hot loops are Eigen GEMMs
# (header-only, so they are compiled here): at the compiler's x86-64 baseline they use SSE2 only;
# measured on the feature criterion (W-NN, bench/RESULTS.md) AVX2 + FMA is about 3x faster on the
# same core and AVX-512 about 1.4x faster again. AMF_CPU_ARCH:
#   auto       the highest x86-64 level that the compiler takes and the build machine runs:
#              x86-64-v4 (AVX-512), else x86-64-v3 (AVX2, FMA), else the compiler's default
#   native     tuned for the build machine
#   <value>    passed as -march=<value> (x86-64-v3 for binaries that must run on any x86 server
#              CPU of the last decade)
#   none       the compiler's default
# One setting for every C++ target, so inline Eigen code instantiated in libamf and in its tests
# and tools is compiled alike. Binaries need a CPU with those instructions: build where they run.
set(AMF_CPU_ARCH "auto" CACHE STRING "CPU -march for C++ code: auto, native, none, or a -march value")
set(AMF_CPU_MARCH "")
if(AMF_CPU_ARCH STREQUAL "auto")
  if(CMAKE_SYSTEM_PROCESSOR MATCHES "x86_64|AMD64" AND NOT CMAKE_CROSSCOMPILING)
    include(CheckCXXSourceRuns)
    foreach(level v4 v3)
      set(features avx2 fma bmi2)
      if(level STREQUAL "v4")
        list(APPEND features avx512f avx512bw avx512cd avx512dq avx512vl)
      endif()
      list(TRANSFORM features REPLACE "(.+)" "__builtin_cpu_supports(\"\\1\")")
      list(JOIN features " && " supported)
      set(CMAKE_REQUIRED_FLAGS "-march=x86-64-${level}")
      check_cxx_source_runs("int main() { __builtin_cpu_init(); return ${supported} ? 0 : 1; }"
                            AMF_CPU_RUNS_X86_64_${level})
      unset(CMAKE_REQUIRED_FLAGS)
      if(AMF_CPU_RUNS_X86_64_${level})
        set(AMF_CPU_MARCH "x86-64-${level}")
        break()
      endif()
    endforeach()
  endif()
elseif(NOT AMF_CPU_ARCH STREQUAL "none" AND NOT AMF_CPU_ARCH STREQUAL "")
  set(AMF_CPU_MARCH "${AMF_CPU_ARCH}")
endif()
if(AMF_CPU_MARCH)
  add_compile_options($<$<COMPILE_LANGUAGE:CXX>:-march=${AMF_CPU_MARCH}>)
  # GCC 12's AVX-512 intrinsics trip -Wmaybe-uninitialized on their own `__m512d __Y = __Y;`
  # idiom (GCC bug 105593, fixed in 13): a thousand false warnings through Eigen otherwise.
  if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU" AND CMAKE_CXX_COMPILER_VERSION VERSION_LESS 13
     AND AMF_CPU_MARCH MATCHES "v4|native")
    add_compile_options($<$<COMPILE_LANGUAGE:CXX>:-Wno-maybe-uninitialized>)
  endif()
  message(STATUS "amf: C++ code compiled with -march=${AMF_CPU_MARCH} (AMF_CPU_ARCH=${AMF_CPU_ARCH})")
else()
  message(STATUS "amf: C++ code compiled for the compiler's default CPU (AMF_CPU_ARCH=${AMF_CPU_ARCH})")
endif()
