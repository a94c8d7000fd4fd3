/*
 * process.c - child programs and servers for tests.
 *
 * A child's standard output and error go to a memfd (an anonymous file) rather than a
 * pipe: nobody has to drain it while the test runs, so a chatty server can never block
 * on a full pipe, and the harness can re-read everything it printed to show in a
 * failure message.
 */
#include "harness.h"
#include "harness_impl.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* TSan kills a child that starts threads after a fork from a threaded parent; our
 * children (sl_run_in_child) start runtimes on purpose, and the parent's only other
 * thread is the watchdog, idle in a condition wait. */
const char *__tsan_default_options(void);
const char *__tsan_default_options(void)
{
    return "die_after_fork=0";
}

/* ------------------------------------------------------------ children registry */

enum { MAX_CHILDREN = 256 };
static pid_t children[MAX_CHILDREN];

void sl_children_add(pid_t pid)
{
    for (int i = 0; i < MAX_CHILDREN; i++)
        if (children[i] == 0) {
            children[i] = pid;
            return;
        }
}

void sl_children_remove(pid_t pid)
{
    for (int i = 0; i < MAX_CHILDREN; i++)
        if (children[i] == pid)
            children[i] = 0;
}

/* Children the test forked itself are not registered: /proc lists them. */
static int children_from_proc(pid_t *pids, int n, int max)
{
    DIR *tasks = opendir("/proc/self/task");
    if (!tasks)
        return n;
    for (struct dirent *e; (e = readdir(tasks)) && n < max;) {
        if (e->d_name[0] == '.')
            continue;
        char path[PATH_MAX];
        snprintf(path, sizeof path, "/proc/self/task/%.32s/children", e->d_name);
        FILE *f = fopen(path, "r");
        if (!f)
            continue;
        for (int pid; n < max && fscanf(f, "%d", &pid) == 1;) {
            bool seen = false;
            for (int i = 0; i < n; i++)
                seen = seen || pids[i] == pid;
            if (!seen)
                pids[n++] = pid;
        }
        fclose(f);
    }
    closedir(tasks);
    return n;
}

int sl_children_alive(pid_t *pids, int max)
{
    int n = 0;
    for (int i = 0; i < MAX_CHILDREN && n < max; i++) {
        if (children[i] == 0)
            continue;
        int status;
        pid_t r = waitpid(children[i], &status, WNOHANG);
        if (r == children[i] || (r < 0 && errno == ECHILD))
            children[i] = 0; /* ended: reaped now */
        else
            pids[n++] = children[i];
    }
    return children_from_proc(pids, n, max);
}

void sl_children_kill_all(void)
{
    pid_t pids[MAX_CHILDREN];
    int n = sl_children_alive(pids, MAX_CHILDREN);
    for (int i = 0; i < n; i++) {
        kill(pids[i], SIGKILL);
        waitpid(pids[i], NULL, 0);
        sl_children_remove(pids[i]);
    }
}

/* ------------------------------------------------------------ paths */

const char *sl_path(const char *relative)
{
    static char path[2 * PATH_MAX];
    if (strchr(relative, '/') == relative)
        return relative;
    char self[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    if (n < 0)
        return relative;
    self[n] = '\0';
    char *slash = strrchr(self, '/');
    if (slash)
        *slash = '\0';
    snprintf(path, sizeof path, "%s/%s", self, relative);
    return path;
}

/* ------------------------------------------------------------ running children */

/* A relative name is looked up next to the suite first (its helper programs), then
 * from the current directory (the repository's root: tools/labgen.sh). */
static void resolve_program(const char *name, char *out, size_t cap)
{
    const char *beside = sl_path(name);
    snprintf(out, cap, "%s", name[0] != '/' && access(beside, X_OK) == 0 ? beside : name);
}

static void copy_output(int memfd, char *out, size_t cap)
{
    off_t size = lseek(memfd, 0, SEEK_END);
    off_t from = size > (off_t)cap - 1 ? size - ((off_t)cap - 1) : 0;
    ssize_t n = pread(memfd, out, cap - 1, from);
    out[n > 0 ? n : 0] = '\0';
}

/* Waits for pid up to timeout; fills e. Kills it if it outlives the timeout. */
static void wait_child(pid_t pid, double timeout_seconds, sl_exit *e)
{
    double deadline = sl_now() + timeout_seconds;
    int status = 0;
    e->timed_out = false;
    for (;;) {
        pid_t r = waitpid(pid, &status, WNOHANG);
        if (r == pid)
            break;
        if (r < 0 && errno != EINTR) {
            status = 0;
            break;
        }
        if (sl_now() > deadline) {
            e->timed_out = true;
            kill(pid, SIGKILL);
            waitpid(pid, &status, 0);
            break;
        }
        nanosleep(&(struct timespec){0, 2000000}, NULL);
    }
    sl_children_remove(pid);
    e->exited = WIFEXITED(status);
    e->status = e->exited ? WEXITSTATUS(status) : WTERMSIG(status);
}

static pid_t fork_with_output(int memfd)
{
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
        int devnull = open("/dev/null", O_RDONLY);
        dup2(devnull, 0);
        dup2(memfd, 1);
        dup2(memfd, 2);
        close(devnull);
        close(memfd);
        setvbuf(stdout, NULL, _IOLBF, 0);
    } else if (pid > 0) {
        sl_children_add(pid);
    }
    return pid;
}

