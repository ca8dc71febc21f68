// Operator accounts shared by the console and the CLI (`jarip operators create`): validation, creation
// and their JSON form. Roles, weakest first: viewer, agent, admin, owner.
#pragma once

#include <boost/json/object.hpp>

#include <string>

#include "common/result.hpp"
#include "store/store.hpp"

namespace jarip::console {

// 0 viewer, 1 agent, 2 admin, 3 owner; -1 for anything else.
int role_rank(const std::string& role);

// Lower-cased and trimmed; Error "invalid_request" (field "email") when it is no plausible address.
Result<std::string> normalize_email(const std::string& email);

struct NewOperator {
  std::string email;
  std::string name;
  std::string role;
  std::string password;
  std::string locale = "ko";
};

// Validates (email, role, password policy, name ≤ 100 characters), hashes the password (Argon2id:
// slow on purpose — call off I/O threads) and returns the row to insert.
Result<store::OperatorRecord> make_operator(const NewOperator& input, TimeMs now);

// OPERATOR in docs/console-api.md: never the password hash or TOTP secret.
boost::json::object operator_json(const store::OperatorRecord& op);

}  // namespace jarip::console
