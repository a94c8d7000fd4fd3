/*
 * harness.h - what every spawnlab test suite shares.
 *
 * A suite is a table of tests (name, function, points, chapter section to re-read)
 * handed to sl_main(), which registers them with CUnit and runs them. Around every
 * test the harness arms a watchdog (a hanging test fails with a message instead of
 * hanging CI) and audits that the test left no file descriptor and no child process
 * behind. The helpers below start a server program, talk raw RESP to it and compare
 * exact reply bytes, so that a failure reads like
 *
 *     sent:     SET a 1
 *     expected: +OK
 *     got:      -ERR unknown command 'SET'
 *     re-read:  chapters/01-sequential.md#step-2-get-and-set
 *
 * Command line of every suite binary (sl_main):
 *     suite                 run every test (CUnit verbose output); exit 1 on any failure
 *     suite NAME...         run only the named tests (exact test or suite names)
 *     suite --list          print "suite<TAB>test<TAB>points" lines (used by the grader)
 * Environment: SL_TIMEOUT=seconds overrides every watchdog (0 turns it off, for gdb).
 *
 * Threads: the helpers are meant for the test's own thread (CUnit is not thread-safe).
 * Helper programs and servers are found next to the suite's executable (see sl_path).
 */
#ifndef SPAWNLAB_HARNESS_H
#define SPAWNLAB_HARNESS_H

#include <CUnit/CUnit.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* ------------------------------------------------------------ suite tables */

typedef struct sl_test {
    const char *name; /* the function's name: test_<module>_<behaviour> */
    CU_TestFunc fn;
    int points;         /* weight in `make grade` */
    const char *reread; /* "chapters/NN-topic.md#section" shown on failure, or NULL */
} sl_test;

#define SL_TEST(fn, points, reread)                                                                \
    {                                                                                              \
#fn, fn, (points), (reread)                                                                \
    }
#define SL_TEST_END                                                                                \
    {                                                                                              \
        NULL, NULL, 0, NULL                                                                        \
    }

typedef struct sl_suite {
    const char *name;
    const sl_test *tests; /* ends with SL_TEST_END */
    int timeout_seconds;  /* per-test watchdog; 0 means the default, 30 s */
} sl_suite;

#define SL_SUITE_END                                                                               \
    {                                                                                              \
        NULL, NULL, 0                                                                              \
    }

/* Registers the suites, runs what argv asks for; returns the process exit status
 * (0 all passed, 1 any failure or error). Use as: return sl_main(argc, argv, suites); */
int sl_main(int argc, char **argv, const sl_suite *suites);

/* The running test's chapter section to re-read, or NULL. */
const char *sl_current_reread(void);

/* ------------------------------------------------------------ readable assertions */

/* Records a failure with a formatted message at the caller's line. The message is
 * followed by the current test's "re-read:" line when it has one. */
