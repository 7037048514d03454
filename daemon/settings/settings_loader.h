#pragma once

// The loader's entry points (load_settings, parse_settings, read_secret) are declared next to
// the structs in settings.h, so one include gives both; this header exists for readers who
// look for the loader by its file name.

#include "daemon/settings/settings.h"
