#include "portal/link_tokens.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <optional>
#include <utility>

#include "common/crypto.hpp"

namespace jarip::portal {

namespace {

constexpr char kVersion = 1;
constexpr std::size_t kExpiryBytes = 5;
constexpr std::size_t kMacBytes = 16;
constexpr std::size_t kMaxSubjectBytes = 256;
constexpr std::string_view kMacContext = "jarip-link-v1";


Error config_error(std::string message) { return make_error("config_invalid", std::move(message), "public.link_secret"); }

std::string errno_text() { return std::strerror(errno); }

Result<std::string> read_secret_file(const std::string& path, int fd) {
  struct stat st {};
  if (::fstat(fd, &st) != 0) return config_error("cannot read link secret file '" + path + "': " + errno_text());
  if (!S_ISREG(st.st_mode)) return config_error("link secret file '" + path + "' is not a regular file");
  if ((st.st_mode & 077) != 0) {
    char mode[8];
    std::snprintf(mode, sizeof mode, "%04o", static_cast<unsigned>(st.st_mode & 07777));
    return config_error("link secret file '" + path + "' has mode " + mode +
                        ": group and others must have no access (chmod 600 '" + path + "')");
  }
  if (st.st_size != static_cast<off_t>(kLinkSecretBytes)) {
    return config_error("link secret file '" + path + "' has " + std::to_string(st.st_size) + " bytes, not " +
                        std::to_string(kLinkSecretBytes) + ": restore the right file, or remove it to create a new "
                        "secret (every link sent so far then stops working)");
  }
  std::string secret(kLinkSecretBytes, '\0');
  std::size_t got = 0;
  while (got < secret.size()) {
    ssize_t n = ::read(fd, secret.data() + got, secret.size() - got);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return config_error("cannot read link secret file '" + path + "'");
    got += static_cast<std::size_t>(n);
  }
  return secret;
}

// Writes a new secret beside `path` and links it into place, so that the file is either absent or
// complete, and an existing one is never replaced. Ok(nullopt) when someone else created it first.
Result<std::optional<std::string>> create_secret_file(const std::string& path) {
  std::string secret = crypto::random_bytes(kLinkSecretBytes);
  std::string temp = path + ".tmp." + std::to_string(::getpid());
  ::unlink(temp.c_str());
  int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) return config_error("cannot create link secret file '" + path + "': " + errno_text());
  bool ok = ::fchmod(fd, 0600) == 0 && ::write(fd, secret.data(), secret.size()) == static_cast<ssize_t>(secret.size()) &&
            ::fsync(fd) == 0;
  std::string why = ok ? std::string() : errno_text();
  ::close(fd);
  if (!ok) {
    ::unlink(temp.c_str());
    return config_error("cannot write link secret file '" + path + "': " + why);
  }
  int linked = ::link(temp.c_str(), path.c_str());
  int link_errno = errno;
  ::unlink(temp.c_str());
  if (linked != 0) {
    if (link_errno == EEXIST) return std::optional<std::string>();
    return config_error("cannot create link secret file '" + path + "': " + std::strerror(link_errno));
  }
  std::string dir = std::filesystem::path(path).parent_path().string();
  if (int dfd = ::open(dir.empty() ? "." : dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC); dfd >= 0) {
    (void)::fsync(dfd);
    ::close(dfd);
  }
  return std::optional<std::string>(std::move(secret));
}

}  // namespace

LinkSigner::LinkSigner(std::string secret) : secret_(std::move(secret)) {}

Result<LinkSigner> LinkSigner::from_hex(std::string_view hex) {
  auto bytes = crypto::from_hex(hex);
  if (!bytes || bytes->size() != kLinkSecretBytes) {
    return config_error("public.link_secret must be " + std::to_string(kLinkSecretBytes * 2) +
                        " hex digits (e.g. from `openssl rand -hex 32`)");
  }
  return LinkSigner(std::move(*bytes));
}

std::string LinkSigner::mac(std::string_view purpose, std::string_view payload) const {
  std::string data;
  data.reserve(kMacContext.size() + purpose.size() + payload.size() + 2);
  data.append(kMacContext).push_back('\0');
  data.append(purpose).push_back('\0');
  data.append(payload);
  return crypto::hmac_sha256(secret_, data).substr(0, kMacBytes);
}

std::string LinkSigner::make(std::string_view purpose, std::string_view subject, TimeMs expires_ms) const {
  std::uint64_t seconds = expires_ms <= 0 ? 0 : static_cast<std::uint64_t>((expires_ms + 999) / 1000);
  std::string payload(1, kVersion);
  for (int i = static_cast<int>(kExpiryBytes) - 1; i >= 0; --i) payload.push_back(static_cast<char>((seconds >> (8 * i)) & 0xFF));
  payload.append(subject.substr(0, kMaxSubjectBytes));
  return crypto::base64url_encode(payload + mac(purpose, payload));
}

Result<std::string> LinkSigner::verify(std::string_view purpose, std::string_view token, TimeMs now) const {
  auto invalid = [] { return make_error("invalid_link", "this link is not valid"); };
  if (token.size() > kMaxTokenChars) return invalid();
  // One spelling per token: no padding (crypto's decoder would accept it).
  if (token.find('=') != std::string_view::npos) return invalid();
  auto raw = crypto::base64url_decode(token);
  if (!raw || raw->size() < 1 + kExpiryBytes + kMacBytes) return invalid();
  std::string_view bytes = *raw;
  std::string_view payload = bytes.substr(0, bytes.size() - kMacBytes);
  std::string_view given = bytes.substr(bytes.size() - kMacBytes);
  // Nothing in the token is believed before its MAC is: compared in constant time.
  if (!crypto::constant_time_equals(given, mac(purpose, payload))) return invalid();
  if (payload[0] != kVersion) return invalid();
  std::uint64_t seconds = 0;
  for (std::size_t i = 1; i <= kExpiryBytes; ++i) seconds = seconds << 8 | static_cast<unsigned char>(payload[i]);
  if (now >= static_cast<TimeMs>(seconds) * 1000) return make_error("link_expired", "this link has expired");
  return std::string(payload.substr(1 + kExpiryBytes));
}

Result<LinkSigner> load_or_create_link_secret(const std::string& path) {
  for (int tries = 0; tries < 2; ++tries) {
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd >= 0) {
      auto secret = read_secret_file(path, fd);
      ::close(fd);
      if (!secret) return secret.error();
      return LinkSigner(std::move(*secret));
    }
    if (errno != ENOENT) return config_error("cannot open link secret file '" + path + "': " + errno_text());
    auto created = create_secret_file(path);
    if (!created) return created.error();
    if (*created) return LinkSigner(std::move(**created));
    // Another process created it meanwhile: read theirs.
  }
  return config_error("cannot create link secret file '" + path + "'");
}

}  // namespace jarip::portal
