#include "testing/block_emulator.hpp"

#include <ucontext.h>

#include <algorithm>
#include <cstdint>
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

// One cp.async (async_copy.cuh) not yet waited for: the values it will write (read from global
// memory at issue) and the commit group it belongs to (-1 while uncommitted).
struct PendingCopy {
  double* dst;
  double values[2];
  int doubles;
  long long group;
};

struct Fiber {
  ucontext_t context;
  std::unique_ptr<char[]> stack;
  State state = State::Runnable;
  std::vector<PendingCopy> copies;  // in issue order
  long long groups_committed = 0;
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
    // On a device the copies would land at some unknown time after the thread ended (or into the
    // next block's shared memory): never correct.
    if (!b.fibers[index].copies.empty())
      throw Error("block emulator: thread " + std::to_string(index) + " returned with " +
                  std::to_string(b.fibers[index].copies.size()) + " asynchronous copies it never waited for");
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

namespace {
Fiber& current_fiber(const char* what) {
  Block* b = active;
  if (b == nullptr || b->current < 0) throw Error(std::string("amf::") + what + " called outside an emulated block");
  return b->fibers[b->current];
}
}  // namespace

void async_copy(double* dst, const double* src, int doubles, bool valid) {
  Fiber& f = current_fiber("async_copy");
  const Block& b = *active;
  if (dst < b.shared || dst + doubles > b.shared + b.shared_doubles)
    throw Error("async_copy: the destination is not in the block's shared memory");
  // cp.async needs both addresses aligned to the copy size (shared memory is __align__(128)).
  const auto src_misaligned = reinterpret_cast<std::uintptr_t>(src) % (8 * doubles) != 0;
  if ((dst - b.shared) % doubles != 0 || (valid && src_misaligned))
    throw Error("async_copy: a " + std::to_string(8 * doubles) + "-byte copy from a misaligned address (shared offset " +
                std::to_string(dst - b.shared) + " doubles)");
  PendingCopy c{dst, {0.0, 0.0}, doubles, -1};
  for (int i = 0; i < doubles; ++i) c.values[i] = valid ? src[i] : 0.0;
  f.copies.push_back(c);
}

void async_commit() {
  Fiber& f = current_fiber("async_commit");
  for (PendingCopy& c : f.copies)
    if (c.group < 0) c.group = f.groups_committed;
  ++f.groups_committed;
}

void async_wait(int newest_groups_left_pending) {
  Fiber& f = current_fiber("async_wait");
  const long long complete_below = f.groups_committed - newest_groups_left_pending;
  std::vector<PendingCopy> still;
  for (const PendingCopy& c : f.copies) {
    if (c.group >= 0 && c.group < complete_below) {
      for (int i = 0; i < c.doubles; ++i) c.dst[i] = c.values[i];
    } else {
      still.push_back(c);
    }
  }
  f.copies.swap(still);
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
