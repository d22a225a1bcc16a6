#include "testing/block_emulator.hpp"

#include <ucontext.h>

#include <algorithm>
#include <exception>
#include <memory>
#include <numeric>
#include <random>
#include <string>
#include <vector>

#include "amf/error.hpp"

namespace amf {
namespace emu {
namespace {

constexpr std::size_t kStackBytes = 256 * 1024;

enum class State { Runnable, AtBarrier, Done };

struct Fiber {
  ucontext_t context;
  std::unique_ptr<char[]> stack;
  State state = State::Runnable;
};

struct Block {
  ucontext_t scheduler;
  std::vector<Fiber> fibers;
  const std::function<void(BlockThread, double*)>* body = nullptr;
  double* shared = nullptr;
  std::size_t shared_doubles = 0;
  int current = -1;
  std::exception_ptr error;
};

// The block being emulated on this OS thread (emulations on different OS threads are independent).
thread_local Block* active = nullptr;

void fiber_entry() {
  Block& b = *active;
  const int index = b.current;
  try {
    (*b.body)(BlockThread{index, static_cast<int>(b.fibers.size())}, b.shared);
  } catch (...) {
    if (!b.error) b.error = std::current_exception();
  }
  b.fibers[index].state = State::Done;
  // Returning resumes uc_link, the scheduler.
}

}  // namespace

void block_sync() {
  Block* b = active;
  if (b == nullptr || b->current < 0) throw Error("amf::block_sync() called outside an emulated block");
  Fiber& f = b->fibers[b->current];
  f.state = State::AtBarrier;
  swapcontext(&f.context, &b->scheduler);
}

void check_fragment_alignment(const double* p, int ld) {
  const Block* b = active;
  if (b == nullptr || p < b->shared || p >= b->shared + b->shared_doubles) return;  // not shared memory
  const std::ptrdiff_t offset = p - b->shared;
  // The kernel declares its dynamic shared memory __align__(128), so offsets are what matter.
  if (offset % 4 != 0 || ld % 2 != 0)
    throw Error("warp MMA fragment at shared-memory offset " + std::to_string(offset) + " doubles with ld " +
                std::to_string(ld) + ": wmma needs 32-byte aligned fragments (offset % 4 == 0) and an even ld");
}

void run_block(int threads, std::size_t shared_doubles, const std::function<void(BlockThread, double*)>& body,
               const EmulationOptions& options) {
  if (threads < 1 || threads > 1024) throw InvalidArgument("run_block: threads = " + std::to_string(threads));
  if (active != nullptr) throw Error("run_block: blocks cannot be emulated inside an emulated block");
  std::vector<double> shared(shared_doubles, options.shared_fill);
  Block b;
  b.body = &body;
  b.shared = shared.data();
  b.shared_doubles = shared_doubles;
  b.fibers.resize(static_cast<std::size_t>(threads));
  for (Fiber& f : b.fibers) {
    f.stack.reset(new char[kStackBytes]);
    getcontext(&f.context);
    f.context.uc_stack.ss_sp = f.stack.get();
    f.context.uc_stack.ss_size = kStackBytes;
    f.context.uc_link = &b.scheduler;
    makecontext(&f.context, fiber_entry, 0);
  }
  std::vector<int> order(static_cast<std::size_t>(threads));
  std::iota(order.begin(), order.end(), 0);
  if (options.schedule == Schedule::Reversed) std::reverse(order.begin(), order.end());
  std::mt19937 rng(options.seed);
  active = &b;
  // Rounds: run every thread up to its next barrier (or its end), in the schedule's order.
  for (;;) {
    if (options.schedule == Schedule::Shuffled) std::shuffle(order.begin(), order.end(), rng);
    for (const int t : order) {
      if (b.fibers[t].state != State::Runnable) continue;
      b.current = t;
      swapcontext(&b.scheduler, &b.fibers[t].context);
    }
    b.current = -1;
    int waiting = 0, done = 0;
    for (const Fiber& f : b.fibers) (f.state == State::Done ? done : waiting) += 1;
    if (waiting == 0) break;
    if (done > 0 || b.error) {
      // Threads left at a barrier are abandoned: their stacks are freed without unwinding, which
      // is safe for the trivially destructible locals block programs use.
      active = nullptr;
      if (b.error) std::rethrow_exception(b.error);
      throw Error("block emulator: " + std::to_string(done) + " of " + std::to_string(threads) +
                  " threads returned while the others wait at a barrier (divergent block_sync)");
    }
    for (Fiber& f : b.fibers) f.state = State::Runnable;
  }
  active = nullptr;
  if (b.error) std::rethrow_exception(b.error);
}

}  // namespace emu
}  // namespace amf
