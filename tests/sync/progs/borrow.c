/*
 * borrow.c - the 'static rule with and without a scope (run by test_structured.c).
 *
 *     borrow spawn   rt_spawn with a pointer into the spawner's stack: the check stops it
 *     borrow scope   the same borrow through rt_scope_spawn: allowed, exit status 0
 */
#include "rt.h"
#include "rt_scope.h"

#include <stdio.h>
#include <string.h>

static void *read_borrowed(void *arg)
{
    return (void *)(long)((int *)arg)[0];
}

static int spawn_one(rt_scope *scope, void *numbers)
{
    return rt_scope_spawn(scope, read_borrowed, numbers);
}

static int app_main(int argc, char **argv)
{
    int numbers[4] = {1, 2, 3, 4}; /* on main's stack */
    if (argc == 2 && strcmp(argv[1], "spawn") == 0)
        return rt_join(rt_spawn_named("borrower", read_borrowed, numbers), NULL, NULL) != 0;
    if (argc == 2 && strcmp(argv[1], "scope") == 0)
        return rt_scope_run(spawn_one, numbers) != 0;
    fprintf(stderr, "usage: borrow spawn|scope\n");
    return 2;
}

RT_MAIN(app_main)
