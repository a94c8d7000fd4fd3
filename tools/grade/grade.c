/*
 * grade - run lab suites test by test and report a score (what `make grade` prints).
 *
 *   grade [--json FILE] [--timeout SECONDS] --lab NAME SUITE LIST-SUITE BUILD-LOG ...
 *
 * With --json and no lab at all it reports a score of 0/0 (a checkout before any lab).
 *
 * For each lab, LIST-SUITE --list names the tests and their points (it is SUITE itself,
 * or the suite built from solutions/ when the student's code did not build). Each test
 * then runs in its own process (`SUITE TEST`), so a crash or a hang costs that test's
 * points and nothing else. The report is xv6-style, one line per test, and the JSON is
 * Gradescope's results format:
 *     {"score": N, "max_score": M, "tests": [{"name", "score", "max_score", "output"}]}
 * The output is deterministic (no timings), so a fixture can pin it byte for byte.
 *
 * Exit status: 0 when every lab could be built and run - whatever the score, the grade is
 * a report; 1 when a lab did not build or a suite could not be run; 2 on bad usage.
 */
#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

enum { MAX_TESTS = 256, OUTPUT_CAP = 16384, EXCERPT_CAP = 4096 };

typedef struct test_result {
    char name[160];
    int points, earned;
    char excerpt[EXCERPT_CAP]; /* why it failed, in the suite's own words */
} test_result;

typedef struct lab {
    const char *name, *suite, *list_suite, *build_log;
    bool built;
    int ntests;
    test_result tests[MAX_TESTS];
} lab;

static double timeout_seconds = 120;

/* ------------------------------------------------------------ running a child */

/* Runs argv with stdout+stderr captured into out; returns a wait status, or -1. */
static int run(char *const argv[], char *out, size_t cap, bool *timed_out)
{
    int memfd = memfd_create("grade-output", MFD_CLOEXEC);
    if (memfd < 0)
        return -1;
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
        dup2(memfd, 1);
        dup2(memfd, 2);
        execv(argv[0], argv);
        fprintf(stderr, "cannot run %s: %s\n", argv[0], strerror(errno));
        _exit(127);
    }
    int status = -1;
    *timed_out = false;
    struct timespec tick = {0, 5000000};
    for (double waited = 0; pid > 0; waited += 0.005) {
        pid_t r = waitpid(pid, &status, WNOHANG);
        if (r == pid)
            break;
        if (waited > timeout_seconds) {
            *timed_out = true;
            kill(pid, SIGKILL);
            waitpid(pid, &status, 0);
            break;
        }
        nanosleep(&tick, NULL);
    }
    off_t size = lseek(memfd, 0, SEEK_END);
    off_t from = size > (off_t)cap - 1 ? size - ((off_t)cap - 1) : 0;
    ssize_t n = pread(memfd, out, cap - 1, from);
    out[n > 0 ? n : 0] = '\0';
    close(memfd);
    return pid > 0 ? status : -1;
}

/* ------------------------------------------------------------ one lab */

static bool list_tests(lab *l)
{
    static char out[OUTPUT_CAP];
    bool timed_out;
    char *argv[] = {(char *)l->list_suite, "--list", NULL};
    int status = run(argv, out, sizeof out, &timed_out);
    if (status < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
        return false;
    char *save = NULL;
    for (char *line = strtok_r(out, "\n", &save); line && l->ntests < MAX_TESTS;
         line = strtok_r(NULL, "\n", &save)) {
        char suite[128], name[160];
        int points;
        if (sscanf(line, "%127[^\t]\t%159[^\t]\t%d", suite, name, &points) == 3) {
            test_result *t = &l->tests[l->ntests++];
            snprintf(t->name, sizeof t->name, "%s", name);
            t->points = points;
        }
    }
    return l->ntests > 0;
}

/* Keeps what explains a failure: what the suite printed after its "Test: NAME ..."
 * line and before CUnit's "Run Summary" (the assertion messages, a watchdog's words),
 * or, when the suite died before naming the test, the tail of its output. */
static void excerpt(const char *out, const char *name, char *dst, size_t cap)
{
    char marker[200];
    snprintf(marker, sizeof marker, "Test: %s ...", name);
    const char *from = strstr(out, marker), *to = NULL;
    if (from) {
        from += strlen(marker);
        if (strncmp(from, "FAILED", 6) == 0)
            from += 6;
        to = strstr(from, "Run Summary");
    } else {
        size_t len = strlen(out);
        from = len > 1500 ? out + len - 1500 : out;
    }
    if (!to)
        to = from + strlen(from);
    while (from < to && (*from == '\n' || *from == ' '))
        from++;
    while (to > from && (to[-1] == '\n' || to[-1] == ' '))
        to--;
    snprintf(dst, cap, "%.*s", (int)(to - from), from);
}

static void run_test(const lab *l, test_result *t)
{
    static char out[OUTPUT_CAP];
    bool timed_out;
    char *argv[] = {(char *)l->suite, t->name, NULL};
    int status = run(argv, out, sizeof out, &timed_out);
    if (status >= 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0) {
        t->earned = t->points;
        return;
    }
    excerpt(out, t->name, t->excerpt, sizeof t->excerpt);
    size_t len = strlen(t->excerpt);
    char *end = t->excerpt + len;
    size_t room = sizeof t->excerpt - len;
    if (timed_out)
        snprintf(end, room, "%sthe test did not finish within %.0f s and was stopped",
                 len ? "\n" : "", timeout_seconds);
    else if (status >= 0 && WIFSIGNALED(status))
        snprintf(end, room, "%sthe test crashed: killed by SIG%s (%s)", len ? "\n" : "",
                 sigabbrev_np(WTERMSIG(status)) ?: "?", strsignal(WTERMSIG(status)));
}

/* ------------------------------------------------------------ reports */

static void print_indented(const char *text)
{
    for (const char *p = text; *p;) {
        const char *nl = strchr(p, '\n');
        int n = nl ? (int)(nl - p) : (int)strlen(p);
        const char *s = p;
        while (n > 0 && *s == ' ') /* re-indent uniformly */
            s++, n--;
        printf("    %.*s\n", n, s);
        p = nl ? nl + 1 : p + strlen(p);
    }
}

static void print_build_log(const char *path)
{
    FILE *f = path && strcmp(path, "-") ? fopen(path, "r") : NULL;
    char line[1024];
    if (!f)
        return;
    printf("    the build said:\n");
    for (int shown = 0; fgets(line, sizeof line, f) && shown < 40;)
        if (strstr(line, "error") || strstr(line, "Error") || strstr(line, "undefined"))
            printf("      %s", line), shown++;
    fclose(f);
}

static void report_lab(const lab *l, int *score, int *max)
{
    int lab_score = 0, lab_max = 0;
    printf("== lab %s ==\n", l->name);
    if (!l->built) {
        printf("BUILD FAILED: the lab's code does not compile; every test scores 0.\n");
        print_build_log(l->build_log);
    }
    for (int i = 0; i < l->ntests; i++) {
        const test_result *t = &l->tests[i];
        printf("%s: %s (%d/%d)\n", t->name, t->earned == t->points ? "OK" : "FAIL", t->earned,
               t->points);
        if (t->earned != t->points && l->built && t->excerpt[0])
            print_indented(t->excerpt);
        lab_score += t->earned;
        lab_max += t->points;
    }
    printf("Score: %d/%d\n\n", lab_score, lab_max);
    *score += lab_score;
    *max += lab_max;
}

static void json_string(FILE *f, const char *s)
{
    fputc('"', f);
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\')
            fprintf(f, "\\%c", c);
        else if (c == '\n')
            fputs("\\n", f);
        else if (c == '\t')
            fputs("\\t", f);
        else if (c < 0x20)
            fprintf(f, "\\u%04x", c);
        else
            fputc(c, f);
    }
    fputc('"', f);
}

