#pragma once
// Asynchronous global-to-shared copies for block programs (block_program.cuh): cp.async on sm_80
// and later (LDGSTS in the machine code), so a thread issues the next stage's loads and goes on
// computing instead of waiting for each load before its shared store.
//
// The contract is the device's: a copy lands in shared memory only once the issuing thread has
// waited for its group (async_wait), and other threads see it only after a barrier behind that
// wait. The CPU block emulator keeps that contract literally: it records each copy (the source
// is read at issue; global inputs do not change during a kernel) and writes the destination only
// when the issuing thread waits for its group. A missing wait leaves the NaN the emulator filled
// shared memory with (or the previous stage's data), a missing barrier shows as a result that
// depends on the thread order, and a thread that returns with copies outstanding is an error.
// It also checks the alignment cp.async requires (16-byte copies: both addresses 16-byte aligned).
#include "block_program.cuh"

namespace amf {

namespace emu {
// Host side of the copies below (host/testing/block_emulator.cpp).
void async_copy(double* shared_dst, const double* global_src, int doubles, bool valid);
void async_commit();
void async_wait(int newest_groups_left_pending);
}  // namespace emu

// Copies `doubles` (1 or 2) doubles from global src to shared dst, or writes zeros when !valid
// (src is then not read, but must still be a pointer into the argument's memory).
template <int Doubles>
AMF_HD void async_copy(double* shared_dst, const double* global_src, bool valid) {
  static_assert(Doubles == 1 || Doubles == 2, "cp.async copies 8 or 16 bytes here");
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 800
  const unsigned dst = static_cast<unsigned>(__cvta_generic_to_shared(shared_dst));
  const int src_bytes = valid ? 8 * Doubles : 0;  // 0: zero fill, nothing read
  if (Doubles == 2)  // .cg: bypass L1, the staged rows are read once per block
    asm volatile("cp.async.cg.shared.global [%0], [%1], 16, %2;\n" ::"r"(dst), "l"(global_src), "r"(src_bytes));
  else
    asm volatile("cp.async.ca.shared.global [%0], [%1], 8, %2;\n" ::"r"(dst), "l"(global_src), "r"(src_bytes));
#elif defined(__CUDA_ARCH__)
  for (int i = 0; i < Doubles; ++i) shared_dst[i] = valid ? global_src[i] : 0.0;  // pre-Ampere: synchronous
#else
  emu::async_copy(shared_dst, global_src, Doubles, valid);
#endif
}

// Closes the copies this thread issued since the last commit into one group.
AMF_HD void async_commit() {
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 800
  asm volatile("cp.async.commit_group;\n" ::);
#elif !defined(__CUDA_ARCH__)
  emu::async_commit();
#endif
}

// Waits until at most `Pending` of this thread's newest committed groups are still in flight.
template <int Pending>
AMF_HD void async_wait() {
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 800
  asm volatile("cp.async.wait_group %0;\n" ::"n"(Pending));
#elif !defined(__CUDA_ARCH__)
  emu::async_wait(Pending);
#endif
}

}  // namespace amf
