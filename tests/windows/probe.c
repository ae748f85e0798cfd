/*
 * probe.exe - the command the Windows tests run inside the sandbox.  Each
 * subcommand looks at one thing from the inside and prints it, or tries
 * one thing and prints whether it worked:
 *
 *   probe exit N                 exits with N
 *   probe echo ARG...            prints each argument as [ARG]
 *   probe cwd                    prints the working directory
 *   probe env NAME...            prints NAME=VALUE or NAME unset
 *   probe injob                  injob=1 when in any job object
 *   probe privs                  the token's privileges, one a line
 *   probe dacl                   the token's default DACL, one ACE a line
 *   probe handle HEX             "leaked" when HEX is an event handle here
 *   probe spawn-sleeper FILE     starts "probe sleep 60", writes its pid to FILE, sleeps
 *   probe sleep SECONDS
 *   probe touch FILE             creates FILE
 *   probe write FILE             ok / denied: open FILE for writing
 *   probe read FILE              ok / denied: open FILE for reading
 *   probe rename FROM TO         ok / denied: MoveFile
 *   probe spawn-many N           how many of N children could be started
 *   probe alloc MIB              ok / failed: commit MIB MiB
 *   probe clipboard              ok / denied: put text on the clipboard
 */
#include <windows.h>

#include <sddl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int cmd_echo(int argc, char **argv)
{
	for (int i = 2; i < argc; i++)
		printf("[%s]\n", argv[i]);
	return 0;
}

static int cmd_cwd(void)
{
	char buf[MAX_PATH * 2];
	GetCurrentDirectoryA(sizeof buf, buf);
	printf("%s\n", buf);
	return 0;
}

static BOOL CALLBACK count_window(HWND w, LPARAM n)
{
	(void)w;
	++*(long *)n;
	return TRUE;
}

/* How many top-level windows this thread's desktop shows it. */
static int cmd_windows(void)
{
	long n = 0;
	EnumWindows(count_window, (LPARAM)&n);
	printf("%ld\n", n);
	return 0;
}

/* The name of the desktop this thread runs on. */
static int cmd_desktop(void)
{
	char name[256] = "";
	DWORD need = 0;
	if (!GetUserObjectInformationA(GetThreadDesktop(GetCurrentThreadId()), UOI_NAME, name,
	                               sizeof name, &need))
		return 1;
	printf("%s\n", name);
	return 0;
}

static int cmd_env(int argc, char **argv)
{
	for (int i = 2; i < argc; i++) {
		char buf[4096];
		DWORD n = GetEnvironmentVariableA(argv[i], buf, sizeof buf);
		if (n == 0 || n >= sizeof buf)
			printf("%s unset\n", argv[i]);
		else
			printf("%s=%s\n", argv[i], buf);
	}
	return 0;
}

static int cmd_injob(void)
{
	BOOL in = FALSE;
	IsProcessInJob(GetCurrentProcess(), NULL, &in);
	printf("injob=%d\n", in ? 1 : 0);
	return 0;
}

static void *token_info(TOKEN_INFORMATION_CLASS cls)
{
	HANDLE t;
	DWORD size = 0;
	void *buf = NULL;
	if (!OpenProcessToken(GetCurrentProcess(), TOKEN_QUERY, &t))
		return NULL;
	GetTokenInformation(t, cls, NULL, 0, &size);
	if (size && (buf = malloc(size)) && !GetTokenInformation(t, cls, buf, size, &size)) {
		free(buf);
		buf = NULL;
	}
	CloseHandle(t);
	return buf;
}

static int cmd_privs(void)
{
	TOKEN_PRIVILEGES *tp = token_info(TokenPrivileges);
	if (!tp)
		return 2;
	for (DWORD i = 0; i < tp->PrivilegeCount; i++) {
		char name[128];
		DWORD n = sizeof name;
		if (LookupPrivilegeNameA(NULL, &tp->Privileges[i].Luid, name, &n))
			printf("%s\n", name);
	}
	free(tp);
	return 0;
}

static int cmd_dacl(void)
{
	TOKEN_DEFAULT_DACL *dd = token_info(TokenDefaultDacl);
	if (!dd || !dd->DefaultDacl)
		return 2;
	for (DWORD i = 0; i < dd->DefaultDacl->AceCount; i++) {
		ACCESS_ALLOWED_ACE *ace;
		char *sid = NULL;
		if (!GetAce(dd->DefaultDacl, i, (void **)&ace) ||
		    !ConvertSidToStringSidA((PSID)&ace->SidStart, &sid))
			continue;
		printf("(%s;;0x%lx;;;%s)\n", ace->Header.AceType == ACCESS_ALLOWED_ACE_TYPE ? "A" : "D",
		       (unsigned long)ace->Mask, sid);
		LocalFree(sid);
	}
	free(dd);
	return 0;
}

/* An inherited event handle would have the same value; ResetEvent works on events only. */
static int cmd_handle(const char *hex)
{
	HANDLE h = (HANDLE)(uintptr_t)strtoull(hex, NULL, 16);
	DWORD flags;
	int leaked = GetHandleInformation(h, &flags) && ResetEvent(h);
	printf("%s\n", leaked ? "leaked" : "clean");
	return 0;
}

