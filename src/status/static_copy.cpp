// The static copy of the status page: the same files a plain web server (or a second site) can serve
// when no jarip node is up. Each file is replaced atomically, so a reader never sees half of one.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "status/assets.hpp"
#include "status/status.hpp"

namespace jarip::status {

namespace fs = std::filesystem;

namespace {

Error copy_failed(const fs::path& path, std::string_view what, int err) {
  return make_error("status_copy_failed", "status copy: " + std::string(what) + " " + path.string() + ": " +
                                              std::strerror(err));
}

// True when `path` holds exactly `content` (a missing or unreadable file is "different").
bool same_content(const fs::path& path, std::string_view content) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  std::ostringstream buf;
  buf << in.rdbuf();
  return buf.str() == content;
}

bool write_all(int fd, std::string_view content) {
  while (!content.empty()) {
    ssize_t n = ::write(fd, content.data(), content.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    content.remove_prefix(static_cast<std::size_t>(n));
  }
  return true;
}

Status replace_file(const fs::path& dir, const std::string& name, std::string_view content) {
  fs::path target = dir / name;
  std::string tmpl = (dir / ("." + name + ".tmp-XXXXXX")).string();
  int fd = ::mkstemp(tmpl.data());
  if (fd < 0) return copy_failed(target, "cannot create a temporary file for", errno);
  // mkstemp makes the file 0600; web servers running as another user must be able to read it.
  bool ok = ::fchmod(fd, 0644) == 0 && write_all(fd, content) && ::fsync(fd) == 0;
  int err = errno;
  if (::close(fd) != 0 && ok) ok = false, err = errno;
  if (!ok) {
    ::unlink(tmpl.c_str());
    return copy_failed(target, "cannot write", err);
  }
  if (::rename(tmpl.c_str(), target.c_str()) != 0) {
    err = errno;
    ::unlink(tmpl.c_str());
    return copy_failed(target, "cannot replace", err);
  }
  return {};
}

// The rename is durable only once the directory entry is on disk.
Status sync_directory(const fs::path& dir) {
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return copy_failed(dir, "cannot open directory", errno);
  int rc = ::fsync(fd), err = errno;
  ::close(fd);
  if (rc != 0) return copy_failed(dir, "cannot sync directory", err);
  return {};
}

}  // namespace

Result<StaticCopyReport> write_static_copy(const StatusSnapshot& snapshot, const fs::path& dir) {
  struct stat st{};
  if (::stat(dir.c_str(), &st) != 0) return copy_failed(dir, "directory", errno);
  if (!S_ISDIR(st.st_mode)) return copy_failed(dir, "not a directory:", ENOTDIR);

  PageLinks links = static_links();
  const std::pair<std::string, std::string> files[] = {
      {"status.css", std::string(status_asset("status.css"))},
      {"status.js", std::string(status_asset("status.js"))},
      {"banner.js", std::string(status_asset("banner.js"))},
      {"status.json", render_json(snapshot)},
      {"banner-data.js", banner_data_js(render_json(snapshot))},
      {"feed.atom", render_atom(snapshot, links)},
      {"index.en.html", render_html(snapshot, "en", links)},
      // Last: a reader of the page finds everything it refers to already there.
      {"index.html", render_html(snapshot, "ko", links)},
  };
  StaticCopyReport report;
  for (auto& [name, content] : files) {
    if (same_content(dir / name, content)) {
      report.unchanged.push_back(name);
      continue;
    }
    if (auto s = replace_file(dir, name, content); !s) return s.error();
    report.written.push_back(name);
  }
  if (!report.written.empty()) {
    if (auto s = sync_directory(dir); !s) return s.error();
  }
  return report;
}

}  // namespace jarip::status
