# FindSoxr: libsoxr (Debian libsoxr-dev). Target Soxr::soxr.
find_path(SOXR_INCLUDE_DIR soxr.h)
find_library(SOXR_LIBRARY soxr)
include(FindPackageHandleStandardArgs)
find_package_handle_standard_args(Soxr REQUIRED_VARS SOXR_LIBRARY SOXR_INCLUDE_DIR)
if(Soxr_FOUND AND NOT TARGET Soxr::soxr)
  add_library(Soxr::soxr UNKNOWN IMPORTED)
  set_target_properties(Soxr::soxr PROPERTIES IMPORTED_LOCATION "${SOXR_LIBRARY}"
    INTERFACE_INCLUDE_DIRECTORIES "${SOXR_INCLUDE_DIR}")
endif()
