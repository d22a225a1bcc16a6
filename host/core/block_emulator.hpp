#pragma once
// Runs one thread block of a block program (kernels/block_program.cuh) on the CPU: every thread
// is a fiber (ucontext) that runs until it reaches amf::block_sync() or returns; a barrier is
// released once every thread reached it. For tests of device code on machines without a GPU;
// slow by design (one core, a context switch per thread and barrier).
#include <cstddef>
#include <functional>

#include "block_program.cuh"

namespace amf {
namespace emu {

// Runs body(thread, shared) for thread.index < threads with `shared_doubles` doubles of
// zero-filled shared memory. Throws amf::Error when the threads disagree on the barriers (some
// returned while others wait at a barrier: undefined behaviour on a device), and rethrows the
// first exception a thread threw.
void run_block(int threads, std::size_t shared_doubles, const std::function<void(BlockThread, double*)>& body);

}  // namespace emu
}  // namespace amf