void sl_fail_at(const char *file, int line, bool fatal, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* SL_CHECK(cond, "expected %d clients served, got %d", 2, n): a failing check says
 * what was expected and what came back, in words, instead of the bare condition. */
#define SL_CHECK(cond, ...)                                                                        \
    do {                                                                                           \
        if (cond) {                                                                                \
            CU_PASS(#cond);                                                                        \
        } else {                                                                                   \
            sl_fail_at(__FILE__, __LINE__, false, __VA_ARGS__);                                    \
        }                                                                                          \
    } while (0)
/* Same, but ends the test: use before dereferencing what was checked. */
#define SL_CHECK_FATAL(cond, ...)                                                                  \
    do {                                                                                           \
        if (cond) {                                                                                \
            CU_PASS(#cond);                                                                        \
        } else {                                                                                   \
            sl_fail_at(__FILE__, __LINE__, true, __VA_ARGS__);                                     \
        }                                                                                          \
    } while (0)
#define SL_FAIL(...) sl_fail_at(__FILE__, __LINE__, false, __VA_ARGS__)

/* ------------------------------------------------------------ files and programs */

/* Path of a file next to the suite's executable: sl_path("server"), sl_path("progs/x").
 * Returns a pointer to a static buffer (valid until the next call). */
const char *sl_path(const char *relative);

/* A finished child program: how it ended and what it printed (stdout and stderr
 * interleaved, NUL-terminated, truncated to 64 KiB). */
typedef struct sl_exit {
    bool exited;    /* true: normal exit with status; false: killed by signal */
    int status;     /* exit status, or the signal number */
    bool timed_out; /* the harness had to kill it */
    char output[65536];
} sl_exit;

/* Runs a program to completion (a relative argv[0] is looked up next to the suite first,
 * then from the current directory),
 * killing it after timeout_seconds. Returns 0, or -1 when it could not be started. */
int sl_run_program(const char *const argv[], double timeout_seconds, sl_exit *out);

/* Runs fn(arg) in a forked child (so a crash, abort or runtime check stays there),
 * with the same capture and timeout. The child exits 0 when fn returns. */
int sl_run_in_child(void (*fn)(void *arg), void *arg, double timeout_seconds, sl_exit *out);

/* "exit status 3", "killed by SIGSEGV (segmentation fault)", "killed by the harness
 * after 5.0 s": how a child ended, in words. Static buffer. */
const char *sl_exit_describe(const sl_exit *e);

/* ------------------------------------------------------------ servers */

typedef struct sl_server sl_server;

/* Starts a server program (looked up like sl_run_program's) as `program -p 0 extra_args...`,
 * waits for it to print "listening on 127.0.0.1:PORT" and learns the port.
 * extra_args is NULL-terminated (or NULL). On failure records a fatal test failure
 * that shows the server's output, and returns NULL. */
sl_server *sl_server_start(const char *program, const char *const extra_args[]);
int sl_server_port(const sl_server *s);
pid_t sl_server_pid(const sl_server *s);
/* Everything the server printed so far (static buffer, last 8 KiB). */
const char *sl_server_output(sl_server *s);

/* Stops the server with SIGTERM and waits up to timeout_seconds for it to exit.
 * Records a failure unless it exited with status 0 (then SIGKILLs it if needed).
 * Frees s. Returns true when the exit was clean. */
bool sl_server_stop(sl_server *s, double timeout_seconds);

/* ------------------------------------------------------------ the reference peer */

/* A real redis-server, for compatibility tests: started on a free port of 127.0.0.1,
 * stopped by its pid. */
typedef struct sl_redis {
    pid_t pid;
    int port;
} sl_redis;

/* Starts one. Returns true when it accepts connections; false after printing a visible
 * "SKIPPED:" line when redis-server is not installed (the test should then return), or
 * after recording a failure when it would not start. */
bool sl_redis_start(sl_redis *r);
/* Stops it (SIGTERM, then SIGKILL after 5 s) and reaps it. */
void sl_redis_stop(sl_redis *r);

/* A TCP port on 127.0.0.1 that was free a moment ago (for programs that cannot bind
 * port 0 themselves), or -1. */
int sl_free_port(void);

/* ------------------------------------------------------------ clients */

typedef struct sl_conn sl_conn;

/* Connects to 127.0.0.1:port (a fatal failure when it cannot). */
sl_conn *sl_conn_open(int port);
/* Closes (an abrupt close when abortive: RST instead of FIN). */
void sl_conn_close(sl_conn *c);
void sl_conn_abort(sl_conn *c);
int sl_conn_fd(const sl_conn *c);

/* Sends raw bytes; the conn remembers them (in words) for the next failure message. */
bool sl_conn_send_raw(sl_conn *c, const void *bytes, size_t n);
/* Sends a command as a RESP array of bulk strings: sl_conn_send_words(c, "SET", "a", "1", NULL). */
bool sl_conn_send_words(sl_conn *c, ...) __attribute__((sentinel));

/* Reads until exactly strlen(expected) bytes arrived (or timeout/EOF) and compares.
 * Returns true on an exact match; otherwise false and msg holds the
 * "sent / expected / got" text. Extra bytes stay buffered for the next read. */
bool sl_conn_check_reply(sl_conn *c, const char *expected, size_t expected_len,
                         double timeout_seconds, char *msg, size_t msgcap);
/* true when nothing at all arrives within seconds (the connection stays usable). */
bool sl_conn_is_silent(sl_conn *c, double seconds);
/* Reads whatever arrives within seconds into buf (NUL-terminated); returns the count,
 * 0 on timeout, -1 on EOF/error with nothing read. */
ssize_t sl_conn_read_some(sl_conn *c, char *buf, size_t cap, double seconds);

/* Asserting forms: on mismatch, a failure reading sent / expected / got / re-read. */
#define SL_EXPECT_REPLY(c, expected)                                                               \
    sl_expect_reply_at(__FILE__, __LINE__, (c), (expected), sizeof(expected) - 1)
#define SL_COMMAND(c, expected, ...)                                                               \
    (sl_conn_send_words((c), __VA_ARGS__, (const char *)NULL), SL_EXPECT_REPLY((c), (expected)))
bool sl_expect_reply_at(const char *file, int line, sl_conn *c, const char *expected, size_t n);

/* Default time a reply may take before the harness says "nothing came back". */
#define SL_REPLY_TIMEOUT 5.0

/* ------------------------------------------------------------ text */

/* RESP bytes in words, as a student would type them: "*3\r\n$3\r\nSET..." -> "SET a 1",
 * "$-1\r\n" -> "(nil)", "+OK\r\n" -> "+OK"; anything else is shown escaped ("\r\n").
 * Writes into buf (NUL-terminated) and returns buf. */
char *sl_resp_words(const char *bytes, size_t n, char *buf, size_t cap);

/* Wall-clock seconds from a monotonic clock, for generous concurrency bounds. */
double sl_now(void);

/* A whole file as a malloc'd, NUL-terminated string (for golden files); NULL when it
 * cannot be read. */
char *sl_read_file(const char *path);

/* 1 in a ThreadSanitizer build (gcc or clang), else 0: TSan runs code 5-15 times slower
 * and limits fibers, so some tests scale their work down under it (and say so). */
#if defined(__SANITIZE_THREAD__)
#define SL_UNDER_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define SL_UNDER_TSAN 1
#endif
#endif
#ifndef SL_UNDER_TSAN
#define SL_UNDER_TSAN 0
#endif

#endif
