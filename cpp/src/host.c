/*
 * A C99 host of widgets built on the C API alone (resilient/resilient.h):
 * opens the library given on the command line, binds widgets 1.0's view
 * (the same as the C++ and Rust hosts', the nested origin through a view of
 * Point), reads, writes and reads back every field it knows, clones a value
 * on the heap and makes one in its own frame, takes values the library
 * makes (owned results: a Point in its frame, a Widget on the heap), and
 * prints one line per fact. The verdict on the library is the Rust binder's,
 * word for word.
 *
 *   widget-host-c LIBWIDGETS.so
 *
 * Exit: 0 compatible, 1 a check failed, 2 usage, 3 refused (at open or bind).
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "resilient/resilient.h"

static int failures = 0;

static void check(const char *name, int ok) {
    printf("check %s %s\n", name, ok ? "ok" : "FAIL");
    if (!ok) ++failures;
}

/* Field indices, in the order the view declares them. */
enum { ID, WEIGHT, FLAGS, TAGS, ORIGIN, ACTIVE, SCALE, FIELDS };

/* The thunks of widgets' parse_point(&str) -> Point and make_widget(u64,
 * &str) -> Widget: an owned result is written into the room `ret` points to. */
typedef uint32_t (*parse_point_fn)(rsl_slice text, void *ret, rsl_call_error *err);
typedef uint32_t (*make_widget_fn)(uint64_t id, rsl_slice label, void *ret, rsl_call_error *err);

