#include "console/operators.hpp"

#include <algorithm>
#include <cctype>

#include "auth/passwords.hpp"
#include "common/crypto.hpp"
#include "text/utf8.hpp"

namespace jarip::console {

int role_rank(const std::string& role) {
  if (role == "viewer") return 0;
  if (role == "agent") return 1;
  if (role == "admin") return 2;
  if (role == "owner") return 3;
  return -1;
}

Result<std::string> normalize_email(const std::string& email) {
  std::string e = email;
  auto not_space = [](unsigned char c) { return !std::isspace(c); };
  e.erase(e.begin(), std::find_if(e.begin(), e.end(), not_space));
  e.erase(std::find_if(e.rbegin(), e.rend(), not_space).base(), e.end());
  std::transform(e.begin(), e.end(), e.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  auto at = e.find('@');
  bool ok = !e.empty() && e.size() <= 254 && at != std::string::npos && at > 0 && at == e.rfind('@') &&
            e.find('.', at) != std::string::npos && e.back() != '.';
  for (unsigned char c : e) ok = ok && c > 0x20 && c < 0x7f && c != '<' && c != '>' && c != '"' && c != ',';
  if (!ok) return make_error("invalid_request", "email must be one address such as owner@shop.example", "email");
  return e;
}

Result<store::OperatorRecord> make_operator(const NewOperator& input, TimeMs now) {
  store::OperatorRecord op;
  JARIP_TRY_ASSIGN(op.email, normalize_email(input.email));
  if (role_rank(input.role) < 0) {
    return make_error("invalid_request", "role must be owner, admin, agent or viewer", "role");
  }
  auto name_length = text::count_code_points(input.name);
  if (!name_length || *name_length > 100) {
    return make_error("invalid_request", "name must be UTF-8 text of 100 characters at most", "name");
  }
  if (input.locale != "ko" && input.locale != "en") {
    return make_error("invalid_request", "locale must be ko or en", "locale");
  }
  if (auto s = auth::check_password_policy(input.password); !s) {
    return make_error("invalid_request", s.error().message, "password");
  }
  JARIP_TRY_ASSIGN(op.password_hash, auth::hash_password(input.password));
  op.id = "op_" + crypto::random_hex(8);
  op.name = input.name;
  op.role = input.role;
  op.locale = input.locale;
  op.created_ms = op.updated_ms = now;
  return op;
}

boost::json::object operator_json(const store::OperatorRecord& op) {
  return boost::json::object{{"id", op.id},
                             {"email", op.email},
                             {"name", op.name},
                             {"role", op.role},
                             {"locale", op.locale},
                             {"on_duty", op.on_duty},
                             {"totp", !op.totp_secret.empty()},
                             {"created_ms", op.created_ms},
                             {"last_login_ms", op.last_login_ms},
                             {"disabled", op.disabled_ms != 0}};
}

}  // namespace jarip::console
