CMakeFiles/sbxc.dir/compiler/main.c.o: /work/main/compiler/main.c \
 /usr/include/stdc-predef.h
