file(REMOVE_RECURSE
  "CMakeFiles/sbxc_core.dir/compiler/context.c.o"
  "CMakeFiles/sbxc_core.dir/compiler/context.c.o.d"
  "CMakeFiles/sbxc_core.dir/compiler/diag.c.o"
  "CMakeFiles/sbxc_core.dir/compiler/diag.c.o.d"
  "CMakeFiles/sbxc_core.dir/compiler/emit.c.o"
  "CMakeFiles/sbxc_core.dir/compiler/emit.c.o.d"
  "CMakeFiles/sbxc_core.dir/compiler/parse.c.o"
  "CMakeFiles/sbxc_core.dir/compiler/parse.c.o.d"
  "CMakeFiles/sbxc_core.dir/compiler/sema.c.o"
  "CMakeFiles/sbxc_core.dir/compiler/sema.c.o.d"
  "CMakeFiles/sbxc_core.dir/gen/lexer.c.o"
  "CMakeFiles/sbxc_core.dir/gen/lexer.c.o.d"
  "CMakeFiles/sbxc_core.dir/gen/parser.c.o"
  "CMakeFiles/sbxc_core.dir/gen/parser.c.o.d"
  "gen/lexer.c"
  "gen/parser.c"
  "gen/parser.h"
  "libsbxc_core.a"
  "libsbxc_core.pdb"
)

# Per-language clean rules from dependency scanning.
foreach(lang C)
  include(CMakeFiles/sbxc_core.dir/cmake_clean_${lang}.cmake OPTIONAL)
endforeach()
