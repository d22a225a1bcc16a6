#pragma once
// What a trainer that already runs CUDA work lends the engine, so amf's work is ordered with its
// own: the device, the stream, and a stream-ordered memory pool. Handles are passed as opaque
// pointers so this header (and every program that includes the engine's API) needs no CUDA
// headers; they are a cudaStream_t and a cudaMemPool_t.
//
// The caller keeps the stream and the pool alive while a backend made with them exists. amf
// enqueues its kernels and copies on `stream` (after whatever the caller enqueued there, so
// features that a caller's kernel is still writing are read after it finishes) and returns from a
// selection only when its own work on that stream is done. Device buffers come from `memory_pool`
// through cudaMallocFromPoolAsync, so they share the caller's pool (its release threshold, its
// accounting) instead of holding cudaMalloc memory outside it.
namespace amf {

struct CudaResources {
  int device = 0;               // the CUDA device the backend runs on (make_rank_backend: one per rank)
  void* stream = nullptr;       // cudaStream_t; null: amf creates and owns a non-blocking stream
  void* memory_pool = nullptr;  // cudaMemPool_t of `device`; null: cudaMalloc (no pool)
};

}  // namespace amf
