/*
 * format.c - durations, colours and escaping shared by every view.
 *
 * Durations are printed with integer arithmetic (truncated, never rounded through a
 * double) so that a report is the same byte for byte on every machine: the golden tests
 * compare it exactly.
 */
#include "schedviz.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------ durations */

static const char *const micro = "\xc2\xb5s"; /* "µs", spelt in bytes so the source stays ASCII */

const char *sv_format_duration(uint64_t ns, char *buf, size_t cap)
{
    if (ns < 1000)
        snprintf(buf, cap, "%" PRIu64 " ns", ns);
    else if (ns < 1000000)
        snprintf(buf, cap, "%" PRIu64 ".%03" PRIu64 " %s", ns / 1000, ns % 1000, micro);
    else if (ns < 1000000000)
        snprintf(buf, cap, "%" PRIu64 ".%03" PRIu64 " ms", ns / 1000000, ns % 1000000 / 1000);
    else
        snprintf(buf, cap, "%" PRIu64 ".%03" PRIu64 " s", ns / 1000000000,
                 ns % 1000000000 / 1000000);
    return buf;
}

/* "1.500" -> "1.5", "2.000" -> "2". */
static void trim_zeros(char *number)
{
    char *dot = strchr(number, '.');
    if (!dot)
        return;
    char *end = number + strlen(number);
    while (end > dot + 1 && end[-1] == '0')
        *--end = '\0';
    if (end == dot + 1)
        *dot = '\0';
}

const char *sv_format_tick(uint64_t ns, char *buf, size_t cap)
{
    static const struct {
        uint64_t ns;
        const char *name;
    } units[] = {{1000000000, "s"}, {1000000, "ms"}, {1000, "\xc2\xb5s"}, {1, "ns"}};
    if (ns == 0) {
        snprintf(buf, cap, "0");
        return buf;
    }
    size_t u = 0;
    while (units[u].ns > ns)
        u++;
    char number[48];
    snprintf(number, sizeof number, "%" PRIu64 ".%03" PRIu64, ns / units[u].ns,
             units[u].ns >= 1000 ? ns % units[u].ns / (units[u].ns / 1000) : 0);
    trim_zeros(number);
    snprintf(buf, cap, "%s %s", number, units[u].name);
    return buf;
}

uint64_t sv_round_step(uint64_t span_ns, int parts)
{
    uint64_t at_least = span_ns / (uint64_t)parts + (span_ns % (uint64_t)parts != 0);
    for (uint64_t power = 1;; power *= 10)
        for (int k = 0; k < 3; k++) {
            uint64_t step = power * (uint64_t)(k == 0 ? 1 : k == 1 ? 2 : 5);
            if (step >= at_least || power > UINT64_MAX / 100)
                return step;
        }
}

/* ------------------------------------------------------------ colours */

/* A task keeps its colour from picture to picture because the colour comes from a hash of
 * its name, not from the order tasks appear in. The first choice is a small palette of
 * pale, clearly different colours (black labels stay readable on each); when two names in
 * one trace want the same palette colour, the second takes the next free one, so that the
 * tasks of one picture never look alike. Past the palette, a hue from the hash. */
static const char *const palette[] = {"#a6cee3", "#b2df8a", "#fb9a99", "#fdbf6f",
                                      "#cab2d6", "#ffff99", "#8dd3c7", "#f4a6d7",
                                      "#c7b299", "#b0b0ff", "#e0e07a", "#ffd1a8"};
enum { NPALETTE = sizeof palette / sizeof *palette };

static uint32_t name_hash(const char *name)
{
    uint32_t hash = 2166136261u; /* FNV-1a */
    for (const unsigned char *p = (const unsigned char *)name; *p; p++)
        hash = (hash ^ *p) * 16777619u;
    return hash;
}

