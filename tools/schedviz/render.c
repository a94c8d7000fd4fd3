/*
 * render.c - --svg DIR and --png DIR: write both pictures' DOT and run Graphviz on them.
 *
 * The timeline needs `neato -n2` (keep our positions, draw our edge curves as given); the
 * task graph needs `dot` (a layered layout for a tree with extra edges). We run the
 * programs ourselves so that a student gets pictures with one command, and we keep the
 * .dot files next to them for anyone who wants to restyle a picture by hand.
 */
#include "schedviz.h"

#include <errno.h>
#include <spawn.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>

extern char **environ;

/* Runs a Graphviz program and waits. Returns 0 when it exited 0, else -1 after saying
 * why on stderr. */
static int run(char *const argv[], const char *input)
{
    pid_t pid;
    int rc = posix_spawnp(&pid, argv[0], NULL, NULL, argv, environ);
    if (rc != 0) {
        fprintf(stderr,
                "schedviz: cannot run '%s': %s (is Graphviz installed? apt-get install graphviz)\n",
                argv[0], strerror(rc));
        return -1;
    }
    int status;
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR)
            return -1;
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
        return 0;
    fprintf(stderr, "schedviz: '%s' failed on %s (%s %d)\n", argv[0], input,
            WIFEXITED(status) ? "exit status" : "signal",
            WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status));
    return -1;
}

typedef int (*view_writer)(FILE *out, const sv_model *model, const sv_view *view);

/* DIR/NAME.dot, then Graphviz's engine on it into DIR/NAME.FORMAT. */
static int render_one(const char *dir, const char *name, const char *format, char *const engine[],
                      view_writer writer, const sv_model *model, const sv_view *view)
{
    char dot_path[4096], out_path[4096], type[16];
    snprintf(dot_path, sizeof dot_path, "%s/%s.dot", dir, name);
    snprintf(out_path, sizeof out_path, "%s/%s.%s", dir, name, format);
    snprintf(type, sizeof type, "-T%s", format);
    FILE *out = fopen(dot_path, "w");
    if (!out) {
        fprintf(stderr, "schedviz: cannot write %s: %s\n", dot_path, strerror(errno));
        return -1;
    }
    int rc = writer(out, model, view);
    if (fclose(out) != 0 || rc < 0) {
        fprintf(stderr, "schedviz: cannot write %s: %s\n", dot_path,
                strerror(rc < 0 ? -rc : errno));
        return -1;
    }
    /* PNGs at 96 dpi: sharp on a screen, small enough to commit. */
    char *const argv[] = {engine[0], engine[1], type, "-Gdpi=96", dot_path, "-o", out_path, NULL};
    char *const argv_no_dpi[] = {engine[0], engine[1], type, dot_path, "-o", out_path, NULL};
    int status = run(strcmp(format, "png") == 0 ? argv : argv_no_dpi, dot_path);
    if (status == 0)
        printf("wrote %s\n", out_path);
    return status;
}

int sv_render(const char *dir, const char *format, const sv_model *model, const sv_view *view)
{
    if (mkdir(dir, 0777) < 0 && errno != EEXIST) {
        fprintf(stderr, "schedviz: cannot create the directory %s: %s\n", dir, strerror(errno));
        return -1;
    }
    char *const neato[] = {"neato", "-n2"}, *const dot[] = {"dot", "-Gsplines=true"};
    int rc = render_one(dir, "timeline", format, neato, sv_write_timeline, model, view);
    if (rc == 0)
        rc = render_one(dir, "graph", format, dot, sv_write_graph, model, view);
    return rc;
}
