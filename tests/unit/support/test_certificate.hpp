// A self-signed certificate made with the OpenSSL API, for tests that need TLS on loopback: a P-256
// key, valid from a minute ago for an hour, subjectAltName localhost and 127.0.0.1, CA:TRUE (so a
// client may trust it as its own root).
#pragma once

#include <string>

namespace jarip::testing {

struct TestCertificate {
  std::string cert_pem;
  std::string key_pem;
};

TestCertificate make_test_certificate(const std::string& common_name = "localhost");

}  // namespace jarip::testing