static void hue_color(uint32_t hash, char *buf)
{
    double hue = (double)(hash % 360) / 60.0, saturation = 0.4, value = 0.97;
    int sector = (int)hue;
    double f = hue - sector, p = value * (1 - saturation), q = value * (1 - saturation * f),
           t = value * (1 - saturation * (1 - f));
    double rgb[6][3] = {{value, t, p}, {q, value, p}, {p, value, t},
                        {p, q, value}, {t, p, value}, {value, p, q}};
    const double *c = rgb[sector % 6];
    snprintf(buf, 8, "#%02x%02x%02x", (unsigned)(c[0] * 255), (unsigned)(c[1] * 255),
             (unsigned)(c[2] * 255));
}

static int by_hash_then_name(const void *a, const void *b, void *context)
{
    const sv_model *m = context;
    const char *x = m->tasks[*(const uint32_t *)a].name, *y = m->tasks[*(const uint32_t *)b].name;
    uint32_t hx = name_hash(x), hy = name_hash(y);
    return hx != hy ? (hx > hy) - (hx < hy) : strcmp(x, y);
}

int sv_assign_colors(sv_model *model)
{
    uint32_t *order = malloc((model->ntasks + 1) * sizeof *order);
    if (!order)
        return -ENOMEM;
    for (uint32_t i = 0; i < model->ntasks; i++)
        order[i] = i;
    qsort_r(order, model->ntasks, sizeof *order, by_hash_then_name, model);
    bool is_taken[NPALETTE] = {false};
    int ntaken = 0;
    for (size_t i = 0; i < model->ntasks; i++) {
        sv_task *t = &model->tasks[order[i]];
        if (i > 0 &&
            strcmp(model->tasks[order[i - 1]].name, t->name) == 0) { /* same name, same colour */
            memcpy(t->color, model->tasks[order[i - 1]].color, sizeof t->color);
            continue;
        }
        uint32_t hash = name_hash(t->name);
        if (ntaken == NPALETTE) {
            hue_color(hash, t->color);
            continue;
        }
        size_t slot = hash % NPALETTE;
        while (is_taken[slot])
            slot = (slot + 1) % NPALETTE;
        is_taken[slot] = true;
        ntaken++;
        snprintf(t->color, sizeof t->color, "%s", palette[slot]);
    }
    free(order);
    return 0;
}

/* ------------------------------------------------------------ escaping */

void sv_put_dot_string(FILE *out, const char *text)
{
    for (const char *p = text; *p; p++) {
        if (*p == '"' || *p == '\\')
            fputc('\\', out);
        if ((unsigned char)*p < 0x20) /* a control character would break the line */
            fputc(' ', out);
        else
            fputc(*p, out);
    }
}

void sv_put_html_string(FILE *out, const char *text)
{
    for (const char *p = text; *p; p++) {
        if (*p == '&')
            fputs("&amp;", out);
        else if (*p == '<')
            fputs("&lt;", out);
        else if (*p == '>')
            fputs("&gt;", out);
        else if (*p == '"')
            fputs("&quot;", out);
        else if ((unsigned char)*p >= 0x20)
            fputc(*p, out);
    }
}

void sv_put_json_string(FILE *out, const char *text)
{
    for (const char *p = text; *p; p++) {
        unsigned char c = (unsigned char)*p;
        if (c == '"' || c == '\\')
            fprintf(out, "\\%c", c);
        else if (c < 0x20)
            fprintf(out, "\\u%04x", c);
        else
            fputc(c, out);
    }
}

/* Columns a UTF-8 string takes in a terminal: every byte that does not continue a
 * character starts one (good enough for the names and units we print). */
static int display_width(const char *text)
{
    int width = 0;
    for (const unsigned char *p = (const unsigned char *)text; *p; p++)
        width += (*p & 0xc0) != 0x80;
    return width;
}

void sv_put_cell(FILE *out, const char *text, int width, bool is_right_aligned)
{
    int padding = width - display_width(text);
    if (is_right_aligned)
        fprintf(out, "%*s%s", padding > 0 ? padding : 0, "", text);
    else
        fprintf(out, "%s%*s", text, padding > 0 ? padding : 0, "");
}
