# The Windows build (included by CMakeLists.txt when cross-compiling with
# cmake/mingw-w64.cmake): libsbxrt, sbxrun.exe and the programs of
# tests/windows/.  The compiler, the generated parser and the Criterion
# tests are Linux-only; the Windows plan is tested natively by
# tests/test_win_plan.c.
#
# xxHash is header-only here (XXH_INLINE_ALL): only its header is copied
# from the build machine, nothing is linked.
find_file(SBX_XXHASH_H xxhash.h PATHS /usr/include /usr/local/include
          NO_DEFAULT_PATH NO_CMAKE_FIND_ROOT_PATH REQUIRED)
configure_file(${SBX_XXHASH_H} ${CMAKE_BINARY_DIR}/xxhash/xxhash.h COPYONLY)

# compat.h maps the few POSIX calls of the shared runtime files (log.c,
# sbxrun.c; win_load.c replaces load.c, the POSIX file reader); mingw's
# printf format attribute checks MS formats while we link ANSI stdio
# (__USE_MINGW_ANSI_STDIO), so format checking is left to the native build.
add_compile_definitions(XXH_INLINE_ALL __USE_MINGW_ANSI_STDIO=1 UNICODE _UNICODE
                        _WIN32_WINNT=0x0A00 WINVER=0x0A00)
add_compile_options(-Wno-format -include ${CMAKE_SOURCE_DIR}/runtime/win/compat.h)
include_directories(${CMAKE_SOURCE_DIR}/include ${CMAKE_SOURCE_DIR}/runtime/win
                    ${CMAKE_BINARY_DIR}/xxhash)

set(SBXRT_WIN_SOURCES
  runtime/blob_verify.c
  runtime/capsid.c
  runtime/strerror.c
  runtime/ctx.c
  runtime/win_load.c
  runtime/log.c
  runtime/spawn_log.c
  runtime/win_plan.c
  runtime/win_exec.c
  runtime/spawn_win.c
)
list(TRANSFORM SBXRT_WIN_SOURCES PREPEND ${CMAKE_SOURCE_DIR}/)
set(SBXRT_WIN_LIBS advapi32 kernel32 winpthread)  # winpthread: clock_gettime, linked statically
add_library(sbxrt_obj OBJECT ${SBXRT_WIN_SOURCES})
add_library(sbxrt SHARED $<TARGET_OBJECTS:sbxrt_obj>)
target_link_libraries(sbxrt PRIVATE ${SBXRT_WIN_LIBS})
add_library(sbxrt_static STATIC $<TARGET_OBJECTS:sbxrt_obj>)
target_link_libraries(sbxrt_static PUBLIC ${SBXRT_WIN_LIBS})
set_target_properties(sbxrt_static PROPERTIES OUTPUT_NAME sbxrt_s)
enable_language(RC)
add_executable(sbxrun runtime/sbxrun.c runtime/win/sbxrun.rc)
target_link_libraries(sbxrun PRIVATE sbxrt_static)

if(SBX_TESTS)
  enable_testing()
  add_subdirectory(tests/windows)
endif()
