// The console's browser files (src/console/assets/**), compiled into jarip so that the console needs
// no web server and no CDN (cmake/embed_assets.cmake). Edit the files, not generated code.
#pragma once

#include <string_view>

namespace jarip::console {

// The content of an asset by its path under src/console/assets ("index.html", "js/app.js"); empty
// for any other path. The view points at static storage.
std::string_view console_asset(std::string_view path);

}  // namespace jarip::console
