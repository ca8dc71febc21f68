// The browser side of Web Push, compiled into jarip so that a deployment is one binary: the service
// worker (assets/sw.js, served as {public_url}/push/sw.js) and the subscribe script
// (assets/subscribe.js, {public_url}/push/subscribe.js). The build embeds the files
// (cmake/embed_assets.cmake); edit the .js files, not generated code.
#pragma once

#include <string_view>

namespace jarip::channels::webpush {

// The content of an asset by file name ("sw.js", "subscribe.js"); empty for any other name. Serve
// with Content-Type "text/javascript; charset=utf-8". The views point at static storage.
std::string_view webpush_asset(std::string_view name);

}  // namespace jarip::channels::webpush
