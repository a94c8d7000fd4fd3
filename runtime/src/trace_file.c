/*
 * trace_file.c - the trace file format, both ways: write an event as a line, read a file.
 *
 * The format is specified in rt_trace_file.h; this file is its only implementation, so
 * the runtime (which writes traces) and the visualizer (which reads them) cannot drift.
 *
 * Reading loads the whole file, cuts it into lines in place and points each record's
 * text into that one buffer: one allocation for the text, one growing array of records,
 * and a million-event trace parses in a fraction of a second.
 */
#include "rt_trace_file.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------ the vocabulary */

static const char *const event_names[RT_TRACE_NEVENTS] = {
    [RT_TRACE_SPAWN] = "spawn",
    [RT_TRACE_RUN] = "run",
    [RT_TRACE_STOP] = "stop",
    [RT_TRACE_PARK] = "park",
    [RT_TRACE_WAKE] = "wake",
    [RT_TRACE_STEAL] = "steal",
    [RT_TRACE_SLEEP] = "sleep",
    [RT_TRACE_WAKEUP] = "wakeup",
    [RT_TRACE_EXIT] = "exit",
    [RT_TRACE_OBJECT] = "object",
    [RT_TRACE_LOCK_WAIT] = "lock-wait",
    [RT_TRACE_LOCK_ACQUIRE] = "lock-acquire",
    [RT_TRACE_LOCK_RELEASE] = "lock-release",
    [RT_TRACE_SEND] = "send",
    [RT_TRACE_RECV] = "recv",
    [RT_TRACE_MARK] = "mark",
};

/* The fixed words an event may carry, NULL-terminated. */
static const char *const stop_words[] = {"park", "yield", "exit", NULL};
static const char *const park_words[] = {"yield", "join", "lock",  "channel", "send",
                                         "recv",  "io",   "timer", "other",   NULL};
static const char *const wake_words[] = {"send",  "recv",  "unlock", "io",    "timer", "exit",
                                         "abort", "spawn", "yield",  "other", NULL};
static const char *const exit_words[] = {"returned", "panicked", "cancelled", NULL};
static const char *const object_words[] = {"mutex",  "rwlock",  "semaphore", "notify",
                                           "mpsc",   "oneshot", "broadcast", "watch",
                                           "socket", "other",   NULL};

static const char *const *words_of(rt_trace_event event)
{
    switch (event) {
    case RT_TRACE_STOP:
        return stop_words;
    case RT_TRACE_PARK:
        return park_words;
    case RT_TRACE_WAKE:
        return wake_words;
    case RT_TRACE_EXIT:
        return exit_words;
    case RT_TRACE_OBJECT:
        return object_words;
    default:
        return NULL;
    }
}

/* The static string equal to word among the event's words, or NULL. */
static const char *find_word(rt_trace_event event, const char *word)
{
    const char *const *words = words_of(event);
    for (int i = 0; words && word && words[i]; i++)
        if (strcmp(words[i], word) == 0)
            return words[i];
    return NULL;
}

const char *rt_trace_event_name(rt_trace_event event)
{
    return (unsigned)event < RT_TRACE_NEVENTS ? event_names[event] : "?";
}

/* ------------------------------------------------------------ writing */

int rt_trace_write_header(FILE *out, rt_trace_clock clock, int nworkers)
{
    fprintf(out, "spawnlab-trace %d\nclock %s\nworkers %d\n", RT_TRACE_FORMAT_VERSION,
            clock == RT_TRACE_CLOCK_VIRTUAL ? "virtual" : "real", nworkers);
    return ferror(out) ? -EIO : 0;
}

static bool text_is_valid(const char *text)
{
    return text && text[0] && !strpbrk(text, "\r\n");
}

