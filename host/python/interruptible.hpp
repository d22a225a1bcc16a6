#pragma once
// A long selection called from Python that Ctrl-C can stop and that can report progress.
// Python runs signal handlers only on its main thread and only when that thread runs Python, so
// the selection runs on a worker thread (GIL released) while the calling thread wakes every
// 50 ms, takes the GIL, reports every pass's progress since and checks for signals. On
// KeyboardInterrupt (or any exception a handler or the progress callback raises) it sets the
// selection's stop flag, waits for the worker to leave at the next block of candidates, and
// re-raises: nothing was returned, nothing written.
#include <pybind11/pybind11.h>

#include <functional>

#include "amf/criterion.hpp"
#include "amf/selection_control.hpp"

namespace amf_py {

namespace py = pybind11;

// progress: None (quiet), True (one line per pass on sys.stderr) or a callable taking a dict
// {"passes_done", "passes", "elapsed_s", "remaining_s"}. time_limit_s as in
// SelectionControl (0: none).
amf::CriterionResult run_interruptible(const std::function<amf::CriterionResult(const amf::SelectionControl&)>& work,
                                       const py::object& progress, double time_limit_s);

}  // namespace amf_py
