# cmake --install: libedgetrain (shared and static), the public headers, a CMake package
# (find_package(edgetrain): edgetrain::edgetrain, the shared library, and edgetrain::edgetrain_static)
# and edgetrain.pc; the CLI when it is built.
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

set(_cmake_dir ${CMAKE_INSTALL_LIBDIR}/cmake/edgetrain)
install(TARGETS edgetrain_shared EXPORT edgetrainTargets
        LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR} NAMELINK_COMPONENT Development
        RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(TARGETS edgetrain_static EXPORT edgetrainStaticTargets ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR})
install(DIRECTORY ${PROJECT_SOURCE_DIR}/include/edgetrain DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(EXPORT edgetrainTargets NAMESPACE edgetrain:: DESTINATION ${_cmake_dir})
install(EXPORT edgetrainStaticTargets NAMESPACE edgetrain:: DESTINATION ${_cmake_dir})

configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/edgetrainConfig.cmake.in
                              ${PROJECT_BINARY_DIR}/edgetrainConfig.cmake INSTALL_DESTINATION ${_cmake_dir})
write_basic_package_version_file(${PROJECT_BINARY_DIR}/edgetrainConfigVersion.cmake
                                 COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/edgetrainConfig.cmake ${PROJECT_BINARY_DIR}/edgetrainConfigVersion.cmake
        DESTINATION ${_cmake_dir})

configure_file(${PROJECT_SOURCE_DIR}/cmake/edgetrain.pc.in ${PROJECT_BINARY_DIR}/edgetrain.pc @ONLY)
install(FILES ${PROJECT_BINARY_DIR}/edgetrain.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)

if(TARGET edgetrain_cli)
  install(TARGETS edgetrain_cli RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
endif()
