#pragma once
// Test helper: `call` must throw amf::InvalidArgument whose message contains `text`.
#include <gtest/gtest.h>

#include <string>

#include "amf/error.hpp"

namespace amf_test {

template <typename Call>
void expect_invalid_argument_naming(Call call, const std::string& text) {
  try {
    call();
    ADD_FAILURE() << "no error; expected one naming " << text;
  } catch (const amf::InvalidArgument& e) {
    EXPECT_NE(std::string(e.what()).find(text), std::string::npos) << "message: " << e.what();
  }
}

}  // namespace amf_test
