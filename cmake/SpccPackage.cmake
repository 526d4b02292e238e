# The installed CMake package: lib/cmake/spcc/spccConfig.cmake (spcc::runtime, SPCC_COMPILER,
# spcc_add_model) and spccConfigVersion.cmake. Included after the runtime library is defined.
include(CMakePackageConfigHelpers)
include(GNUInstallDirs)

set(SPCC_INSTALL_CMAKEDIR ${CMAKE_INSTALL_LIBDIR}/cmake/spcc)
set(SPCC_INSTALL_BINDIR ${CMAKE_INSTALL_BINDIR})
set(SPCC_INSTALL_LIBDIR ${CMAKE_INSTALL_LIBDIR})
set(SPCC_INSTALL_INCLUDEDIR ${CMAKE_INSTALL_INCLUDEDIR})

# The runtime library's installed file and SONAME, as runtime/CMakeLists.txt names them.
get_target_property(spcc_runtime_version spcc_runtime VERSION)
get_target_property(spcc_runtime_soversion spcc_runtime SOVERSION)
get_target_property(spcc_runtime_name spcc_runtime OUTPUT_NAME)
if(NOT spcc_runtime_name)
  set(spcc_runtime_name spcc_runtime)
endif()
set(spcc_runtime_base
    ${CMAKE_SHARED_LIBRARY_PREFIX}${spcc_runtime_name}${CMAKE_SHARED_LIBRARY_SUFFIX})
set(SPCC_RUNTIME_FILE_NAME ${spcc_runtime_base}.${spcc_runtime_version})
set(SPCC_RUNTIME_SONAME ${spcc_runtime_base}.${spcc_runtime_soversion})

file(STRINGS ${PROJECT_SOURCE_DIR}/runtime/include/spcc/spcc.h spcc_abi_line
     REGEX "^#define SPCC_ABI_VERSION [0-9]+")
string(REGEX REPLACE "^#define SPCC_ABI_VERSION ([0-9]+).*" "\\1" SPCC_ABI_VERSION
       "${spcc_abi_line}")

configure_package_config_file(
  ${PROJECT_SOURCE_DIR}/cmake/spccConfig.cmake.in
  ${PROJECT_BINARY_DIR}/cmake/spccConfig.cmake
  INSTALL_DESTINATION ${SPCC_INSTALL_CMAKEDIR}
  PATH_VARS SPCC_INSTALL_BINDIR SPCC_INSTALL_LIBDIR SPCC_INSTALL_INCLUDEDIR)
# 0.x releases: only the same minor version is compatible (the library's SOVERSION is 0.MINOR).
write_basic_package_version_file(
  ${PROJECT_BINARY_DIR}/cmake/spccConfigVersion.cmake
  VERSION ${PROJECT_VERSION}
  COMPATIBILITY SameMinorVersion)

install(FILES
          ${PROJECT_BINARY_DIR}/cmake/spccConfig.cmake
          ${PROJECT_BINARY_DIR}/cmake/spccConfigVersion.cmake
          ${PROJECT_SOURCE_DIR}/cmake/spccAddModel.cmake
        DESTINATION ${SPCC_INSTALL_CMAKEDIR}
        COMPONENT runtime)
