/*
 * sync.c - what the sync and channel modules share: the text of their error codes.
 *
 * Chapter: chapters/05-channels.md#when-a-channel-closes
 */
#include "rt_sync.h"

const char *rt_sync_strerror(int code)
{
    switch (code) {
    case RT_ECLOSED:
        return "closed";
    case RT_EWOULDBLOCK:
        return "would block";
    case RT_ELAGGED:
        return "lagged";
    default:
        return rt_strerror(code);
    }
}
