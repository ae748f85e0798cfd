# Cross-compiling sbx's runtime for 64-bit Windows with mingw-w64 (Debian:
# gcc-mingw-w64-x86-64):
#   cmake -S . -B build-win -DCMAKE_TOOLCHAIN_FILE=cmake/mingw-w64.cmake
# CMakeLists.txt then builds only libsbxrt, sbxrun.exe and the Windows test
# programs (cmake/windows.cmake); see docs/windows.md.
set(CMAKE_SYSTEM_NAME Windows)
set(CMAKE_SYSTEM_PROCESSOR x86_64)
set(SBX_MINGW_PREFIX x86_64-w64-mingw32 CACHE STRING "the mingw-w64 tool prefix")
set(CMAKE_C_COMPILER ${SBX_MINGW_PREFIX}-gcc)
set(CMAKE_RC_COMPILER ${SBX_MINGW_PREFIX}-windres)
set(CMAKE_FIND_ROOT_PATH /usr/${SBX_MINGW_PREFIX})
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
# Programs run under Wine and on bare Windows hosts: no libgcc/winpthread DLLs.
set(CMAKE_EXE_LINKER_FLAGS_INIT "-static")
set(CMAKE_SHARED_LINKER_FLAGS_INIT "-static")
