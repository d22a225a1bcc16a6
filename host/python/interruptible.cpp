#include "python/interruptible.hpp"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <exception>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "amf/error.hpp"

namespace amf_py {
namespace {

void report(const py::object& progress, const amf::SelectionProgress& p) {
  if (progress.is_none()) return;
  if (py::isinstance<py::bool_>(progress)) {
    if (!progress.cast<bool>()) return;
    std::string line = "amf: pick " + std::to_string(p.passes_done) + "/" + std::to_string(p.passes) + ", " +
                       std::to_string(static_cast<long long>(p.elapsed_s)) + " s elapsed";
    if (p.remaining_s > 0) line += ", at least " + std::to_string(static_cast<long long>(p.remaining_s + 0.5)) + " s left";
    py::module_::import("sys").attr("stderr").attr("write")(line + "\n");
    return;
  }
  py::dict d;
  d["passes_done"] = p.passes_done;
  d["passes"] = p.passes;
  d["elapsed_s"] = p.elapsed_s;
  d["remaining_s"] = p.remaining_s;
  progress(d);
}

}  // namespace

amf::CriterionResult run_interruptible(const std::function<amf::CriterionResult(const amf::SelectionControl&)>& work,
                                       const py::object& progress, double time_limit_s) {
  if (!progress.is_none() && !py::isinstance<py::bool_>(progress) && !PyCallable_Check(progress.ptr()))
    throw py::type_error("progress must be None, True/False or a callable taking a dict, got " +
                         std::string(py::str(py::type::of(progress).attr("__name__"))));
  std::atomic<bool> stop{false};
  std::mutex mutex;
  std::condition_variable changed;
  bool done = false;
  std::vector<amf::SelectionProgress> pending;  // every pass's report, in order
  amf::CriterionResult result;
  std::exception_ptr failure;

  amf::SelectionControl control;
  control.cancel = &stop;
  control.time_limit_s = time_limit_s;
  control.progress = [&](const amf::SelectionProgress& p) {
    std::lock_guard<std::mutex> lock(mutex);
    pending.push_back(p);
    changed.notify_all();
  };

  std::optional<py::error_already_set> raised;
  {
    py::gil_scoped_release release;
    std::thread worker([&] {
      try {
        result = work(control);
      } catch (...) {
        failure = std::current_exception();
      }
      std::lock_guard<std::mutex> lock(mutex);
      done = true;
      changed.notify_all();
    });
    for (bool finished = false; !finished;) {
      std::vector<amf::SelectionProgress> seen;
      {
        std::unique_lock<std::mutex> lock(mutex);
        changed.wait_for(lock, std::chrono::milliseconds(50), [&] { return done || !pending.empty(); });
        seen.swap(pending);
        finished = done;
      }
      py::gil_scoped_acquire acquire;
      try {
        for (const auto& p : seen) report(progress, p);
        if (PyErr_CheckSignals() != 0) throw py::error_already_set();
      } catch (py::error_already_set& e) {
        raised.emplace(std::move(e));
        stop = true;
        break;
      }
    }
    worker.join();
  }
  if (raised) throw std::move(*raised);
  if (failure) std::rethrow_exception(failure);
  return result;
}

}  // namespace amf_py
