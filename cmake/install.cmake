# What `cmake --install` puts under the prefix, and how other projects find it:
#   include/vtape/*.h                      the public headers
#   lib/libvtape.so.X.Y.Z (SONAME .so.X), lib/libvtape.a
#   bin/vtape, share/man/man1/vtape.1      the command and its man page (from --help)
#   lib/cmake/vtape/                       find_package(vtape) -> vtape::vtape (shared),
#                                          vtape::vtape_static; version file
#   lib/pkgconfig/vtape.pc                 pkg-config --cflags --libs [--static] vtape
# Everything is relative to the prefix, so `cmake --install build --prefix DIR` (and
# DESTDIR) work without reconfiguring.
include(CMakePackageConfigHelpers)

install(DIRECTORY include/vtape DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}
        FILES_MATCHING PATTERN "*.h")
install(TARGETS vtape_shared vtape_static EXPORT vtapeTargets
        LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
        RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR}
        INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(TARGETS vtape RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(FILES README.md DESTINATION ${CMAKE_INSTALL_DOCDIR})

# The man page is the command's own --help text, so it cannot drift from it.
add_custom_command(OUTPUT ${CMAKE_BINARY_DIR}/vtape.1
    COMMAND ${CMAKE_COMMAND} -DVTAPE=$<TARGET_FILE:vtape> -DOUT=${CMAKE_BINARY_DIR}/vtape.1
            -DVERSION=${PROJECT_VERSION} -P ${CMAKE_SOURCE_DIR}/cmake/man_page.cmake
    DEPENDS vtape ${CMAKE_SOURCE_DIR}/cmake/man_page.cmake
    COMMENT "Writing the vtape(1) man page from --help")
add_custom_target(vtape_man ALL DEPENDS ${CMAKE_BINARY_DIR}/vtape.1)
install(FILES ${CMAKE_BINARY_DIR}/vtape.1 DESTINATION ${CMAKE_INSTALL_MANDIR}/man1)

# CMake package.
set(VT_CMAKE_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/vtape)
install(EXPORT vtapeTargets NAMESPACE vtape:: DESTINATION ${VT_CMAKE_DIR})
configure_package_config_file(cmake/vtapeConfig.cmake.in
    ${CMAKE_BINARY_DIR}/vtapeConfig.cmake INSTALL_DESTINATION ${VT_CMAKE_DIR})
# 0.x: a minor release may change the interface, so only the same minor is compatible.
write_basic_package_version_file(${CMAKE_BINARY_DIR}/vtapeConfigVersion.cmake
    VERSION ${PROJECT_VERSION} COMPATIBILITY SameMinorVersion)
install(FILES ${CMAKE_BINARY_DIR}/vtapeConfig.cmake ${CMAKE_BINARY_DIR}/vtapeConfigVersion.cmake
        DESTINATION ${VT_CMAKE_DIR})

# pkg-config file, located relative to itself (${pcfiledir}) unless the directories
# are absolute.
if(IS_ABSOLUTE "${CMAKE_INSTALL_LIBDIR}" OR IS_ABSOLUTE "${CMAKE_INSTALL_INCLUDEDIR}")
  set(VT_PC_PREFIX "${CMAKE_INSTALL_PREFIX}")
  set(VT_PC_LIBDIR "${CMAKE_INSTALL_FULL_LIBDIR}")
  set(VT_PC_INCLUDEDIR "${CMAKE_INSTALL_FULL_INCLUDEDIR}")
else()
  file(RELATIVE_PATH VT_PC_UP "/${CMAKE_INSTALL_LIBDIR}/pkgconfig" "/")
  string(REGEX REPLACE "/$" "" VT_PC_UP "${VT_PC_UP}")
  set(VT_PC_PREFIX "\${pcfiledir}/${VT_PC_UP}")
  set(VT_PC_LIBDIR "\${prefix}/${CMAKE_INSTALL_LIBDIR}")
  set(VT_PC_INCLUDEDIR "\${prefix}/${CMAKE_INSTALL_INCLUDEDIR}")
endif()
configure_file(cmake/vtape.pc.in ${CMAKE_BINARY_DIR}/vtape.pc @ONLY)
install(FILES ${CMAKE_BINARY_DIR}/vtape.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)

# cpack -G DEB: one package with the command, both libraries and the headers.
set(CPACK_PACKAGE_NAME vtape)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "Reverse-mode autodiff in C11 and variational autoencoders")
set(CPACK_PACKAGE_CONTACT "vtape maintainers")
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION libdevel)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_RECOMMENDS "libopenblas-dev, libsleef-dev, zlib1g-dev, pkgconf")
include(CPack)
