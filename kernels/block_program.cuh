#pragma once
// A "block program" is the body of a CUDA thread block written once as a __host__ __device__
// function of (thread index, thread count, shared memory). On the device it runs as a kernel
// body and block_sync() is __syncthreads(). On the CPU the block emulator (host/core/
// block_emulator.hpp) runs every thread of one block as a fiber that yields at block_sync(), so
// the CPU unit tests execute the kernel's own code, indexing, shared-memory layout and barrier
// phases included, on every CI run. It hands out NaN-filled shared memory (a device's is garbage),
// can run the threads of each phase in any order (a result that depends on the order is a data
// race) and checks the wmma alignment contract; what it cannot show is a race inside one warp
// instruction, or the speed: those need a device.
#include "tile_math.cuh"

// Full unrolling of a loop with a constant trip count on the device, so that register arrays
// indexed by its variable stay in registers (a dynamic index would move them to local memory).
#if defined(__CUDA_ARCH__)
#define AMF_UNROLL _Pragma("unroll")
#else
#define AMF_UNROLL
#endif

namespace amf {

namespace emu {
void block_sync();  // host side: yield to the emulator until every thread reached the barrier
// Host side: throws amf::Error when p points into the emulated block's shared memory at an offset
// that is not a multiple of 32 bytes, or ld is odd (wmma's load/store requirements).
void check_fragment_alignment(const double* p, int ld);
}  // namespace emu

struct BlockThread {
  int index;  // threadIdx.x
  int count;  // blockDim.x
};

AMF_HD void block_sync() {
#if defined(__CUDA_ARCH__)
  __syncthreads();
#else
  emu::block_sync();
#endif
}

}  // namespace amf
