"""amf.Engine: one backend made once and reused for every selection.

A trainer that selects every round keeps one Engine: with the CUDA backend its device context
(streams, cuBLAS/cuSOLVER handles, pinned staging buffers) is created once instead of per call.
Given a CUDA stream (a torch.cuda.Stream or its integer handle), amf enqueues its work on that
stream, after what the trainer already enqueued there; without one, amf orders its own stream
after the legacy default stream, where torch's default stream writes.
"""
from . import _arguments
from ._amf import _make_engine


def _stream_handle(stream, fn):
    if stream is None:
        return 0
    handle = getattr(stream, "cuda_stream", stream)  # torch.cuda.Stream, or its handle
    if isinstance(handle, bool) or not isinstance(handle, int) or handle < 0:
        _arguments.fail(fn, "cuda_stream", "a torch.cuda.Stream or a stream handle (int >= 0)",
                        _arguments._describe(stream), TypeError)
    return handle


class Engine:
    """Engine(backend="auto", *, cuda_device=0, cuda_stream=None, session_cache_bytes=None).

    backend: "auto", "cpu" or "cuda" (as feature_select_batch takes it); cuda_device: the device
    the CUDA backend runs on; cuda_stream: a torch.cuda.Stream (or handle) to run on, kept alive
    by the caller while the Engine exists; session_cache_bytes: as in select_batch().

    engine.feature_select_batch(...) is amf.feature_select_batch(..., engine=engine).
    """

    def __init__(self, backend="auto", *, cuda_device=0, cuda_stream=None, session_cache_bytes=None):
        fn = "Engine"
        from . import _cache_bytes  # the package's own checks, not a copy
        device = _arguments.integer(cuda_device, "cuda_device", 0, 2**31 - 1, fn=fn)
        self._stream = cuda_stream  # the caller keeps it alive; holding it here helps
        self._handle = _make_engine(_arguments.text(backend, "backend", fn=fn), device,
                                    _stream_handle(cuda_stream, fn), _cache_bytes(session_cache_bytes, fn))

    @property
    def backend(self):
        """The backend this engine runs on: "cpu" or "cuda" ("auto" resolved)."""
        return self._handle.backend

    def feature_select_batch(self, *args, **kwargs):
        from . import feature_select_batch
        return feature_select_batch(*args, engine=self, **kwargs)

    def __repr__(self):
        return f"amf.Engine(backend={self.backend!r})"
