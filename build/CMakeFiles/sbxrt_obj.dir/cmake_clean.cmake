file(REMOVE_RECURSE
  "CMakeFiles/sbxrt_obj.dir/runtime/bind.c.o"
  "CMakeFiles/sbxrt_obj.dir/runtime/bind.c.o.d"
  "CMakeFiles/sbxrt_obj.dir/runtime/blob_verify.c.o"
  "CMakeFiles/sbxrt_obj.dir/runtime/blob_verify.c.o.d"
  "CMakeFiles/sbxrt_obj.dir/runtime/capsid.c.o"
  "CMakeFiles/sbxrt_obj.dir/runtime/capsid.c.o.d"
  "CMakeFiles/sbxrt_obj.dir/runtime/env.c.o"
  "CMakeFiles/sbxrt_obj.dir/runtime/env.c.o.d"
  "CMakeFiles/sbxrt_obj.dir/runtime/linux_caps.c.o"
  "CMakeFiles/sbxrt_obj.dir/runtime/linux_caps.c.o.d"
  "CMakeFiles/sbxrt_obj.dir/runtime/linux_landlock.c.o"
  "CMakeFiles/sbxrt_obj.dir/runtime/linux_landlock.c.o.d"
  "CMakeFiles/sbxrt_obj.dir/runtime/linux_limits.c.o"
  "CMakeFiles/sbxrt_obj.dir/runtime/linux_limits.c.o.d"
  "CMakeFiles/sbxrt_obj.dir/runtime/linux_ns.c.o"
  "CMakeFiles/sbxrt_obj.dir/runtime/linux_ns.c.o.d"
  "CMakeFiles/sbxrt_obj.dir/runtime/linux_seccomp.c.o"
  "CMakeFiles/sbxrt_obj.dir/runtime/linux_seccomp.c.o.d"
  "CMakeFiles/sbxrt_obj.dir/runtime/load.c.o"
  "CMakeFiles/sbxrt_obj.dir/runtime/load.c.o.d"
  "CMakeFiles/sbxrt_obj.dir/runtime/log.c.o"
  "CMakeFiles/sbxrt_obj.dir/runtime/log.c.o.d"
  "CMakeFiles/sbxrt_obj.dir/runtime/spawn.c.o"
  "CMakeFiles/sbxrt_obj.dir/runtime/spawn.c.o.d"
  "CMakeFiles/sbxrt_obj.dir/runtime/spawn_linux.c.o"
  "CMakeFiles/sbxrt_obj.dir/runtime/spawn_linux.c.o.d"
  "CMakeFiles/sbxrt_obj.dir/runtime/strerror.c.o"
  "CMakeFiles/sbxrt_obj.dir/runtime/strerror.c.o.d"
)

# Per-language clean rules from dependency scanning.
foreach(lang C)
  include(CMakeFiles/sbxrt_obj.dir/cmake_clean_${lang}.cmake OPTIONAL)
endforeach()
