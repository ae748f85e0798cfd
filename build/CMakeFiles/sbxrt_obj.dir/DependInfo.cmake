
# Consider dependencies only in project.
set(CMAKE_DEPENDS_IN_PROJECT_ONLY OFF)

# The set of languages for which implicit dependencies are needed:
set(CMAKE_DEPENDS_LANGUAGES
  )

# The set of dependency files which are needed:
set(CMAKE_DEPENDS_DEPENDENCY_FILES
  "/work/main/runtime/bind.c" "CMakeFiles/sbxrt_obj.dir/runtime/bind.c.o" "gcc" "CMakeFiles/sbxrt_obj.dir/runtime/bind.c.o.d"
  "/work/main/runtime/blob_verify.c" "CMakeFiles/sbxrt_obj.dir/runtime/blob_verify.c.o" "gcc" "CMakeFiles/sbxrt_obj.dir/runtime/blob_verify.c.o.d"
  "/work/main/runtime/capsid.c" "CMakeFiles/sbxrt_obj.dir/runtime/capsid.c.o" "gcc" "CMakeFiles/sbxrt_obj.dir/runtime/capsid.c.o.d"
  "/work/main/runtime/env.c" "CMakeFiles/sbxrt_obj.dir/runtime/env.c.o" "gcc" "CMakeFiles/sbxrt_obj.dir/runtime/env.c.o.d"
  "/work/main/runtime/linux_caps.c" "CMakeFiles/sbxrt_obj.dir/runtime/linux_caps.c.o" "gcc" "CMakeFiles/sbxrt_obj.dir/runtime/linux_caps.c.o.d"
  "/work/main/runtime/linux_landlock.c" "CMakeFiles/sbxrt_obj.dir/runtime/linux_landlock.c.o" "gcc" "CMakeFiles/sbxrt_obj.dir/runtime/linux_landlock.c.o.d"
  "/work/main/runtime/linux_limits.c" "CMakeFiles/sbxrt_obj.dir/runtime/linux_limits.c.o" "gcc" "CMakeFiles/sbxrt_obj.dir/runtime/linux_limits.c.o.d"
  "/work/main/runtime/linux_ns.c" "CMakeFiles/sbxrt_obj.dir/runtime/linux_ns.c.o" "gcc" "CMakeFiles/sbxrt_obj.dir/runtime/linux_ns.c.o.d"
  "/work/main/runtime/linux_seccomp.c" "CMakeFiles/sbxrt_obj.dir/runtime/linux_seccomp.c.o" "gcc" "CMakeFiles/sbxrt_obj.dir/runtime/linux_seccomp.c.o.d"
  "/work/main/runtime/load.c" "CMakeFiles/sbxrt_obj.dir/runtime/load.c.o" "gcc" "CMakeFiles/sbxrt_obj.dir/runtime/load.c.o.d"
  "/work/main/runtime/log.c" "CMakeFiles/sbxrt_obj.dir/runtime/log.c.o" "gcc" "CMakeFiles/sbxrt_obj.dir/runtime/log.c.o.d"
  "/work/main/runtime/spawn.c" "CMakeFiles/sbxrt_obj.dir/runtime/spawn.c.o" "gcc" "CMakeFiles/sbxrt_obj.dir/runtime/spawn.c.o.d"
  "/work/main/runtime/spawn_linux.c" "CMakeFiles/sbxrt_obj.dir/runtime/spawn_linux.c.o" "gcc" "CMakeFiles/sbxrt_obj.dir/runtime/spawn_linux.c.o.d"
  "/work/main/runtime/strerror.c" "CMakeFiles/sbxrt_obj.dir/runtime/strerror.c.o" "gcc" "CMakeFiles/sbxrt_obj.dir/runtime/strerror.c.o.d"
  )

# Targets to which this target links.
set(CMAKE_TARGET_LINKED_INFO_FILES
  )

# Fortran module output directory.
set(CMAKE_Fortran_TARGET_MODULE_DIR "")
