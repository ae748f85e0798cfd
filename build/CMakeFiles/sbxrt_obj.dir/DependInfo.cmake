
# Consider dependencies only in project.
set(CMAKE_DEPENDS_IN_PROJECT_ONLY OFF)

# The set of languages for which implicit dependencies are needed:
set(CMAKE_DEPENDS_LANGUAGES
  )

# The set of dependency files which are needed:
set(CMAKE_DEPENDS_DEPENDENCY_FILES
  "/work/main/runtime/blob_verify.c" "CMakeFiles/sbxrt_obj.dir/runtime/blob_verify.c.o" "gcc" "CMakeFiles/sbxrt_obj.dir/runtime/blob_verify.c.o.d"
  "/work/main/runtime/capsid.c" "CMakeFiles/sbxrt_obj.dir/runtime/capsid.c.o" "gcc" "CMakeFiles/sbxrt_obj.dir/runtime/capsid.c.o.d"
  "/work/main/runtime/strerror.c" "CMakeFiles/sbxrt_obj.dir/runtime/strerror.c.o" "gcc" "CMakeFiles/sbxrt_obj.dir/runtime/strerror.c.o.d"
  )

# Targets to which this target links.
set(CMAKE_TARGET_LINKED_INFO_FILES
  )

# Fortran module output directory.
set(CMAKE_Fortran_TARGET_MODULE_DIR "")