static int write_json(const char *path, const lab *labs, int nlabs, int score, int max)
{
    FILE *f = fopen(path, "w");
    if (!f) {
        fprintf(stderr, "grade: cannot write %s: %s\n", path, strerror(errno));
        return -1;
    }
    fprintf(f, "{\n  \"score\": %d,\n  \"max_score\": %d,\n  \"tests\": [", score, max);
    const char *sep = "\n";
    for (int i = 0; i < nlabs; i++)
        for (int j = 0; j < labs[i].ntests; j++) {
            const test_result *t = &labs[i].tests[j];
            char name[256];
            snprintf(name, sizeof name, "%s: %s", labs[i].name, t->name);
            fprintf(f, "%s    {\"name\": ", sep);
            json_string(f, name);
            fprintf(f, ", \"score\": %d, \"max_score\": %d, \"output\": ", t->earned, t->points);
            json_string(f, !labs[i].built ? "the lab's code did not compile" : t->excerpt);
            fputc('}', f);
            sep = ",\n";
        }
    fprintf(f, "\n  ]\n}\n");
    return fclose(f) == 0 ? 0 : -1;
}

/* ------------------------------------------------------------ main */

static int usage(void)
{
    fprintf(stderr,
            "usage: grade [--json FILE] [--timeout S] --lab NAME SUITE LIST-SUITE BUILD-LOG ...\n");
    return 2;
}

int main(int argc, char **argv)
{
    static lab labs[16];
    int nlabs = 0;
    const char *json = NULL;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--json") == 0 && i + 1 < argc) {
            json = argv[++i];
        } else if (strcmp(argv[i], "--timeout") == 0 && i + 1 < argc) {
            timeout_seconds = atof(argv[++i]);
        } else if (strcmp(argv[i], "--lab") == 0 && i + 4 < argc && nlabs < 16) {
            lab *l = &labs[nlabs++];
            l->name = argv[i + 1];
            l->suite = argv[i + 2];
            l->list_suite = argv[i + 3];
            l->build_log = argv[i + 4];
            i += 4;
        } else {
            return usage();
        }
    }
    if (nlabs == 0 && !json)
        return usage();
    if (nlabs == 0)
        printf("No labs to grade yet (solutions/ has no NN-topic folders).\n");

    bool trouble = false;
    int score = 0, max = 0;
    for (int i = 0; i < nlabs; i++) {
        lab *l = &labs[i];
        l->built = access(l->suite, X_OK) == 0;
        if (!list_tests(l)) {
            printf("== lab %s ==\nCANNOT RUN: %s --list failed; no score for this lab.\n\n",
                   l->name, l->list_suite);
            trouble = true;
            continue;
        }
        for (int j = 0; l->built && j < l->ntests; j++)
            run_test(l, &l->tests[j]);
        trouble = trouble || !l->built;
        report_lab(l, &score, &max);
    }
    printf("Total score: %d/%d\n", score, max);
    if (json && write_json(json, labs, nlabs, score, max) < 0)
        return 1;
    return trouble ? 1 : 0;
}
