// The static copy: every file there, each replaced by rename (never rewritten in place), untouched
// when unchanged, and a clear error for a bad directory.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "status/assets.hpp"
#include "status/status.hpp"
#include "status_test_support.hpp"

namespace jarip::status {
namespace {

namespace fs = std::filesystem;
using testing::sample_snapshot;

class StatusStaticCopy : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("jarip-status-copy-" + std::to_string(::getpid()) + "-" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::string read(const std::string& name) {
    std::ifstream in(dir_ / name, std::ios::binary);
    std::ostringstream buf;
    buf << in.rdbuf();
    return buf.str();
  }
  ino_t inode(const std::string& name) {
    struct stat st{};
    EXPECT_EQ(::stat((dir_ / name).c_str(), &st), 0) << name;
    return st.st_ino;
  }

  fs::path dir_;
};

const std::vector<std::string> kFiles = {"status.css", "status.js",     "banner.js", "status.json", "banner-data.js",
                                         "feed.atom",  "index.en.html", "index.html"};

TEST_F(StatusStaticCopy, WritesEveryFile) {
  auto s = sample_snapshot();
  auto report = write_static_copy(s, dir_);
  ASSERT_TRUE(report) << report.error().message;
  EXPECT_EQ(report->written, kFiles);
  EXPECT_TRUE(report->unchanged.empty());
  EXPECT_EQ(read("index.html"), render_html(s, "ko", static_links()));
  EXPECT_EQ(read("index.en.html"), render_html(s, "en", static_links()));
  EXPECT_EQ(read("status.json"), render_json(s));
  EXPECT_EQ(read("banner-data.js"), banner_data_js(render_json(s)));
  EXPECT_EQ(read("feed.atom"), render_atom(s, static_links()));
  EXPECT_EQ(read("banner.js"), std::string(status_asset("banner.js")));
  EXPECT_FALSE(read("banner.js").empty());
  EXPECT_EQ(read("status.css"), std::string(status_asset("status.css")));
  EXPECT_EQ(read("status.js"), std::string(status_asset("status.js")));
  // Readable by a web server running as another user; no temporary file left behind.
  EXPECT_EQ(fs::status(dir_ / "index.html").permissions() & fs::perms::others_read, fs::perms::others_read);
  std::size_t entries = 0;
  for (auto& e : fs::directory_iterator(dir_)) {
    ++entries;
    EXPECT_EQ(e.path().filename().string().find(".tmp"), std::string::npos) << e.path();
  }
  EXPECT_EQ(entries, kFiles.size());
  // The page refers to its neighbours by relative names, so the copy works in any directory.
  std::string html = read("index.html");
  EXPECT_NE(html.find("href=\"status.css\""), std::string::npos);
  EXPECT_NE(html.find("data-json=\"status.json\""), std::string::npos);
  EXPECT_NE(html.find("href=\"index.en.html\""), std::string::npos);
}

TEST_F(StatusStaticCopy, SkipsUnchangedAndReplacesChangedByRename) {
  auto s = sample_snapshot();
  ASSERT_TRUE(write_static_copy(s, dir_));
  ino_t css = inode("status.css"), json_before = inode("status.json");

  auto again = write_static_copy(s, dir_);
  ASSERT_TRUE(again);
  EXPECT_TRUE(again->written.empty());
  EXPECT_EQ(again->unchanged, kFiles);
  EXPECT_EQ(inode("status.json"), json_before);

  s.notices[1].title_en = "Maintenance finished";
  auto changed = write_static_copy(s, dir_);
  ASSERT_TRUE(changed);
  EXPECT_EQ(changed->written, (std::vector<std::string>{"status.json", "banner-data.js", "feed.atom", "index.en.html", "index.html"}));
  EXPECT_EQ(inode("status.css"), css);
  // A new inode: the file was replaced whole (rename), so a reader sees the old or the new file, never a mix.
  EXPECT_NE(inode("status.json"), json_before);
  EXPECT_EQ(read("status.json"), render_json(s));

  // A file damaged by hand is repaired.
  { std::ofstream(dir_ / "status.css") << "broken"; }
  auto repaired = write_static_copy(s, dir_);
  ASSERT_TRUE(repaired);
  EXPECT_EQ(repaired->written, std::vector<std::string>{"status.css"});
}

TEST_F(StatusStaticCopy, MissingDirectoryIsAClearError) {
  auto missing = write_static_copy(sample_snapshot(), dir_ / "nope");
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, "status_copy_failed");
  EXPECT_NE(missing.error().message.find((dir_ / "nope").string()), std::string::npos) << missing.error().message;

  { std::ofstream(dir_ / "plain-file") << "x"; }
  auto file = write_static_copy(sample_snapshot(), dir_ / "plain-file");
  ASSERT_FALSE(file);
  EXPECT_EQ(file.error().code, "status_copy_failed");
}

TEST_F(StatusStaticCopy, UnwritableDirectoryIsAClearError) {
  // Root writes into a read-only directory anyway; nobody creates files in /proc.
  bool root = ::geteuid() == 0;
  if (!root) fs::permissions(dir_, fs::perms::owner_read | fs::perms::owner_exec);
  auto r = write_static_copy(sample_snapshot(), root ? fs::path("/proc") : dir_);
  if (!root) fs::permissions(dir_, fs::perms::owner_all);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, "status_copy_failed");
  EXPECT_NE(r.error().message.find("status.css"), std::string::npos) << r.error().message;
}

}  // namespace
}  // namespace jarip::status
