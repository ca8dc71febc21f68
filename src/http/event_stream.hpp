// Server-Sent Events (text/event-stream) for handlers, free of Beast and Asio like message.hpp.
//
// A handler that wants to push updates makes an EventStream, keeps a shared_ptr to it wherever its
// events come from, and answers with Response::event_stream(stream). The server then writes the
// headers, and everything send() queues, as chunks, on the connection's own strand; it writes a
// ": ping" comment after a quiet interval (ServerOptions::stream_ping_interval_ms) so that proxies and
// browsers keep the connection, and closes the connection when the stream ends (no keep-alive reuse).
//
// One stream belongs to one response. A client that reconnects (EventSource does so by itself)
// arrives as a new request, with the last id it saw in the Last-Event-ID header.
//
// Threads: every member may be called from any thread, at any time, also before the server has
// taken the stream and after it has ended. send() never blocks on the network; it queues and wakes
// the connection.
//
// Bound: bytes queued but not yet written (including the chunk being written) are limited to
// max_buffered_bytes. A send() that would pass it (so also one event larger than the bound) ends the
// stream with End::slow_consumer instead: a client that does not read is dropped, with the write
// stuck on it cut, and never makes the server's memory grow. A write that makes no progress for
// ServerOptions::request_timeout_s also ends the stream (client_gone).
//
// Lifetime: shared. The server holds the stream while it serves it; the handler's side may keep it
// longer (send() then returns false) or drop it at any time (the stream goes on until it ends).
//
// End: the stream ends once, for the first of: close() (what is queued is still written, then the
// response ends properly), the bound (slow_consumer), the client going away or a failed write
// (client_gone), Server::stop_accepting() (server_stopping). From then on send() returns false.
//
// on_close callbacks run once, after the stream has ended and the server has let go of it: on a
// server I/O thread (never inside send() or close(), so they may take the locks the caller of send()
// holds); right away, on the calling thread, when registered after the end; or in the destructor
// when no server ever served the stream (its Response was dropped). They must not throw.
#pragma once

#include <cstddef>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace jarip::http {

class EventStream {
 public:
  enum class End { open, closed, slow_consumer, client_gone, server_stopping };
  static constexpr std::size_t default_max_buffered_bytes = std::size_t{1} << 20;

  explicit EventStream(std::size_t max_buffered_bytes = default_max_buffered_bytes);
  ~EventStream();
  EventStream(const EventStream&) = delete;
  EventStream& operator=(const EventStream&) = delete;

  // Queues one event: "id: …" when id is not empty, "event: …" when event is not empty, one "data: …"
  // line per line of data (CR, LF and CRLF all split lines, as EventSource reads them), blank line.
  // CR and LF in event and id are dropped: they would start fields of their own. False once the
  // stream has ended (including when this call passed the bound and ended it).
  bool send(std::string_view event, std::string_view data, std::string_view id = {});
  // Ends the stream after what is already queued has been written. Idempotent.
  void close();
  bool closed() const;
  End end_reason() const;
  // Queued and in-flight bytes, for metrics and tests.
  std::size_t buffered_bytes() const;
  void on_close(std::function<void()> callback);

 private:
  friend class EventStreamPort;  // the server's side, in server.cpp

  struct Taken {
    std::string data;  // everything queued, now counted as in flight until wrote()
    End end = End::open;
  };
  // Server side. attach: `wake` is called (under the lock, so it must only post) when there is
  // something new to look at. take/wrote: the queue moves to the connection and out.
  // finish: the server has let go; ends the stream for `reason` unless it has ended, runs callbacks.
  void attach(std::function<void()> wake);
  Taken take();
  void wrote(std::size_t bytes);
  void finish(End reason);

  // Caller holds mutex_. Ends the stream unless it has ended; returns whether this call ended it.
  bool end_locked(End reason);
  void wake_locked();
  void finish_locked(End reason, std::unique_lock<std::mutex>& lock);

  const std::size_t max_buffered_;
  mutable std::mutex mutex_;
  std::string queued_;
  std::size_t in_flight_ = 0;
  End end_ = End::open;
  bool wake_posted_ = false;  // coalesces wake-ups: one is enough until the server takes the queue
  bool finished_ = false;     // the server has let go; callbacks have run or are running
  std::function<void()> wake_;
  std::vector<std::function<void()>> callbacks_;
};

}  // namespace jarip::http
