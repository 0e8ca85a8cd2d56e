# `cpack -G DEB` in the build directory: a Debian package of what `cmake --install` lays out,
# under /usr. Its Depends come from dpkg-shlibdeps, so they name exactly the shared libraries the
# binary needs (with FENCE_STATIC_DEPS=ON: libc6, libstdc++6 and libgcc-s1).
set(CPACK_PACKAGE_NAME fence)
set(CPACK_PACKAGE_VENDOR "The Fence authors")
set(CPACK_PACKAGE_CONTACT "The Fence authors <fence@example.invalid>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "Compile network intent into Kubernetes NetworkPolicy and CiliumNetworkPolicy")
set(CPACK_PACKAGE_DESCRIPTION "Fence is a compact policy language and its compiler. It checks a program for likely mistakes\nand compiles it into Kubernetes NetworkPolicy or CiliumNetworkPolicy YAML.")
set(CPACK_RESOURCE_FILE_LICENSE ${PROJECT_SOURCE_DIR}/LICENSE)
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_STRIP_FILES ON)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION devel)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_HOMEPAGE "https://example.invalid/fence")
include(CPack)
