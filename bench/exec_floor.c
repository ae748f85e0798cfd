/*
 * exec_floor - a launcher that does nothing but exec its argument.
 *
 *   exec_floor /path/to/cmd [ARGS...]
 *
 * Linked statically, so that its own start costs as little as a program's
 * start can: the time to spawn a command through it is the floor for any
 * launcher (two execs), against which bench_spawn measures sbxrun.
 * Without an argument it exits 0 at once: a static no-op command, with
 * which bench_spawn sees a launcher's own peak RSS.
 */
#include <unistd.h>

int main(int argc, char **argv)
{
	if (argc < 2)
		return 0;
	execv(argv[1], argv + 1);
	return 127;
}
