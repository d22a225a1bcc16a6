# CPU code generation for everything compiled as C++. The CPU backend's hot loops are Eigen GEMMs
# (header-only, so they are compiled here): at the compiler's x86-64 baseline they use SSE2 only,
# and with AVX2 + FMA they run about 3x faster on the same core. AMF_CPU_ARCH:
#   auto       x86-64-v3 (AVX2, FMA, BMI2; x86 server CPUs since about 2015) when the compiler
#              takes it and the build machine runs it, otherwise the compiler's default
#   native     tuned for the build machine (binaries may not start on other CPUs)
#   <value>    passed as -march=<value> (e.g. x86-64-v4 for AVX-512)
#   none       the compiler's default
# One setting for every C++ target, so inline Eigen code instantiated in libamf and in its tests
# and tools is compiled alike. Binaries built with it need a CPU that has those instructions.
set(AMF_CPU_ARCH "auto" CACHE STRING "CPU -march for C++ code: auto, native, none, or a -march value")
set(AMF_CPU_MARCH "")
if(AMF_CPU_ARCH STREQUAL "auto")
  if(CMAKE_SYSTEM_PROCESSOR MATCHES "x86_64|AMD64" AND NOT CMAKE_CROSSCOMPILING)
    include(CheckCXXSourceRuns)
    set(CMAKE_REQUIRED_FLAGS "-march=x86-64-v3")
    check_cxx_source_runs([=[
      int main() {
        __builtin_cpu_init();
        return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") && __builtin_cpu_supports("bmi2") ? 0 : 1;
      }]=] AMF_CPU_RUNS_X86_64_V3)
    unset(CMAKE_REQUIRED_FLAGS)
    if(AMF_CPU_RUNS_X86_64_V3)
      set(AMF_CPU_MARCH "x86-64-v3")
    endif()
  endif()
elseif(NOT AMF_CPU_ARCH STREQUAL "none" AND NOT AMF_CPU_ARCH STREQUAL "")
  set(AMF_CPU_MARCH "${AMF_CPU_ARCH}")
endif()
if(AMF_CPU_MARCH)
  add_compile_options($<$<COMPILE_LANGUAGE:CXX>:-march=${AMF_CPU_MARCH}>)
  message(STATUS "amf: C++ code compiled with -march=${AMF_CPU_MARCH} (AMF_CPU_ARCH=${AMF_CPU_ARCH})")
else()
  message(STATUS "amf: C++ code compiled for the compiler's default CPU (AMF_CPU_ARCH=${AMF_CPU_ARCH})")
endif()
