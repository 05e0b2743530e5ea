/* Generators: next, send, return value, close, errors. */
#include <criterion/criterion.h>
#include <errno.h>

#include <corio/corio.h>

static intptr_t counter(corio_gen *g, void *arg)
{
    intptr_t n = (intptr_t)arg;
    for (intptr_t i = 0; i < n; i++)
        if (corio_gen_yield(g, i, NULL) < 0)
            return -1;
    return 100;
}

Test(gen, next_until_return, .timeout = 10)
{
    corio_gen *g;
    intptr_t v = -5;
    cr_assert_eq(corio_gen_new(counter, (void *)(intptr_t)3, 0, &g), 0);
    for (intptr_t i = 0; i < 3; i++) {
        cr_assert_eq(corio_gen_next(g, &v), 0);
        cr_assert_eq(v, i);
    }
    cr_assert_eq(corio_gen_next(g, &v), CORIO_GEN_RETURNED);
    cr_assert_eq(v, 100, "StopIteration.value");
    cr_assert_eq(corio_gen_next(g, &v), -EPIPE);
    cr_assert_eq(corio_gen_close(g), 0);
    corio_gen_free(g);
}

/* Seed 000's coroutine: i = yield "return 1"; print("Received", i); ... */
static intptr_t echo(corio_gen *g, void *arg)
{
    intptr_t *received = arg;
    intptr_t in;
    corio_gen_yield(g, 1, &in);
    received[0] = in;
    corio_gen_yield(g, 2, &in);
    received[1] = in;
    return in * 2;
}

Test(gen, send_values_in_and_out, .timeout = 10)
{
    corio_gen *g;
    intptr_t received[2] = {-1, -1}, v;
    corio_gen_new(echo, received, 16384, &g);
    cr_assert_eq(corio_gen_send(g, 999, &v), 0, "the first send starts it; its value is ignored");
    cr_assert_eq(v, 1);
    cr_assert_eq(corio_gen_next(g, &v), 0);
    cr_assert_eq(v, 2);
    cr_assert_eq(received[0], 0, "next sends nothing (None)");
    cr_assert_eq(corio_gen_send(g, 21, &v), CORIO_GEN_RETURNED);
    cr_assert_eq(received[1], 21);
    cr_assert_eq(v, 42);
    corio_gen_free(g);
}

static int cleaned;

static intptr_t closable(corio_gen *g, void *arg)
{
    (void)arg;
    for (intptr_t i = 0;; i++) {
        if (corio_gen_yield(g, i, NULL) == -ECANCELED) {
            cleaned++;
            return 0;
        }
    }
}

static int stubborn_yields;

static intptr_t stubborn(corio_gen *g, void *arg)
{
    (void)arg;
    for (int i = 0; i < 5; i++) /* ignores GeneratorExit */
        stubborn_yields += corio_gen_yield(g, 0, NULL) == -ECANCELED;
    return 0;
}

Test(gen, close_and_errors, .timeout = 10)
{
    corio_gen *g;
    intptr_t v;
    cleaned = 0;
    cr_assert_eq(corio_gen_new(NULL, NULL, 0, &g), -EINVAL);
    cr_assert_eq(corio_gen_new(closable, NULL, 100, &g), -EINVAL);
    corio_gen_new(closable, NULL, 0, &g);
    corio_gen_next(g, &v);
    corio_gen_next(g, &v);
    cr_assert_eq(corio_gen_close(g), 0);
    cr_assert_eq(cleaned, 1);
    cr_assert_eq(corio_gen_next(g, &v), -EPIPE);
    cr_assert_eq(corio_gen_close(g), 0, "idempotent");
    corio_gen_free(g);

    corio_gen_new(closable, NULL, 0, &g);
    cr_assert_eq(corio_gen_close(g), 0, "never started: never runs");
    cr_assert_eq(cleaned, 1);
    corio_gen_free(g);

    stubborn_yields = 0;
    corio_gen_new(stubborn, NULL, 0, &g);
    corio_gen_next(g, &v);
    cr_assert_eq(corio_gen_close(g), 0, "its yields no longer suspend: it runs to the end");
    cr_assert_eq(stubborn_yields, 5);
    corio_gen_free(g); /* next, send or close from inside the body: test_misuse.c */
}

/* Generators driven from tasks interleave with the scheduler. */
static intptr_t drive(void *arg)
{
    corio_gen *g = arg;
    intptr_t v, sum = 0;
    while (corio_gen_next(g, &v) == 0) {
        sum += v;
        corio_yield();
    }
    return sum;
}

static intptr_t gen_in_tasks(void *arg)
{
    (void)arg;
    corio_gen *a, *b;
    corio_task *ta, *tb;
    intptr_t ra, rb;
    corio_gen_new(counter, (void *)(intptr_t)10, 0, &a);
    corio_gen_new(counter, (void *)(intptr_t)20, 0, &b);
    corio_spawn(NULL, drive, a, &ta);
    corio_spawn(NULL, drive, b, &tb);
    corio_join(ta, &ra, -1);
    corio_join(tb, &rb, -1);
    cr_assert_eq(ra, 45);
    cr_assert_eq(rb, 190);
    corio_gen_free(a);
    corio_gen_free(b);
    return 0;
}

Test(gen, driven_by_tasks, .timeout = 10)
{
    cr_assert_eq(corio_run(gen_in_tasks, NULL), 0);
}
