#pragma once
// Every error amf raises derives from amf::Error, so callers can catch one type.
#include <stdexcept>
#include <string>

namespace amf {

class Error : public std::runtime_error {
 public:
  explicit Error(const std::string& what) : std::runtime_error(what) {}
};

// Bad input from the caller: the message names the field (and file or shape where relevant).
class InvalidArgument : public Error {
 public:
  explicit InvalidArgument(const std::string& what) : Error(what) {}
};

// A numerical failure that the caller's input did not obviously cause (e.g. a Cholesky that
// stays indefinite after jitter escalation).
class NumericalError : public Error {
 public:
  explicit NumericalError(const std::string& what) : Error(what) {}
};

// The problem needs more memory than the machine gave: the message says how much, for what.
class OutOfMemory : public Error {
 public:
  explicit OutOfMemory(const std::string& what) : Error(what) {}
};

// A selection whose estimated time exceeds the caller's limit (SelectionControl::time_limit_s):
// stopped as soon as the estimate exists, with the estimate in the message. An input problem, so
// it derives from InvalidArgument (exit code 2 in the CLI, ValueError in Python).
class TooLarge : public InvalidArgument {
 public:
  explicit TooLarge(const std::string& what) : InvalidArgument(what) {}
};

// The caller asked a selection to stop (SelectionControl::cancel); nothing was returned or written.
class Cancelled : public Error {
 public:
  explicit Cancelled(const std::string& what) : Error(what) {}
};

}  // namespace amf
