CMakeFiles/sbxc_core.dir/gen/lexer.c.o: /work/main/build/gen/lexer.c \
 /usr/include/stdc-predef.h