int sl_run_program(const char *const argv[], double timeout_seconds, sl_exit *out)
{
    char program[PATH_MAX];
    resolve_program(argv[0], program, sizeof program);
    int memfd = memfd_create("sl-child-output", MFD_CLOEXEC);
    if (memfd < 0)
        return -1;
    pid_t pid = fork_with_output(memfd);
    if (pid < 0) {
        close(memfd);
        return -1;
    }
    if (pid == 0) {
        execv(program, (char *const *)argv);
        fprintf(stderr, "cannot run %s: %s\n", program, strerror(errno));
        _exit(127);
    }
    wait_child(pid, timeout_seconds, out);
    copy_output(memfd, out->output, sizeof out->output);
    close(memfd);
    return 0;
}

int sl_run_in_child(void (*fn)(void *arg), void *arg, double timeout_seconds, sl_exit *out)
{
    int memfd = memfd_create("sl-child-output", MFD_CLOEXEC);
    if (memfd < 0)
        return -1;
    pid_t pid = fork_with_output(memfd);
    if (pid < 0) {
        close(memfd);
        return -1;
    }
    if (pid == 0) {
        fn(arg);
        fflush(NULL);
        _exit(0);
    }
    wait_child(pid, timeout_seconds, out);
    copy_output(memfd, out->output, sizeof out->output);
    close(memfd);
    return 0;
}

const char *sl_exit_describe(const sl_exit *e)
{
    static char text[128];
    if (e->timed_out)
        snprintf(text, sizeof text, "did not finish in time and was killed by the harness");
    else if (e->exited)
        snprintf(text, sizeof text, "exit status %d", e->status);
    else
        snprintf(text, sizeof text, "killed by SIG%s (%s)", sigabbrev_np(e->status) ?: "?",
                 strsignal(e->status));
    return text;
}

/* ------------------------------------------------------------ servers */

struct sl_server {
    pid_t pid;
    int port;
    int memfd;
    char program[PATH_MAX];
};

const char *sl_server_output(sl_server *s)
{
    static char text[8192];
    copy_output(s->memfd, text, sizeof text);
    return text;
}

/* Looks for "listening on 127.0.0.1:PORT" in what the server printed so far. */
static int find_port(sl_server *s)
{
    const char *out = sl_server_output(s);
    const char *at = strstr(out, "listening on 127.0.0.1:");
    if (!at || !strchr(at, '\n'))
        return 0;
    return atoi(at + strlen("listening on 127.0.0.1:"));
}

sl_server *sl_server_start(const char *program, const char *const extra_args[])
{
    sl_server *s = calloc(1, sizeof *s);
    SL_CHECK_FATAL(s != NULL, "out of memory");
    resolve_program(program, s->program, sizeof s->program);
    const char *argv[32] = {s->program, "-p", "0"};
    int argc = 3;
    for (int i = 0; extra_args && extra_args[i] && argc < 31; i++)
        argv[argc++] = extra_args[i];
    s->memfd = memfd_create("sl-server-output", MFD_CLOEXEC);
    s->pid = s->memfd < 0 ? -1 : fork_with_output(s->memfd);
    if (s->pid == 0) {
        execv(s->program, (char *const *)argv);
        fprintf(stderr, "cannot run %s: %s\n", s->program, strerror(errno));
        _exit(127);
    }
    for (double deadline = sl_now() + 10; s->pid > 0 && sl_now() < deadline;) {
        if ((s->port = find_port(s)) > 0)
            return s;
        if (waitpid(s->pid, NULL, WNOHANG) == s->pid) {
            sl_children_remove(s->pid);
            s->pid = -1;
            break;
        }
        nanosleep(&(struct timespec){0, 2000000}, NULL);
    }
    sl_fail_at(__FILE__, __LINE__, false,
               "the server %s did not print \"listening on 127.0.0.1:PORT\" within 10 s "
               "(%s).\n      it printed:\n%s",
               s->program, s->pid > 0 ? "still running" : "it exited",
               s->memfd >= 0 ? sl_server_output(s) : "(nothing)");
    if (s->pid > 0) {
        kill(s->pid, SIGKILL);
        waitpid(s->pid, NULL, 0);
        sl_children_remove(s->pid);
    }
    if (s->memfd >= 0)
        close(s->memfd);
    free(s);
    CU_FAIL_FATAL("server did not start");
    return NULL;
}

int sl_server_port(const sl_server *s)
{
    return s->port;
}

pid_t sl_server_pid(const sl_server *s)
{
    return s->pid;
}

bool sl_server_stop(sl_server *s, double timeout_seconds)
{
    if (!s)
        return false;
    kill(s->pid, SIGTERM);
    sl_exit e;
    wait_child(s->pid, timeout_seconds, &e);
    bool clean = !e.timed_out && e.exited && e.status == 0;
    if (!clean)
        SL_FAIL("the server was asked to stop (SIGTERM) and should exit with status 0 within "
                "%.1f s; it %s.\n      its last output:\n%s",
                timeout_seconds, sl_exit_describe(&e), sl_server_output(s));
    close(s->memfd);
    free(s);
    return clean;
}
