// The status page's browser files (src/status/assets/*: banner.js, status.css, status.js), compiled
// into jarip so that the page and the banner need no web server and no CDN
// (cmake/embed_assets.cmake). Edit the files, not generated code.
#pragma once

#include <string_view>

namespace jarip::status {

// The content of an asset by its file name under src/status/assets ("banner.js"); empty for any
// other name. The view points at static storage.
std::string_view status_asset(std::string_view path);

}  // namespace jarip::status