int rt_trace_write_record(FILE *out, const rt_trace_record *r)
{
    if ((unsigned)r->event >= RT_TRACE_NEVENTS)
        return -EINVAL;
    if (words_of(r->event) && !find_word(r->event, r->word))
        return -EINVAL;
    bool has_text =
        r->event == RT_TRACE_SPAWN || r->event == RT_TRACE_OBJECT || r->event == RT_TRACE_MARK;
    if (has_text && !text_is_valid(r->text))
        return -EINVAL;

    char worker[16] = "-";
    if (r->worker != RT_TRACE_NO_WORKER)
        snprintf(worker, sizeof worker, "%d", r->worker);
    /* fprintf failures stick to the stream: one ferror() at the end catches any of them. */
    fprintf(out, "%" PRIu64 " %s %s", r->time_ns, worker, event_names[r->event]);
    switch (r->event) {
    case RT_TRACE_SPAWN:
        fprintf(out, " %" PRIu64 " %" PRIu64 " %s", r->task, r->a, r->text);
        break;
    case RT_TRACE_RUN:
        fprintf(out, " %" PRIu64, r->task);
        break;
    case RT_TRACE_STOP:
    case RT_TRACE_EXIT:
        fprintf(out, " %" PRIu64 " %s", r->task, r->word);
        break;
    case RT_TRACE_PARK:
        fprintf(out, " %" PRIu64 " %s %#" PRIx64, r->task, r->word, r->object);
        break;
    case RT_TRACE_WAKE:
        fprintf(out, " %" PRIu64 " %" PRIu64 " %s", r->task, r->a, r->word);
        break;
    case RT_TRACE_STEAL:
        fprintf(out, " %" PRIu64 " %" PRIu64, r->a, r->b);
        break;
    case RT_TRACE_SLEEP:
    case RT_TRACE_WAKEUP:
        fprintf(out, " -");
        break;
    case RT_TRACE_OBJECT:
        fprintf(out, " %#" PRIx64 " %s %s", r->object, r->word, r->text);
        break;
    case RT_TRACE_LOCK_WAIT:
    case RT_TRACE_LOCK_ACQUIRE:
    case RT_TRACE_LOCK_RELEASE:
        fprintf(out, " %" PRIu64 " %#" PRIx64, r->task, r->object);
        break;
    case RT_TRACE_SEND:
    case RT_TRACE_RECV:
        fprintf(out, " %" PRIu64 " %#" PRIx64 " %" PRIu64, r->task, r->object, r->a);
        break;
    case RT_TRACE_MARK:
        fprintf(out, " %" PRIu64 " %s", r->task, r->text);
        break;
    case RT_TRACE_NEVENTS:
        break;
    }
    fputc('\n', out);
    return ferror(out) ? -EIO : 0;
}

/* ------------------------------------------------------------ reading */

/* The trace and the one buffer its texts point into. */
typedef struct trace_storage {
    rt_trace trace; /* first: rt_trace_free gets back to the storage from it */
    char *text;
    size_t capacity; /* of trace.records */
} trace_storage;

/* Parsing state of one line: the cursor, and where to report a problem. */
typedef struct line_cursor {
    char *next; /* the rest of the line */
    const char *path;
    size_t number;
    char *err;
    size_t errcap;
} line_cursor;