int main(int argc, char **argv) {
    rsl_error *err;
    rsl_library *lib = NULL;
    rsl_view *view = NULL, *point_view = NULL;
    rsl_bound *w = NULL, *p = NULL;
    rsl_value *v = NULL, *copy = NULL, *made = NULL;
    rsl_function *parse_point = NULL, *make_widget = NULL;
    rsl_room *heap_room = NULL;
    rsl_field f[FIELDS], px, py;
    int has_scale = 0, status = 0, i;
    /* Room for a value in this frame; the union aligns it for any scalar. */
    union {
        unsigned char bytes[RSL_INLINE_CAP];
        uint64_t u;
        double d;
        void *p;
    } room;
    const rsl_expect u8 = {RSL_EXPECT_SCALAR, "u8", 0, 0, 0, NULL};
    const rsl_expect i32 = {RSL_EXPECT_SCALAR, "i32", 0, 0, 0, NULL};
    const rsl_expect u64 = {RSL_EXPECT_SCALAR, "u64", 0, 0, 0, NULL};
    const rsl_expect point = {RSL_EXPECT_NESTED, "Point", 0, 0, 0, NULL};
    const rsl_expect widget = {RSL_EXPECT_NESTED, "Widget", 0, 0, 0, NULL};
    const rsl_param text = {RSL_PASS_STR, NULL};
    const rsl_param id_and_text[2] = {{RSL_PASS_VALUE, &u64}, {RSL_PASS_STR, NULL}};
    const rsl_param owned_point = {RSL_PASS_OWNED, &point};
    const rsl_param owned_widget = {RSL_PASS_OWNED, &widget};
    const rsl_expect expected[FIELDS] = {
        {RSL_EXPECT_SCALAR, "u64", 0, 0, 0, NULL},  {RSL_EXPECT_SCALAR, "f32", 0, 0, 0, NULL},
        {RSL_EXPECT_SCALAR, "u16", 0, 0, 0, NULL},  {RSL_EXPECT_ARRAY, NULL, 0, 0, 4, &u8},
        {RSL_EXPECT_NESTED, "Point", 0, 0, 0, NULL}, {RSL_EXPECT_SCALAR, "bool", 0, 0, 0, NULL},
        {RSL_EXPECT_SCALAR, "f64", 0, 0, 0, NULL}};
    const char *names[FIELDS] = {"id", "weight", "flags", "tags", "origin", "active", "scale"};

    if (argc != 2) {
        fprintf(stderr, "usage: widget-host-c LIBWIDGETS.so\n");
        return 2;
    }
    err = rsl_error_new();
    if (rsl_library_open(argv[1], &lib, err) != RSL_OK) {
        printf("verdict refused: %s\n", rsl_error_message(err));
        rsl_error_free(err);
        return 3;
    }
    printf("module %s %s\n", rsl_library_module(lib), rsl_library_version(lib));
    /* Point's view, through which the nested origin (and parse_point's
     * results) are read. */
    if (rsl_view_new("widgets", "Point", &point_view, err) != RSL_OK ||
        rsl_view_add_field(point_view, "x", 1, RSL_BY_VALUE, &i32, err) != RSL_OK ||
        rsl_view_add_field(point_view, "y", 1, RSL_BY_VALUE, &i32, err) != RSL_OK)
        goto fail;
    if (rsl_view_new("widgets", "Widget", &view, err) != RSL_OK) goto fail;
    for (i = 0; i < FIELDS; ++i) {
        rsl_status s = i == ORIGIN ? rsl_view_add_nested(view, names[i], 1, point_view, err)
                                   : rsl_view_add_field(view, names[i], i != SCALE, RSL_BY_VALUE, &expected[i], err);
        if (s != RSL_OK) goto fail;
    }
    if (rsl_view_bind(view, lib, &w, err) != RSL_OK) {
        printf("verdict refused: %s\n", rsl_error_message(err));
        status = 3;
        goto done;
    }
    for (i = 0; i < FIELDS; ++i) {
        rsl_status s = rsl_bound_field(w, (size_t)i, &f[i], err);
        if (s == RSL_ABSENT && i == SCALE) continue;
        if (s != RSL_OK) goto fail;
        if (i == SCALE) has_scale = 1;
    }
    /* The binding of the view of the nested origin. */
    if (rsl_bound_nested(w, ORIGIN, &p, err) != RSL_OK || rsl_bound_field(p, 0, &px, err) != RSL_OK ||
        rsl_bound_field(p, 1, &py, err) != RSL_OK)
        goto fail;
    printf("type %s: size %zu align %zu, binding %llu\n", rsl_bound_type_name(w), rsl_bound_size(w),
           rsl_bound_align(w), (unsigned long long)rsl_bound_binding(w));

    /* A value on the heap, made by the library's default witness. */
    if (rsl_value_new(w, &v, err) != RSL_OK) goto fail;
    {
        uint64_t id;
        float weight;
        uint16_t flags;
        uint8_t tags[4];
        unsigned char active;
        double scale = 0;
        void *origin;
        int32_t x = 0, y = 0;
        if (rsl_value_get(v, f[ID], &id, sizeof id, err) != RSL_OK ||
            rsl_value_get(v, f[WEIGHT], &weight, sizeof weight, err) != RSL_OK ||
            rsl_value_get(v, f[FLAGS], &flags, sizeof flags, err) != RSL_OK ||
            rsl_value_get(v, f[TAGS], tags, sizeof tags, err) != RSL_OK ||
            rsl_value_get(v, f[ACTIVE], &active, sizeof active, err) != RSL_OK ||
            (has_scale && rsl_value_get(v, f[SCALE], &scale, sizeof scale, err) != RSL_OK) ||
            rsl_bound_nested_at(w, rsl_value_data(v), f[ORIGIN], &origin, err) != RSL_OK ||
            rsl_bound_get(p, origin, px, &x, sizeof x, err) != RSL_OK ||
            rsl_bound_get(p, origin, py, &y, sizeof y, err) != RSL_OK)
            goto fail;
        printf("read id=%llu weight=%g flags=0x%04x tags=%c%c%c%c active=%d origin=(%d,%d) scale=",
               (unsigned long long)id, (double)weight, (unsigned)flags, tags[0], tags[1], tags[2], tags[3], active,
               (int)x, (int)y);
        if (has_scale)
            printf("%g\n", scale);
        else
            printf("absent\n");
    }
    {
        const uint64_t id = 0x0102030405060708ull;
        const uint16_t flags = 0x2122;
        const uint8_t tags[4] = {0x31, 0x32, 0x33, 0x34};
        const unsigned char no = 0, two = 2;
        uint64_t id_back = 0;
        uint16_t flags_back = 0;
        uint8_t tags_back[4] = {0, 0, 0, 0};
        unsigned char active_back = 9;
        if (rsl_value_set(v, f[ID], &id, sizeof id, err) != RSL_OK ||
            rsl_value_set(v, f[FLAGS], &flags, sizeof flags, err) != RSL_OK ||
            rsl_value_set(v, f[TAGS], tags, sizeof tags, err) != RSL_OK ||
            rsl_value_set(v, f[ACTIVE], &no, 1, err) != RSL_OK)
            goto fail;
        rsl_value_get(v, f[ID], &id_back, sizeof id_back, NULL);
        rsl_value_get(v, f[FLAGS], &flags_back, sizeof flags_back, NULL);
        rsl_value_get(v, f[TAGS], tags_back, sizeof tags_back, NULL);
        rsl_value_get(v, f[ACTIVE], &active_back, 1, NULL);
        check("id", id_back == id);
        check("flags", flags_back == flags);
        check("tags", memcmp(tags_back, tags, 4) == 0);
        check("active", active_back == 0);
        /* Refused, not written: 2 is no bool, 4 bytes are no u64, and the
         * nested field is not read by value. */
        check("bool-2-refused", rsl_value_set(v, f[ACTIVE], &two, 1, NULL) == RSL_ERROR_VALUE);
        check("size-refused", rsl_value_get(v, f[ID], &flags_back, 4, NULL) == RSL_ERROR_VALUE);
        check("nested-refused", rsl_value_get(v, f[ORIGIN], tags_back, 4, NULL) == RSL_ERROR_VALUE);
        /* A token of the nested view is not one of the outer value's. */
        {
            void *nowhere = NULL;
            check("nested-token-refused",
                  rsl_bound_nested_at(w, rsl_value_data(v), px, &nowhere, NULL) == RSL_ERROR_BINDING && !nowhere);
        }
        check("null-refused", rsl_value_get(NULL, f[ID], &id_back, sizeof id_back, NULL) == RSL_ERROR_NULL);
        if (rsl_value_clone(v, &copy, err) != RSL_OK) goto fail;
        id_back = 0;
        rsl_value_get(copy, f[ID], &id_back, sizeof id_back, NULL);
        check("clone", id_back == id);
    }
    /* A value in this frame. */
    if (rsl_bound_init_at(w, room.bytes, sizeof room.bytes, err) != RSL_OK) goto fail;
    {
        const uint64_t seven = 7;
        uint64_t back = 0;
        rsl_bound_set(w, room.bytes, f[ID], &seven, sizeof seven, NULL);
        rsl_bound_get(w, room.bytes, f[ID], &back, sizeof back, NULL);
        check("stack-value", back == 7);
        rsl_bound_drop_at(w, room.bytes);
    }
    /* Owned results: values the library makes, in room this host gives. */
    if (rsl_function_bind(lib, "widgets", "parse_point", &text, 1, &owned_point, 1, &parse_point, err) != RSL_OK ||
        rsl_function_bind(lib, "widgets", "make_widget", id_and_text, 2, &owned_widget, 1, &make_widget, err) !=
            RSL_OK)
        goto fail;
    check("result-types", rsl_function_result_type(parse_point) == rsl_bound_type_id(p) &&
                              rsl_function_result_type(make_widget) == rsl_bound_type_id(w));
    {
        /* A Point in this frame: read through the nested view's binding,
         * dropped through its witness. */
        parse_point_fn call = (parse_point_fn)rsl_function_thunk(parse_point);
        rsl_call_error e = {NULL, 0, 0, NULL};
        rsl_slice s;
        int32_t x = 0, y = 0;
        s.ptr = "-7, 8";
        s.len = 5;
        if (call(s, room.bytes, &e) != RSL_STATUS_OK) goto fail;
        rsl_bound_get(p, room.bytes, px, &x, sizeof x, NULL);
        rsl_bound_get(p, room.bytes, py, &y, sizeof y, NULL);
        rsl_bound_drop_at(p, room.bytes);
        check("parse_point", x == -7 && y == 8);
        s.ptr = "3;4";
        s.len = 3;
        {
            uint32_t st = call(s, room.bytes, &e);
            rsl_status code = rsl_function_call_failed(parse_point, st, &e, err);
            printf("parse_point failed (status %u, code %d): %s\n", (unsigned)st, (int)code, rsl_error_message(err));
        }
    }
    {
        /* A Widget on the heap: room from the C API, then a value. */
        make_widget_fn call = (make_widget_fn)rsl_function_thunk(make_widget);
        rsl_call_error e = {NULL, 0, 0, NULL};
        rsl_slice label;
        uint64_t id = 0;
        uint32_t st;
        label.ptr = "from c";
        label.len = 6;
        if (rsl_room_new(w, &heap_room, err) != RSL_OK) goto fail;
        st = call(99, label, rsl_room_data(heap_room), &e);
        if (st != RSL_STATUS_OK) {
            rsl_function_call_failed(make_widget, st, &e, err);
            goto fail; /* the room holds nothing: freed below */
        }
        if (rsl_room_into_value(heap_room, &made, err) != RSL_OK) goto fail;
        heap_room = NULL;
        rsl_value_get(made, f[ID], &id, sizeof id, NULL);
        check("make_widget", id == 99);
    }
    printf(failures ? "verdict broken\n" : "verdict compatible\n");
    status = failures ? 1 : 0;
    goto done;
fail:
    printf("error: %s\n", rsl_error_message(err));
    status = 1;
done:
    rsl_room_free(heap_room);
    rsl_value_free(made);
    rsl_function_free(make_widget);
    rsl_function_free(parse_point);
    rsl_value_free(copy);
    rsl_value_free(v);
    rsl_bound_free(p);
    rsl_bound_free(w);
    rsl_view_free(view);
    rsl_view_free(point_view);
    rsl_library_close(lib);
    rsl_error_free(err);
    return status;
}