static BOOL start_self(const char *args, PROCESS_INFORMATION *pi)
{
	char self[MAX_PATH], line[MAX_PATH + 64];
	STARTUPINFOA si;
	memset(&si, 0, sizeof si);
	si.cb = sizeof si;
	GetModuleFileNameA(NULL, self, sizeof self);
	snprintf(line, sizeof line, "\"%s\" %s", self, args);
	return CreateProcessA(self, line, NULL, NULL, FALSE, 0, NULL, NULL, &si, pi);
}

static int cmd_spawn_sleeper(const char *file)
{
	PROCESS_INFORMATION pi;
	if (!start_self("sleep 60", &pi))
		return 2;
	FILE *f = fopen(file, "w");
	if (!f)
		return 3;
	fprintf(f, "%lu\n", (unsigned long)pi.dwProcessId);
	fclose(f);
	Sleep(60000);
	return 0;
}

static int cmd_write(const char *file)
{
	HANDLE h = CreateFileA(file, GENERIC_WRITE, 0, NULL, OPEN_ALWAYS, FILE_ATTRIBUTE_NORMAL, NULL);
	if (h == INVALID_HANDLE_VALUE) {
		printf("denied %lu\n", GetLastError());
		return 1;
	}
	DWORD w;
	int ok = WriteFile(h, "x", 1, &w, NULL);
	CloseHandle(h);
	printf("%s\n", ok ? "ok" : "denied");
	return ok ? 0 : 1;
}

static int cmd_read(const char *file)
{
	HANDLE h = CreateFileA(file, GENERIC_READ, FILE_SHARE_READ, NULL, OPEN_EXISTING, 0, NULL);
	printf("%s\n", h == INVALID_HANDLE_VALUE ? "denied" : "ok");
	if (h != INVALID_HANDLE_VALUE)
		CloseHandle(h);
	return h == INVALID_HANDLE_VALUE;
}

static int cmd_rename(const char *from, const char *to)
{
	int ok = MoveFileA(from, to) != 0;
	printf("%s\n", ok ? "ok" : "denied");
	return !ok;
}

static int cmd_spawn_many(int n)
{
	int started = 0;
	for (int i = 0; i < n; i++) {
		PROCESS_INFORMATION pi;
		if (!start_self("sleep 20", &pi))
			break;
		CloseHandle(pi.hThread);
		CloseHandle(pi.hProcess);
		started++;
	}
	printf("started=%d\n", started);
	return 0;
}

static int cmd_alloc(size_t mib)
{
	void *p = VirtualAlloc(NULL, mib << 20, MEM_COMMIT | MEM_RESERVE, PAGE_READWRITE);
	printf("%s\n", p ? "ok" : "failed");
	return p ? 0 : 1;
}

static int cmd_clipboard(void)
{
	int ok = 0;
	if (OpenClipboard(NULL)) {
		HGLOBAL g = GlobalAlloc(GMEM_MOVEABLE, 8);
		if (g) {
			memcpy(GlobalLock(g), "sbx", 4);
			GlobalUnlock(g);
			EmptyClipboard();
			ok = SetClipboardData(CF_TEXT, g) != NULL;
		}
		CloseClipboard();
	}
	printf("%s\n", ok ? "ok" : "denied");
	return ok ? 0 : 1;
}

int main(int argc, char **argv)
{
	const char *c = argc > 1 ? argv[1] : "";
	const char *a = argc > 2 ? argv[2] : "0";
	setvbuf(stdout, NULL, _IONBF, 0);
	if (!strcmp(c, "exit"))
		return atoi(a);
	if (!strcmp(c, "echo"))
		return cmd_echo(argc, argv);
	if (!strcmp(c, "cwd"))
		return cmd_cwd();
	if (!strcmp(c, "env"))
		return cmd_env(argc, argv);
	if (!strcmp(c, "desktop"))
		return cmd_desktop();
	if (!strcmp(c, "windows"))
		return cmd_windows();
	if (!strcmp(c, "injob"))
		return cmd_injob();
	if (!strcmp(c, "privs"))
		return cmd_privs();
	if (!strcmp(c, "dacl"))
		return cmd_dacl();
	if (!strcmp(c, "handle"))
		return cmd_handle(a);
	if (!strcmp(c, "spawn-sleeper"))
		return cmd_spawn_sleeper(a);
	if (!strcmp(c, "sleep")) {
		Sleep((DWORD)atoi(a) * 1000u);
		return 0;
	}
	if (!strcmp(c, "touch")) {
		FILE *f = fopen(a, "w");
		return f && fclose(f) == 0 ? 0 : 1;
	}
	if (!strcmp(c, "write"))
		return cmd_write(a);
	if (!strcmp(c, "read"))
		return cmd_read(a);
	if (!strcmp(c, "rename") && argc > 3)
		return cmd_rename(argv[2], argv[3]);
	if (!strcmp(c, "spawn-many"))
		return cmd_spawn_many(atoi(a));
	if (!strcmp(c, "alloc"))
		return cmd_alloc((size_t)atoi(a));
	if (!strcmp(c, "clipboard"))
		return cmd_clipboard();
	fprintf(stderr, "probe: unknown command %s\n", c);
	return 99;
}