static int fail(line_cursor *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int fail(line_cursor *c, const char *fmt, ...)
{
    int n = snprintf(c->err, c->errcap, "%s:%zu: ", c->path, c->number);
    va_list ap;
    va_start(ap, fmt);
    if (n >= 0 && (size_t)n < c->errcap)
        vsnprintf(c->err + n, c->errcap - (size_t)n, fmt, ap);
    va_end(ap);
    return -EINVAL;
}

/* The next space-separated field, NUL-terminated in place; NULL at the end of the line. */
static char *next_field(line_cursor *c)
{
    char *p = c->next;
    while (*p == ' ')
        p++;
    if (!*p)
        return NULL;
    char *end = strchr(p, ' ');
    if (end)
        *end++ = '\0';
    c->next = end ? end : p + strlen(p);
    return p;
}

/* The rest of the line as one field (a name may contain spaces). */
static char *rest_of_line(line_cursor *c)
{
    char *p = c->next;
    while (*p == ' ')
        p++;
    c->next = p + strlen(p);
    return *p ? p : NULL;
}

/* Parses an unsigned number: decimal, or hexadecimal after "0x". */
static int parse_u64(line_cursor *c, const char *what, uint64_t *value)
{
    char *field = next_field(c), *end = NULL;
    if (!field)
        return fail(c, "the line ends where %s was expected", what);
    bool hex = field[0] == '0' && (field[1] == 'x' || field[1] == 'X');
    errno = 0;
    *value = strtoull(hex ? field + 2 : field, &end, hex ? 16 : 10);
    if (errno || end == (hex ? field + 2 : field) || *end || field[0] == '-')
        return fail(c, "%s must be an unsigned number, not '%s'", what, field);
    return 0;
}

static int parse_word(line_cursor *c, rt_trace_record *r, const char *what)
{
    char *field = next_field(c);
    if (!field)
        return fail(c, "the line ends where the %s was expected", what);
    r->word = find_word(r->event, field);
    return r->word ? 0
                   : fail(c, "'%s' is not a valid %s for '%s'", field, what, event_names[r->event]);
}

static int parse_text(line_cursor *c, rt_trace_record *r, const char *what)
{
    r->text = rest_of_line(c);
    return r->text ? 0 : fail(c, "the line ends where %s was expected", what);
}

/* Returns from the calling parser at the first field that does not parse. */
#define TRY(parse)                                                                                 \
    do {                                                                                           \
        int rc_ = (parse);                                                                         \
        if (rc_)                                                                                   \
            return rc_;                                                                            \
    } while (0)

/* The fields after "TIME WORKER EVENT", as the format's table says. */
static int parse_fields(line_cursor *c, rt_trace_record *r)
{
    switch (r->event) {
    case RT_TRACE_SPAWN:
        TRY(parse_u64(c, "the task id", &r->task));
        TRY(parse_u64(c, "the parent task id", &r->a));
        return parse_text(c, r, "the task's name");
    case RT_TRACE_RUN:
        return parse_u64(c, "the task id", &r->task);
    case RT_TRACE_STOP:
    case RT_TRACE_EXIT:
        TRY(parse_u64(c, "the task id", &r->task));
        return parse_word(c, r, r->event == RT_TRACE_STOP ? "reason to stop" : "way to end");
    case RT_TRACE_PARK:
        TRY(parse_u64(c, "the task id", &r->task));
        TRY(parse_word(c, r, "park reason"));
        return parse_u64(c, "the object id", &r->object);
    case RT_TRACE_WAKE:
        TRY(parse_u64(c, "the task id", &r->task));
        TRY(parse_u64(c, "the waker's task id", &r->a));
        return parse_word(c, r, "wake cause");
    case RT_TRACE_STEAL:
        TRY(parse_u64(c, "the victim worker", &r->a));
        return parse_u64(c, "the count", &r->b);
    case RT_TRACE_SLEEP:
    case RT_TRACE_WAKEUP: {
        char *dash = next_field(c);
        if (!dash || strcmp(dash, "-") != 0)
            return fail(c, "expected '-' after '%s'", event_names[r->event]);
        return 0;
    }
    case RT_TRACE_OBJECT:
        TRY(parse_u64(c, "the object id", &r->object));
        TRY(parse_word(c, r, "object kind"));
        return parse_text(c, r, "the object's name");
    case RT_TRACE_LOCK_WAIT:
    case RT_TRACE_LOCK_ACQUIRE:
    case RT_TRACE_LOCK_RELEASE:
        TRY(parse_u64(c, "the task id", &r->task));
        return parse_u64(c, "the lock's object id", &r->object);
    case RT_TRACE_SEND:
    case RT_TRACE_RECV:
        TRY(parse_u64(c, "the task id", &r->task));
        TRY(parse_u64(c, "the channel's object id", &r->object));
        return parse_u64(c, "the peer task id", &r->a);
    case RT_TRACE_MARK:
        TRY(parse_u64(c, "the task id", &r->task));
        return parse_text(c, r, "the mark's text");
    case RT_TRACE_NEVENTS:
        break;
    }
    return fail(c, "internal: unknown event");
}

static int parse_event(line_cursor *c, rt_trace_record *r, uint64_t previous_time)
{
    memset(r, 0, sizeof *r);
    TRY(parse_u64(c, "the time in ns", &r->time_ns));
    if (r->time_ns < previous_time)
        return fail(c, "time goes backwards (%" PRIu64 " after %" PRIu64 ")", r->time_ns,
                    previous_time);
    char *worker = next_field(c), *end = NULL;
    if (!worker)
        return fail(c, "the line ends where the worker was expected");
    long w = strcmp(worker, "-") == 0 ? RT_TRACE_NO_WORKER : strtol(worker, &end, 10);
    if (w != RT_TRACE_NO_WORKER && (*end || w < 0 || w > 4096))
        return fail(c, "the worker must be a worker index or '-', not '%s'", worker);
    r->worker = (int)w;
    char *name = next_field(c);
    if (!name)
        return fail(c, "the line ends where the event name was expected");
    r->event = RT_TRACE_NEVENTS;
    for (int e = 0; e < RT_TRACE_NEVENTS; e++)
        if (strcmp(name, event_names[e]) == 0)
            r->event = (rt_trace_event)e;
    if (r->event == RT_TRACE_NEVENTS)
        return fail(c, "unknown event '%s'", name);
    TRY(parse_fields(c, r));
    char *extra = next_field(c);
    return extra ? fail(c, "unexpected '%s' at the end of a '%s' line", extra, name) : 0;
}

static int parse_header(line_cursor *c, rt_trace *t, const char *key)
{
    char *value = next_field(c);
    if (strcmp(key, "clock") == 0) {
        if (value && strcmp(value, "real") == 0)
            t->clock = RT_TRACE_CLOCK_REAL;
        else if (value && strcmp(value, "virtual") == 0)
            t->clock = RT_TRACE_CLOCK_VIRTUAL;
        else
            return fail(c, "the clock must be 'real' or 'virtual'");
        return 0;
    }
    char *end = NULL;
    long n = value ? strtol(value, &end, 10) : -1;
    if (!value || *end || n < 1 || n > 4096)
        return fail(c, "'workers' needs a count from 1 to 4096");
    t->nworkers = (int)n;
    return 0;
}

static int push_record(trace_storage *s, const rt_trace_record *r)
{
    if (s->trace.nrecords == s->capacity) {
        size_t capacity = s->capacity ? 2 * s->capacity : 1024;
        rt_trace_record *grown = realloc(s->trace.records, capacity * sizeof *grown);
        if (!grown)
            return -ENOMEM;
        s->trace.records = grown;
        s->capacity = capacity;
    }
    s->trace.records[s->trace.nrecords++] = *r;
    return 0;
}

static int load_file(const char *path, char **text, char *err, size_t errcap)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        int e = errno;
        snprintf(err, errcap, "%s: cannot open: %s", path, strerror(e));
        return -e;
    }
    size_t size = 0, capacity = 1 << 16;
    char *buf = malloc(capacity);
    for (size_t n; buf && (n = fread(buf + size, 1, capacity - size - 1, f)) > 0;) {
        size += n;
        if (size + 1 == capacity) {
            char *grown = realloc(buf, capacity *= 2);
            if (!grown)
                free(buf);
            buf = grown;
        }
    }
    fclose(f);
    if (!buf) {
        snprintf(err, errcap, "%s: out of memory", path);
        return -ENOMEM;
    }
    buf[size] = '\0';
    if (memchr(buf, '\0', size)) {
        free(buf);
        snprintf(err, errcap, "%s: not a spawnlab trace (it contains NUL bytes)", path);
        return -EINVAL;
    }
    *text = buf;
    return 0;
}

