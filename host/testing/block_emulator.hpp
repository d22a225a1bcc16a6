#pragma once
// Runs one thread block of a block program (kernels/block_program.cuh) on the CPU: every thread
// is a fiber (ucontext) that runs until it reaches amf::block_sync() or returns; a barrier is
// released once every thread reached it. For tests of device code on machines without a GPU;
// slow by design (one core, a context switch per thread and barrier).
#include <cstddef>
#include <functional>
#include <limits>

#include "async_copy.cuh"
#include "block_program.cuh"

namespace amf {
namespace emu {

// The order in which the threads run between two barriers. A device gives no order at all, so a
// block program whose result depends on it has a data race: two threads touch the same shared
// word between the same pair of barriers and one of them writes. Running the same block under
// several orders and asking for bit-identical results finds such races (and the warp-synchronous
// assumptions that are races since Volta) without instrumenting every shared-memory access.
enum class Schedule {
  InOrder,   // thread 0 first, then 1, ... (the order a naive sequential port would assume)
  Reversed,  // the last thread first
  Shuffled,  // a fresh permutation for every phase, drawn from EmulationOptions::seed
};

struct EmulationOptions {
  Schedule schedule = Schedule::InOrder;
  unsigned seed = 0;
  // Shared memory holds garbage when a block starts on a device, so the emulator does not hand
  // out zeros: a value read before any thread wrote it comes out as NaN and spoils the result.
  double shared_fill = std::numeric_limits<double>::quiet_NaN();
};

// Runs body(thread, shared) for thread.index < threads with `shared_doubles` doubles of shared
// memory filled with options.shared_fill. Throws amf::Error when the threads disagree on the
// barriers (some returned while others wait at a barrier: undefined behaviour on a device), and
// rethrows the first exception a thread threw.
void run_block(int threads, std::size_t shared_doubles, const std::function<void(BlockThread, double*)>& body,
               const EmulationOptions& options = {});

}  // namespace emu
}  // namespace amf
