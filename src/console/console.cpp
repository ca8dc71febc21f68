#include "console/assets.hpp"