/* Parses every line after the version line. */
static int parse_lines(trace_storage *s, line_cursor *c, char *line)
{
    uint64_t previous_time = 0;
    bool in_events = false;
    for (char *next; line; line = next) {
        next = strchr(line, '\n');
        if (next)
            *next++ = '\0';
        size_t len = strlen(line);
        if (len && line[len - 1] == '\r')
            line[len - 1] = '\0';
        c->number++;
        c->next = line;
        if (line[0] == '\0' || line[0] == '#')
            continue;
        bool is_header = strncmp(line, "clock ", 6) == 0 || strncmp(line, "workers ", 8) == 0;
        if (!in_events && is_header) {
            int rc = parse_header(c, &s->trace, next_field(c));
            if (rc)
                return rc;
            continue;
        }
        if (!in_events && s->trace.nworkers == 0)
            return fail(c, "the header must say how many workers ran ('workers N') before "
                           "the first event");
        in_events = true;
        rt_trace_record r;
        int rc = parse_event(c, &r, previous_time);
        if (rc)
            return rc;
        if (r.worker != RT_TRACE_NO_WORKER && s->trace.nworkers && r.worker >= s->trace.nworkers)
            return fail(c, "worker %d does not exist (the header says %d workers)", r.worker,
                        s->trace.nworkers);
        previous_time = r.time_ns;
        r.line = c->number;
        if ((rc = push_record(s, &r)))
            return fail(c, "out of memory");
    }
    return 0;
}

int rt_trace_read(const char *path, rt_trace **out, char *err, size_t errcap)
{
    *out = NULL;
    trace_storage *s = calloc(1, sizeof *s);
    if (!s) {
        snprintf(err, errcap, "%s: out of memory", path);
        return -ENOMEM;
    }
    int rc = load_file(path, &s->text, err, errcap);
    if (rc) {
        free(s);
        return rc;
    }
    line_cursor c = {.next = s->text, .path = path, .number = 1, .err = err, .errcap = errcap};
    char *rest = strchr(s->text, '\n');
    if (rest)
        *rest++ = '\0';
    size_t len = strlen(s->text);
    if (len && s->text[len - 1] == '\r')
        s->text[len - 1] = '\0';
    if (strcmp(s->text, "spawnlab-trace 1") != 0) {
        snprintf(err, errcap,
                 strncmp(s->text, "spawnlab-trace ", 15) == 0
                     ? "%s: trace format version '%s' is not supported (this reader knows 1)"
                     : "%s: not a spawnlab trace (the first line must be 'spawnlab-trace 1')",
                 path, s->text + (strncmp(s->text, "spawnlab-trace ", 15) == 0 ? 15 : 0));
        rt_trace_free(&s->trace);
        return -EINVAL;
    }
    s->trace.clock = RT_TRACE_CLOCK_REAL;
    rc = parse_lines(s, &c, rest);
    if (rc) {
        rt_trace_free(&s->trace);
        return rc;
    }
    *out = &s->trace;
    return 0;
}

void rt_trace_free(rt_trace *trace)
{
    if (!trace)
        return;
    trace_storage *s = (trace_storage *)trace;
    free(s->trace.records);
    free(s->text);
    free(s);
}
