# make install: both libraries, headers, pkg-config file and a CMake package so
# that find_package(corio) gives corio::corio (shared) and corio::corio_static.
include(CMakePackageConfigHelpers)

install(TARGETS corio_static corio_shared EXPORT corioTargets
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
  INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(DIRECTORY ${PROJECT_SOURCE_DIR}/include/corio DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(EXPORT corioTargets NAMESPACE corio:: DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/corio)

configure_package_config_file(${CMAKE_CURRENT_LIST_DIR}/corioConfig.cmake.in
  ${CMAKE_BINARY_DIR}/corioConfig.cmake INSTALL_DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/corio)
write_basic_package_version_file(${CMAKE_BINARY_DIR}/corioConfigVersion.cmake
  COMPATIBILITY SameMinorVersion)
install(FILES ${CMAKE_BINARY_DIR}/corioConfig.cmake ${CMAKE_BINARY_DIR}/corioConfigVersion.cmake
  DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/corio)

# The .pc file finds its prefix from where it is installed, so
# `cmake --install --prefix` anywhere gives a working corio.pc.
file(RELATIVE_PATH CORIO_PC_TO_PREFIX "/p/${CMAKE_INSTALL_LIBDIR}/pkgconfig" "/p")
configure_file(${CMAKE_CURRENT_LIST_DIR}/corio.pc.in ${CMAKE_BINARY_DIR}/corio.pc @ONLY)
install(FILES ${CMAKE_BINARY_DIR}/corio.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)

# The tools and the HTTP benchmark server (their man pages: cmake/man.cmake).
set(CORIO_INSTALLED_PROGRAMS corio-check corio-crawl corio-fakeweb corio-pubsub corio-animals
  corio-counter hello-server)
install(TARGETS ${CORIO_INSTALLED_PROGRAMS} RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
