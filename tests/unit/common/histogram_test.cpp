#include "common/histogram.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <thread>
#include <vector>

namespace jarip {
namespace {

TEST(Histogram, RendersCumulativeBucketsSumAndCount) {
  Histogram histogram({0.1, 0.5, 1});
  histogram.observe(0.05);
  histogram.observe(0.1);  // le is inclusive
  histogram.observe(0.3);
  histogram.observe(7);
  EXPECT_EQ(histogram.render_prometheus("jarip_send_seconds", {{"provider", "solapi"}}),
            "jarip_send_seconds_bucket{provider=\"solapi\",le=\"0.1\"} 2\n"
            "jarip_send_seconds_bucket{provider=\"solapi\",le=\"0.5\"} 3\n"
            "jarip_send_seconds_bucket{provider=\"solapi\",le=\"1\"} 3\n"
            "jarip_send_seconds_bucket{provider=\"solapi\",le=\"+Inf\"} 4\n"
            "jarip_send_seconds_sum{provider=\"solapi\"} 7.45\n"
            "jarip_send_seconds_count{provider=\"solapi\"} 4\n");
}

TEST(Histogram, RendersWithoutLabels) {
  Histogram histogram({1});
  EXPECT_EQ(histogram.render_prometheus("x"),
            "x_bucket{le=\"1\"} 0\n"
            "x_bucket{le=\"+Inf\"} 0\n"
            "x_sum 0\n"
            "x_count 0\n");
}

TEST(Histogram, EscapesLabelValues) {
  Histogram histogram({1});
  std::string text = histogram.render_prometheus("x", {{"a", "q\"b\\s\nl"}, {"b", "2"}});
  EXPECT_NE(text.find("x_bucket{a=\"q\\\"b\\\\s\\nl\",b=\"2\",le=\"1\"} 0\n"), std::string::npos) << text;
  EXPECT_NE(text.find("x_count{a=\"q\\\"b\\\\s\\nl\",b=\"2\"} 0\n"), std::string::npos) << text;
}

TEST(Histogram, HeaderLines) {
  EXPECT_EQ(Histogram::render_prometheus_header("x", "Send latency\\ in s"),
            "# HELP x Send latency\\\\ in s\n# TYPE x histogram\n");
}

TEST(Histogram, NumbersInShortestForm) {
  EXPECT_EQ(format_prometheus_number(0.005), "0.005");
  EXPECT_EQ(format_prometheus_number(2.5), "2.5");
  EXPECT_EQ(format_prometheus_number(60), "60");
  EXPECT_EQ(format_prometheus_number(INFINITY), "+Inf");
  EXPECT_EQ(format_prometheus_number(-INFINITY), "-Inf");
  EXPECT_EQ(format_prometheus_number(NAN), "NaN");
}

TEST(Histogram, NanIsIgnored) {
  Histogram histogram;
  histogram.observe(NAN);
  histogram.observe(0.2);
  EXPECT_EQ(histogram.count(), 1u);
  EXPECT_DOUBLE_EQ(histogram.sum(), 0.2);
}

TEST(Histogram, DefaultBoundsAscend) {
  auto bounds = Histogram::default_latency_bounds_seconds();
  EXPECT_TRUE(std::is_sorted(bounds.begin(), bounds.end()));
  EXPECT_EQ(Histogram().upper_bounds(), bounds);
}

TEST(Histogram, ConcurrentObserversLoseNothing) {
  Histogram histogram({0.5});
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&histogram] {
      for (int i = 0; i < 25'000; ++i) histogram.observe(i % 2 ? 0.25 : 1.0);
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(histogram.count(), 100'000u);
  EXPECT_DOUBLE_EQ(histogram.sum(), 50'000 * 0.25 + 50'000 * 1.0);
  EXPECT_NE(histogram.render_prometheus("h").find("h_bucket{le=\"0.5\"} 50000\n"), std::string::npos);
}

}  // namespace
}  // namespace jarip
