/*
 * bench_resp.c - throughput of the RESP parser and serializer on a pipelined stream
 * of SET and GET requests, as a busy redis-benchmark client would send them.
 *
 * Prints only "metric<TAB>value<TAB>unit" lines, each the median of RUNS runs:
 *   resp_parse_mb_s     frame_parse_request over the whole stream (parse + free),
 *                       in MB (10^6 bytes) of input per second
 *   resp_frames_per_s   parse + serialize each frame into a write buffer + free,
 *                       in frames per second
 * The stream is built in memory: no sockets, no runtime, one thread.
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "../bench.h"
#include "bytes.h"
#include "frame.h"

enum { COMMANDS = 200000, RUNS = 7 };

/* SET key:000001 <16-byte value>, GET key:000001, SET key:000002 ... */
static buf *build_stream(void)
{
    buf *stream = buf_new();
    char command[128];
    for (int i = 0; i < COMMANDS; i++) {
        int n =
            i % 2 == 0
                ? snprintf(command, sizeof command,
                           "*3\r\n$3\r\nSET\r\n$10\r\nkey:%06d\r\n$16\r\nvalue-%010d\r\n", i / 2, i)
                : snprintf(command, sizeof command, "*2\r\n$3\r\nGET\r\n$10\r\nkey:%06d\r\n",
                           i / 2);
        buf_append(stream, command, (size_t)n);
    }
    return stream;
}

/* Parses every request in the stream; when out is not NULL also serializes each one
 * into it, emptying it every 64 frames as a connection's writes would. Returns the
 * number of frames, or -1 if the stream did not parse. */
static long run_once(const buf *stream, buf *out)
{
    const uint8_t *data = buf_data(stream);
    size_t len = buf_len(stream), offset = 0;
    long frames = 0;
    while (offset < len) {
        frame *f;
        size_t used;
        if (frame_parse_request(data + offset, len - offset, NULL, &f, &used, NULL) != FRAME_OK)
            return -1;
        if (out != NULL) {
            frame_serialize(f, out);
            if (frames % 64 == 63)
                buf_clear(out);
        }
        frame_free(f);
        offset += used;
        frames++;
    }
    return frames;
}

int main(void)
{
    buf *stream = build_stream();
    buf *out = buf_new();
    double parse_mb_s[RUNS], frames_per_s[RUNS];
    run_once(stream, out); /* warm up caches and the allocator */
    for (int run = 0; run < RUNS; run++) {
        double start = bench_now_ns() / 1e9;
        long frames = run_once(stream, NULL);
        double parsed = bench_now_ns() / 1e9;
        long again = run_once(stream, out);
        double done = bench_now_ns() / 1e9;
        if (frames != COMMANDS || again != COMMANDS) {
            fprintf(stderr, "bench_resp: the stream did not parse (%ld, %ld frames)\n", frames,
                    again);
            return 1;
        }
        parse_mb_s[run] = (double)buf_len(stream) / (parsed - start) / 1e6;
        frames_per_s[run] = (double)frames / (done - parsed);
    }
    printf("resp_parse_mb_s\t%.1f\tMB/s\n", bench_median(parse_mb_s, RUNS));
    printf("resp_frames_per_s\t%.0f\tframes/s\n", bench_median(frames_per_s, RUNS));
    buf_free(out);
    buf_free(stream);
    return 0;
}
