file(REMOVE_RECURSE
  "CMakeFiles/sbxrt_obj.dir/runtime/blob_verify.c.o"
  "CMakeFiles/sbxrt_obj.dir/runtime/blob_verify.c.o.d"
  "CMakeFiles/sbxrt_obj.dir/runtime/capsid.c.o"
  "CMakeFiles/sbxrt_obj.dir/runtime/capsid.c.o.d"
  "CMakeFiles/sbxrt_obj.dir/runtime/strerror.c.o"
  "CMakeFiles/sbxrt_obj.dir/runtime/strerror.c.o.d"
)

# Per-language clean rules from dependency scanning.
foreach(lang C)
  include(CMakeFiles/sbxrt_obj.dir/cmake_clean_${lang}.cmake OPTIONAL)
endforeach()
