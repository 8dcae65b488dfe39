/*
 * resilient/resilient.h: the C API of resilient (C99 and C++17).
 *
 * One Rust implementation behind C, in the manner of regex's rure.h: C and
 * C++ hosts open libraries, bind views, use values and bind functions and
 * interfaces through these functions, so every verdict is the Rust one by
 * construction. Opening and validating is resilient_loader::Library::open;
 * binding a view is layout_meta::compat::bind_view, the one view rule;
 * values and field access are resilient_types::dynamic; binding a function,
 * or an interface's methods, is layout_meta::compat::bind_function, the one
 * function rule. Implemented by the crate
 * crates/capi (package resilient-capi); link libresilient.a (with -ldl
 * -lpthread -lm, or the CMake target resilient::client) or libresilient.so.
 *
 *     rsl_error *err = rsl_error_new();
 *     rsl_library *lib;
 *     if (rsl_library_open("libwidgets.so", &lib, err) != RSL_OK) {
 *         fprintf(stderr, "%s\n", rsl_error_message(err));    // the Rust loader's message
 *     }
 *     rsl_view *view;
 *     rsl_view_new("widgets", "Widget", &view, err);
 *     rsl_expect u64 = {RSL_EXPECT_SCALAR, "u64", 0, 0, 0, NULL};
 *     rsl_view_add_field(view, "id", 1, RSL_BY_VALUE, &u64, err);  // field 0
 *     rsl_bound *w;
 *     if (rsl_view_bind(view, lib, &w, err) != RSL_OK) { ... }     // every mismatch in the message
 *     rsl_field id;
 *     rsl_bound_field(w, 0, &id, err);
 *     rsl_value *v;
 *     rsl_value_new(w, &v, err);                                    // the library's default witness
 *     uint64_t x = 42;
 *     rsl_value_set(v, id, &x, sizeof x, err);
 *     rsl_value_free(v); rsl_bound_free(w); rsl_view_free(view); rsl_library_close(lib);
 *     rsl_error_free(err);
 *
 * Conventions, for every function below unless it says otherwise:
 *
 * - Errors: functions that can fail return an rsl_status. RSL_OK and
 *   RSL_ABSENT are successes; on any other code, if `err` is not NULL, the
 *   code and a message (naming the library, type and field) are written into
 *   it. `err` is never written on success. Pass NULL to get the code alone.
 * - NULL: a NULL handle, string or output pointer is RSL_ERROR_NULL, never a
 *   crash. Free functions ignore NULL. Queries on a NULL handle return 0 or
 *   "" (the empty string).
 * - Strings: arguments are NUL-terminated UTF-8 (a path may be any bytes).
 *   Strings returned are owned by the handle they come from and valid until
 *   it is freed.
 * - Ownership: each handle is made by one function and freed by exactly one
 *   (named at its declaration); it owns everything it needs. A bound view
 *   and each value keep their library loaded, so a library handle may be
 *   closed while they live: the library is unloaded after the last of them
 *   is freed.
 * - Panics never cross into C: every entry point catches them
 *   (RSL_ERROR_PANIC, a bug worth reporting) and never unwinds.
 * - Thread safety: rsl_library, rsl_bound, rsl_function, rsl_impl_list and
 *   rsl_impl are immutable once made: any number of threads may use one at
 *   once (and free it once, after all uses). rsl_view, rsl_interface,
 *   rsl_value, rsl_room and rsl_error are used by one thread at a time. A value (heap or in place) stays on the thread that made it
 *   unless its type has RSL_FLAG_SEND (rsl_bound_flags); libraries'
 *   witnesses may rely on that.
 * - Functions: rsl_function_bind checks a signature described as data
 *   against the library's function record by the one function rule
 *   (layout_meta::compat::bind_function); the host then calls the thunk
 *   (rsl_function_thunk) itself, through exactly that signature, lowered as
 *   docs/FORMAT.md ("Functions") says:
 *       typedef RSL_RET(uint64_t) ret_u64;     // a scalar result: in registers, with the status
 *       typedef ret_u64 (*widget_id_fn)(const void *w, void *ret, rsl_call_error *err);
 *       widget_id_fn call = (widget_id_fn)rsl_function_thunk(f);
 *       rsl_call_error e;                       // written only when the status is not OK
 *       ret_u64 r = call(value, NULL, &e);
 *       if (r.status != RSL_STATUS_OK)
 *           rsl_function_call_failed(f, r.status, &e, err);  // frees the library's message
 *       else
 *           use(r.value);
 *   A value passed by reference must be of the library's type:
 *   rsl_bound_type_id of its binding equals rsl_function_param_type.
 * - Owned results: a function that returns a value of an exported type
 *   (RSL_PASS_OWNED) writes it into room the caller gives, of the size and
 *   alignment of the library's type (rsl_function_result_type names it: a
 *   binding of that type has that rsl_bound_type_id). On RSL_STATUS_OK the
 *   caller owns the value and drops it exactly once through the type's
 *   witness; on any other status the room holds nothing. The room is the
 *   caller's frame (then rsl_bound_get/_set/_drop_at through a binding of
 *   the type), or the heap (rsl_room_new, then rsl_room_into_value makes
 *   it an rsl_value):
 *       typedef uint32_t (*parse_point_fn)(rsl_slice text, void *ret, rsl_call_error *err);
 *       rsl_room *room;
 *       rsl_value *p;
 *       rsl_room_new(point, &room, err);        // point: a binding of the result's type
 *       if (call(text, rsl_room_data(room), &e) == RSL_STATUS_OK)
 *           rsl_room_into_value(room, &p, err);  // owned: rsl_value_free drops it
 *       else
 *           rsl_room_free(room);                 // holds nothing
 * - Interfaces: rsl_interface_bind binds the methods a host declares
 *   (rsl_interface_add_method) to every implementation a library exports,
 *   through the code the Rust host's implementations() binds with (each
 *   method by layout_meta::compat::bind_function, the receiver being the
 *   implementing type). Each method is then an rsl_function whose
 *   parameter 0 is the receiver (rsl_impl_method), and values of the
 *   implementing type are made through its binding (rsl_impl_bound):
 *       rsl_interface *describe;
 *       rsl_interface_new("widgets", "Describe", &describe, err);
 *       const rsl_expect u64 = {RSL_EXPECT_SCALAR, "u64", 0, 0, 0, NULL};
 *       const rsl_param ret = {RSL_PASS_VALUE, &u64};
 *       rsl_interface_add_method(describe, "key", RSL_PASS_REF, NULL, 0, &ret, 1, err);  // method 0
 *       rsl_impl_list *impls;
 *       if (rsl_interface_bind(describe, lib, &impls, err) != RSL_OK) { ... }  // every mismatch
 *       for (size_t i = 0; i < rsl_impl_list_count(impls); ++i) {
 *           rsl_impl *imp; rsl_function *key; rsl_bound *type; rsl_value *v;
 *           rsl_impl_list_get(impls, i, &imp, err);
 *           rsl_impl_method(imp, 0, &key, err);
 *           rsl_impl_bound(imp, &type, err);
 *           rsl_value_new(type, &v, err);                  // the library's default witness
 *           // call rsl_function_thunk(key) as
 *           // RSL_RET(uint64_t) (*)(const void *self, void *ret, rsl_call_error *err)
 *       }
 * - Enums (docs/FORMAT.md, "Enums"): an enum view (rsl_enum_view_new) names
 *   the cases a host knows, each with the payload fields it reads, and is
 *   bound by rsl_view_bind through layout_meta::compat::bind_enum_view, the
 *   calls the Rust host's enum_view! binds with (each case by name,
 *   compat::bind_case; each payload field by the field rule as a field of
 *   `Enum::Case`, compat::bind_field_of), so a refusal is the Rust host's,
 *   word for word. A value's case is an index among the view's cases, or
 *   RSL_UNKNOWN_CASE for a case the view does not name (one a later
 *   library added: never another case); payload fields are read through
 *   tokens (rsl_bound_payload, rsl_bound_get), checked against the value's
 *   case; a case is built whole by the library's write_case witness:
 *       rsl_view *status;
 *       rsl_enum_view_new("widgets", "Status", &status, err);
 *       rsl_view_add_case(status, "Idle", err);                       // case 0
 *       rsl_view_add_case(status, "Busy", err);                       // case 1
 *       rsl_view_add_payload(status, 1, "jobs", 1, &u32, err);        // payload field 0
 *       rsl_bound *s;
 *       if (rsl_view_bind(status, lib, &s, err) != RSL_OK) { ... }   // "case `Status::Busy` is missing ..."
 *       rsl_field jobs;
 *       rsl_bound_payload(s, 1, "jobs", NULL, &jobs, err);
 *       uint32_t n = 3;
 *       const void *payload[] = {&n};
 *       rsl_value *v;
 *       rsl_value_new_case(s, 1, payload, 1, &v, err);                // the library's write_case
 *       size_t c;
 *       rsl_value_case(v, &c, err);                                   // 1, or RSL_UNKNOWN_CASE
 *       if (c == 1) rsl_value_get(v, jobs, &n, sizeof n, err);
 *   An enum binding is an rsl_bound like any other: values are made,
 *   copied and dropped through it, functions take and return them.
 * - Field tokens (rsl_field) are plain data. Each binding (each successful
 *   rsl_view_bind) has an id that no other binding in the process ever gets,
 *   so a token is accepted only on values of the binding it came from: a
 *   token kept after its library was unloaded, or taken from another view,
 *   is refused with RSL_ERROR_BINDING, not read at a stale offset.
 */
#ifndef RESILIENT_RESILIENT_H
#define RESILIENT_RESILIENT_H

#include <stddef.h>
#include <stdint.h>

#include "resilient/layout.h"

#ifdef __cplusplus
extern "C" {
#endif

/* What a call did. */
typedef enum rsl_status {
    RSL_OK = 0,             /* success */
    RSL_ABSENT = 1,         /* success: the optional field is absent from this library */
    RSL_ERROR_NULL = 2,     /* a NULL handle, string or output pointer */
    RSL_ERROR_ARGUMENT = 3, /* not UTF-8, a malformed view, a field the view does not declare so */
    RSL_ERROR_OPEN = 4,     /* the library cannot be opened, or its metadata is refused */
    RSL_ERROR_BIND = 5,     /* the view does not bind (every mismatch in the message) */
    RSL_ERROR_BINDING = 6,  /* a token of another binding (view, type, library) */
    RSL_ERROR_VALUE = 7,    /* wrong size, invalid bytes for bool/char, not a by-value field */
    RSL_ERROR_WITNESS = 8,  /* the type has no default or clone witness */
    RSL_ERROR_ROOM = 9,     /* room for a value is NULL, too small or misaligned */
    RSL_ERROR_ALLOC = 10,   /* out of memory, or a size no allocation can have */
    RSL_ERROR_PANIC = 11,   /* a bug: a panic was caught at the boundary */
    RSL_ERROR_CALL = 12,    /* a called function failed or threw (rsl_function_call_failed) */
    RSL_ERROR_CASE = 13,    /* a payload field read from a value in another case than its own */
    RSL_ERROR_CONSTRUCT = 14, /* a case this host cannot build (a payload field it does not name, no write_case) */
    RSL_ERROR_UTF8 = 15     /* text that is not UTF-8 (written to a text field, or read by rsl_bound_text) */
} rsl_status;

/* An error's code and message. */
typedef struct rsl_error rsl_error;
/* An opened library whose metadata was validated. */
typedef struct rsl_library rsl_library;
/* A view described as data: what a host needs of one foreign type. */
typedef struct rsl_view rsl_view;
/* A view bound to a type of a library: tokens, size, alignment. */
typedef struct rsl_bound rsl_bound;
/* A value of a bound type on the heap. */
typedef struct rsl_value rsl_value;
/* A function of a library bound to a signature: its thunk. */
typedef struct rsl_function rsl_function;
/* Room on the heap for a value of a bound type, holding none yet. */
typedef struct rsl_room rsl_room;
/* An interface described as data: the methods a host calls. */
typedef struct rsl_interface rsl_interface;
/* The implementations of an interface a library exports, bound. */
typedef struct rsl_impl_list rsl_impl_list;
/* One type's implementation of an interface, bound: its methods and values. */
typedef struct rsl_impl rsl_impl;

/* A field token: plain data, copy it freely. Accepted only by the binding
 * whose id it carries, with the offset it was given. */
typedef struct rsl_field {
    uint64_t binding; /* the binding's id (never 0 for a real token) */
    size_t offset;    /* the field's byte offset in values of the bound type */
    uint32_t index;   /* the field's index in the view */
} rsl_field;

/* rsl_expect.kind */
#define RSL_EXPECT_SCALAR 1u /* by name: u8 u16 u32 u64 u128 usize i8 ... i128 isize f32 f64 bool char */
#define RSL_EXPECT_ARRAY 2u  /* `count` elements of `*element` */
#define RSL_EXPECT_NESTED 3u /* a nested resilient type, by name (access RSL_NESTED) */
#define RSL_EXPECT_OPAQUE 4u /* a named type of fixed layout: name, size, align */

/* How a view reaches a field (rsl_view_add_field). */
#define RSL_BY_VALUE 0 /* read and written by value */
#define RSL_NESTED 1   /* a nested resilient type, through a view of its own */
#define RSL_TEXT 2          /* text (String, std::string) through the library's accessors; `expected` ignored */
#define RSL_OPTIONAL_TEXT 3 /* as RSL_TEXT, a field that may hold nothing (Option<String>) */
#define RSL_ELEMENTS 4      /* elements (Vec<T>, std::vector<T>) through the library's accessors; `expected`: the element */

/* The type a view expects a field to have. Read during the call that takes
 * it, never kept: the caller owns it. Scalars are named only (their size is
 * this target's); arrays nest at most 16 deep. */
typedef struct rsl_expect {
    uint32_t kind;                   /* RSL_EXPECT_* */
    const char *name;                /* scalar, opaque or nested name; NULL for arrays */
    size_t size;                     /* opaque only */
    size_t align;                    /* opaque only */
    size_t count;                    /* arrays only */
    const struct rsl_expect *element; /* arrays only */
} rsl_expect;

/* Room in the caller's frame for a value (RSL_DYNAMIC_LOCAL in C++): values
 * up to RSL_INLINE_CAP bytes, aligned at most RSL_INLINE_ALIGN, fit a buffer
 * of that size and alignment; larger ones belong on the heap. The same
 * numbers as Rust's with_stack (SMALL_STACK, INLINE_ALIGN). */
#define RSL_INLINE_CAP 2048u
#define RSL_INLINE_ALIGN 64u

/* ------------------------------------------------------------------ errors */

/* A new, empty error (RSL_OK, message ""), to pass to any number of calls.
 * Freed by rsl_error_free. NULL if memory is exhausted. */
rsl_error *rsl_error_new(void);
/* Frees an error. NULL is ignored. */
void rsl_error_free(rsl_error *err);
/* The message of the last failure written into `err`: "" if none or if
 * `err` is NULL. Owned by `err`, valid until it is freed or written again. */
const char *rsl_error_message(const rsl_error *err);
/* The code of the last failure written into `err` (RSL_OK if none, or NULL). */
rsl_status rsl_error_status(const rsl_error *err);

/* ----------------------------------------------------------------- library */

/* Opens the library at `path` (runs its initialisers: code is trusted) and
 * validates its metadata through bounded reads (metadata is not trusted):
 * resilient_loader::Library::open. On success *out is a new handle, freed
 * by rsl_library_close. RSL_ERROR_OPEN with the Rust loader's message
 * otherwise (*out untouched). */
rsl_status rsl_library_open(const char *path, rsl_library **out, rsl_error *err);
/* Frees a library handle. NULL is ignored. The library stays loaded while
 * bound views or values made from it live. */
void rsl_library_close(rsl_library *lib);
/* The path the library was opened by. Owned by `lib`. */
const char *rsl_library_path(const rsl_library *lib);
/* The module's name. Owned by `lib`. */
const char *rsl_library_module(const rsl_library *lib);
/* The module's semver version. Owned by `lib`. */
const char *rsl_library_version(const rsl_library *lib);

/* -------------------------------------------------------------------- views */

/* A new view of type `type_name` of module `module`, with no fields: *out,
 * freed by rsl_view_free. */
rsl_status rsl_view_new(const char *module, const char *type_name, rsl_view **out, rsl_error *err);
/* Frees a view. NULL is ignored. Bindings made from it do not need it. */
void rsl_view_free(rsl_view *view);
/* Adds field `name`: required (nonzero) or optional (0), reached by
 * `access`, of the type `expected` describes (read during the call only):
 * RSL_BY_VALUE (a stored field, or one the library computes: read and
 * written with rsl_bound_get/set alike), RSL_NESTED, RSL_ELEMENTS
 * (`expected` is the element type), RSL_TEXT or RSL_OPTIONAL_TEXT
 * (`expected` is ignored and may be NULL). Its index is the number of
 * fields added before it. RSL_ERROR_ARGUMENT for an unknown scalar name or
 * access, a malformed type, an empty or repeated field name. */
rsl_status rsl_view_add_field(rsl_view *view, const char *name, int required, int access,
                              const rsl_expect *expected, rsl_error *err);
/* Adds nested field `name`, required (nonzero) or optional (0), reached
 * through `nested`, a view of the nested type (a struct or an enum view) (copied during the call: the
 * caller keeps and frees it; it may be `view` itself, as it is now). The
 * field must hold the resilient type `nested` is of; binding also binds
 * `nested` against the library's type of that name (the nested rule,
 * layout_meta::compat::bind_nested), reporting its mismatches with this
 * view's, in the Rust host's order (as its Nested<V> does). Its index is
 * the number of fields added before it. RSL_ERROR_ARGUMENT for an empty or
 * repeated name, a nested view of another module, views nested more
 * than 32 deep, or a view that would hold more than 65536 fields counting
 * its nested views' (each as many times as it is nested: binding visits
 * each once). */
rsl_status rsl_view_add_nested(rsl_view *view, const char *name, int required, const rsl_view *nested,
                               rsl_error *err);
/* Expects the type frozen, with exactly the layout of `fingerprint`. */
rsl_status rsl_view_set_frozen(rsl_view *view, uint64_t fingerprint, rsl_error *err);
/* Binds `view` to `lib` by the one view rule (layout_meta::compat::bind_view
 * against the library's validated module): module, type, frozen layout,
 * every field's presence and type, nested types, and the views of nested
 * fields added with rsl_view_add_nested (an enum view's among them). An
 * enum view (rsl_enum_view_new) is bound by the enum view rule
 * (layout_meta::compat::bind_enum_view): module, type, an enum, each case
 * by name and each payload field. On success *out is a new binding with a
 * fresh id, freed by rsl_bound_free; it keeps the library loaded.
 * RSL_ERROR_BIND otherwise, with the Rust binder's message listing every
 * mismatch. */
rsl_status rsl_view_bind(const rsl_view *view, const rsl_library *lib, rsl_bound **out, rsl_error *err);

/* ------------------------------------------------------------------- bound */

/* Frees a binding. NULL is ignored. Values made from it hold it and stay
 * valid; its tokens stay usable on those values only. */
void rsl_bound_free(rsl_bound *bound);
/* The id this binding's tokens carry. */
uint64_t rsl_bound_binding(const rsl_bound *bound);
/* The bound type's name. Owned by `bound`. */
const char *rsl_bound_type_name(const rsl_bound *bound);
/* The bound type's size, alignment and stride in bytes, from the library's
 * validated layout: what room for a value needs. */
size_t rsl_bound_size(const rsl_bound *bound);
size_t rsl_bound_align(const rsl_bound *bound);
size_t rsl_bound_stride(const rsl_bound *bound);
/* The bound type's flags (RSL_FLAG_* of resilient/layout.h). */
uint32_t rsl_bound_flags(const rsl_bound *bound);
/* The id of the library's type this view is bound to: the same for every
 * binding of that type of that loaded library, never given to another type
 * or library in the process (0 for NULL). A function's reference parameter
 * takes values whose binding has the id rsl_function_param_type gives. */
uint64_t rsl_bound_type_id(const rsl_bound *bound);
/* The number of fields of the view. */
size_t rsl_bound_field_count(const rsl_bound *bound);
/* The token of the view's field `index` in *out: RSL_OK, or RSL_ABSENT for
 * an optional field this library lacks (*out untouched). */
rsl_status rsl_bound_field(const rsl_bound *bound, size_t index, rsl_field *out, rsl_error *err);
/* The token of the view's field `name`, to be used as type `as` reached by
 * `access` (`as` NULL: as the view declared it; for RSL_TEXT and
 * RSL_OPTIONAL_TEXT any non-NULL `as`: text is `str`). RSL_OK, RSL_ABSENT,
 * or RSL_ERROR_ARGUMENT if the view does not declare the field so (the
 * types are compared by the one identity rule). */
rsl_status rsl_bound_field_named(const rsl_bound *bound, const char *name, const rsl_expect *as, int access,
                                 rsl_field *out, rsl_error *err);

/* The binding of the view of nested field `index` (added with
 * rsl_view_add_nested): *out, a new handle freed by rsl_bound_free, whose
 * tokens read and write the nested value (at rsl_bound_nested_at). Bound
 * with the outer view, from the same library; it keeps the library loaded.
 * RSL_ABSENT for an optional field this library lacks (*out untouched);
 * RSL_ERROR_ARGUMENT for an index out of range or a field added without a
 * view of its own. */
rsl_status rsl_bound_nested(const rsl_bound *bound, size_t index, rsl_bound **out, rsl_error *err);
/* The address of the nested value field `field` holds in the value at
 * `value` (value plus the field's offset), in *out, once `field` is checked
 * to be this binding's token of a nested field: a live value of the nested
 * type for as long as the outer value lives (read and write it through a
 * binding of the nested type, e.g. rsl_bound_nested's). Nothing is read.
 * RSL_ERROR_BINDING for a token of another binding; RSL_ERROR_ARGUMENT for
 * a field read by value. */
rsl_status rsl_bound_nested_at(const rsl_bound *bound, void *value, rsl_field field, void **out, rsl_error *err);

/* Values in the caller's room: `room` is writable for `room_size` bytes,
 * aligned to rsl_bound_align and at least rsl_bound_size bytes (else
 * RSL_ERROR_ROOM), holds no live value, and outlives the value. Each value
 * made here is dropped exactly once with rsl_bound_drop_at. */

/* A default value (the library's default witness, or zeros for plain old
 * data) in `room`. RSL_ERROR_WITNESS if the type has neither. */
rsl_status rsl_bound_init_at(const rsl_bound *bound, void *room, size_t room_size, rsl_error *err);
/* A copy of the live value at `src` (clone witness, or bitwise for plain old
 * data) in `room`, which must not overlap it. RSL_ERROR_ARGUMENT if `src` is
 * not aligned to rsl_bound_align (the clone witness takes it as a
 * reference). */
rsl_status rsl_bound_clone_at(const rsl_bound *bound, void *room, size_t room_size, const void *src,
                              rsl_error *err);
/* Drops the value at `value` (drop witness, if any): one made by
 * rsl_bound_init_at or rsl_bound_clone_at, or an owned result of a
 * function that returns this type, written there. NULL is ignored. */
void rsl_bound_drop_at(const rsl_bound *bound, void *value);
/* Reads field `field` of the live value at `value` into `out`, `size` bytes
 * (exactly the field's: else RSL_ERROR_VALUE). RSL_ERROR_BINDING for a token
 * of another binding; RSL_ERROR_VALUE if the value holds bytes that are not
 * a bool (0/1) or a char (a Unicode scalar value) where the field is one.
 * `out` must not overlap the value (as for memcpy). */
rsl_status rsl_bound_get(const rsl_bound *bound, const void *value, rsl_field field, void *out, size_t size,
                         rsl_error *err);
/* Writes field `field` of the live value at `value` from `in`, `size` bytes:
 * the bytes must be a valid value of the field's type (a bool 0 or 1, a char
 * a Unicode scalar value), or nothing is written (RSL_ERROR_VALUE). `in`
 * must not overlap the value (as for memcpy). */
rsl_status rsl_bound_set(const rsl_bound *bound, void *value, rsl_field field, const void *in, size_t size,
                         rsl_error *err);

/*
 * Text and elements fields (RSL_TEXT, RSL_OPTIONAL_TEXT, RSL_ELEMENTS):
 * the library keeps them in types of its own (String, Vec<T>, std::string,
 * std::vector<T>) and reaches them through its accessors (layout.h,
 * rsl_accessor_descriptor). Nothing is ever freed by the caller: borrowed
 * contents belong to the value, and a replacement is copied by the
 * library's own allocator. A field reached by value (RSL_BY_VALUE) is
 * refused here (RSL_ERROR_ARGUMENT), and a text or elements field by
 * rsl_bound_get/set (RSL_ERROR_VALUE); a token of another binding is
 * RSL_ERROR_BINDING. A library's computed field needs nothing of this: it
 * is a by-value field, read and written by one call to its getter or
 * setter inside rsl_bound_get/set.
 */

/* Borrows field `field` of the live value at `value` through the library's
 * getter: *out holds the contents, borrowed from the value (valid until it
 * is next written or dropped), `len` counting bytes (text) or elements.
 * Text is given as the library holds it, not checked to be UTF-8 (a
 * std::string may hold any bytes: see rsl_bound_text). out->ptr is NULL
 * only for an optional text field that holds nothing; otherwise it is
 * aligned for the element, even when `len` is 0. */
rsl_status rsl_bound_borrow(const rsl_bound *bound, const void *value, rsl_field field, rsl_slice *out,
                            rsl_error *err);
/* As rsl_bound_borrow, for a text field only, checked to be UTF-8 (what the
 * Rust host's `text` reads): RSL_ERROR_UTF8 (the Rust host's message,
 * *out untouched) for bytes that are not; RSL_ERROR_ARGUMENT for an
 * elements field. */
rsl_status rsl_bound_text(const rsl_bound *bound, const void *value, rsl_field field, rsl_slice *out,
                          rsl_error *err);
/* Replaces field `field` of the live value at `value` with a copy, made and
 * later freed by the library, of `len` bytes (text) or elements at `ptr`
 * (the caller keeps its buffer). `ptr` NULL stores nothing: an optional
 * text field only (else RSL_ERROR_NULL). Text must be UTF-8, else nothing
 * is written (RSL_ERROR_UTF8); elements must be aligned for their type
 * (else RSL_ERROR_ARGUMENT). */
rsl_status rsl_bound_replace(const rsl_bound *bound, void *value, rsl_field field, const void *ptr, size_t len,
                             rsl_error *err);

/* ------------------------------------------------------------------ values */

/* A new default value of the bound type on the heap: *out, freed by
 * rsl_value_free. It holds the binding (and so the library). RSL_ERROR_ALLOC
 * if the type's size cannot be allocated. */
rsl_status rsl_value_new(const rsl_bound *bound, rsl_value **out, rsl_error *err);
/* A copy of `value` on the heap (clone witness): *out, freed by
 * rsl_value_free. */
rsl_status rsl_value_clone(const rsl_value *value, rsl_value **out, rsl_error *err);
/* Drops (drop witness) and frees a value. NULL is ignored. */
void rsl_value_free(rsl_value *value);
/* The address of the value's bytes (aligned to the type), valid until the
 * value is freed. NULL for NULL. */
void *rsl_value_data(rsl_value *value);
/* As rsl_bound_get and rsl_bound_set, on a heap value (its own binding). */
rsl_status rsl_value_get(const rsl_value *value, rsl_field field, void *out, size_t size, rsl_error *err);
rsl_status rsl_value_set(rsl_value *value, rsl_field field, const void *in, size_t size, rsl_error *err);
/* As rsl_bound_borrow and rsl_bound_replace, on a heap value (its own
 * binding). (rsl_bound_text(bound, rsl_value_data(value), ...) checks text.) */
rsl_status rsl_value_borrow(const rsl_value *value, rsl_field field, rsl_slice *out, rsl_error *err);
rsl_status rsl_value_replace(rsl_value *value, rsl_field field, const void *ptr, size_t len, rsl_error *err);

/* -------------------------------------------------------------------- room */

/* Room on the heap for one value of the bound type (its size and
 * alignment), holding none yet: *out, where a function's owned result is
 * written (rsl_room_data). Made a value by rsl_room_into_value, or freed by
 * rsl_room_free. RSL_ERROR_ALLOC if the type's size cannot be allocated. */
rsl_status rsl_room_new(const rsl_bound *bound, rsl_room **out, rsl_error *err);
/* The room's address, aligned to the type (NULL for NULL). */
void *rsl_room_data(rsl_room *room);
/* After a call returned RSL_STATUS_OK with an owned result written at
 * rsl_room_data(room): the value, as a heap value of the room's binding
 * (*out, freed by rsl_value_free, which drops it). The room handle is
 * consumed on success (not freed again), untouched on error. Call it only
 * for a room holding such a value: the value is dropped later. */
rsl_status rsl_room_into_value(rsl_room *room, rsl_value **out, rsl_error *err);
/* Frees a room holding no value (the call failed): nothing is dropped.
 * NULL is ignored. */
void rsl_room_free(rsl_room *room);

/* ------------------------------------------------------------------- enums */

/* What rsl_bound_case and rsl_value_case give for a value in a case the
 * enum view does not name. */
#define RSL_UNKNOWN_CASE ((size_t)-1)

/* A new view of enum `type_name` of module `module`, with no cases: *out,
 * freed by rsl_view_free, bound by rsl_view_bind (and nested in a struct
 * view by rsl_view_add_nested) like a struct view. A case the enum has
 * that the view does not name reads as RSL_UNKNOWN_CASE.
 * RSL_ERROR_ARGUMENT for an empty name. */
rsl_status rsl_enum_view_new(const char *module, const char *type_name, rsl_view **out, rsl_error *err);
/* Adds case `name` to an enum view: binding requires the enum to have a
 * case of that name (its tag is the library's own). Its index is the
 * number of cases added before it. RSL_ERROR_ARGUMENT for a struct view,
 * an empty or repeated name, or more than 4,096 cases. (rsl_view_add_field
 * and rsl_view_add_nested refuse an enum view the same way.) */
rsl_status rsl_view_add_case(rsl_view *view, const char *name, rsl_error *err);
/* Adds payload field `name` of case `case` (an index from
 * rsl_view_add_case) to an enum view, required (nonzero) or optional (0),
 * read by value as the type `expected` describes (read during the call
 * only): bound by the field rule as a field of `Enum::Case`. Its index,
 * for rsl_bound_field, is the number of payload fields added before it, to
 * any case. RSL_ERROR_ARGUMENT for a struct view, a case out of range, an
 * unknown scalar name or malformed type, an empty or repeated name. */
rsl_status rsl_view_add_payload(rsl_view *view, size_t case_index, const char *name, int required,
                                const rsl_expect *expected, rsl_error *err);
/* The number of cases the bound enum view names (0 for a struct view or
 * NULL). */
size_t rsl_bound_case_count(const rsl_bound *bound);
/* The name of the bound enum view's case `index`, owned by `bound` (""
 * out of range or for NULL). */
const char *rsl_bound_case_name(const rsl_bound *bound, size_t index);
/* The case of the live value at `value` (of the bound type): *out is its
 * index among the view's cases, or RSL_UNKNOWN_CASE, read from the value's
 * plain tag or by the library's case_of witness. RSL_ERROR_ARGUMENT for a
 * struct view's binding. */
rsl_status rsl_bound_case(const rsl_bound *bound, const void *value, size_t *out, rsl_error *err);
/* As rsl_bound_case, on a heap value (its own binding). */
rsl_status rsl_value_case(const rsl_value *value, size_t *out, rsl_error *err);
/* The token of payload field `name` of the view's case `case_index`, to be
 * read as `as` (NULL: as the view declared it): RSL_OK, RSL_ABSENT for an
 * optional field this library lacks (*out untouched), or
 * RSL_ERROR_ARGUMENT if the view does not declare it so. Read it with
 * rsl_bound_get or rsl_value_get, which refuse a value in another case
 * (RSL_ERROR_CASE) and, as for every payload field, a write. */
rsl_status rsl_bound_payload(const rsl_bound *bound, size_t case_index, const char *name, const rsl_expect *as,
                             rsl_field *out, rsl_error *err);
/* As rsl_bound_payload, for the view's payload field `position` of the case
 * (in the order the view declared the case's fields): what a host checks
 * the values it builds the case from with. RSL_ERROR_ARGUMENT for a
 * position out of range. */
rsl_status rsl_bound_payload_at(const rsl_bound *bound, size_t case_index, size_t position, const rsl_expect *as,
                                rsl_field *out, rsl_error *err);
/* Writes a value of the view's case `case_index` into `room` (`room_size`
 * bytes, as rsl_bound_init_at's room), built by the library's write_case
 * witness from `values`: `count` pointers, one per payload field the view
 * declared for the case, in the order it declared them, each to a value of
 * the field's type (a bool 0 or 1, a char a Unicode scalar value: checked
 * first; NULL only for an optional field this library lacks), at any
 * alignment (an unaligned one is copied first). The values are copied, not
 * consumed. Dropped with rsl_bound_drop_at exactly once.
 * RSL_ERROR_CONSTRUCT with the Rust host's message if the library's case
 * has a payload field the view does not name, or the library builds none;
 * RSL_ERROR_ARGUMENT for a case out of range or another count;
 * RSL_ERROR_ALLOC if an unaligned value cannot be copied; nothing is
 * written on error. */
rsl_status rsl_bound_write_case(const rsl_bound *bound, size_t case_index, const void *const *values, size_t count,
                                void *room, size_t room_size, rsl_error *err);
/* As rsl_bound_write_case, on the heap: *out, freed by rsl_value_free. */
rsl_status rsl_value_new_case(const rsl_bound *bound, size_t case_index, const void *const *values, size_t count,
                              rsl_value **out, rsl_error *err);

/* --------------------------------------------------------------- functions */

/* A parameter or result of a function, described as data: how it crosses
 * (RSL_PASS_* of layout.h) and its type. `type` is a scalar for
 * RSL_PASS_VALUE (parameters and results) and RSL_PASS_SLICE (the element),
 * the exported type referred to as RSL_EXPECT_NESTED for RSL_PASS_REF,
 * RSL_PASS_MUT and RSL_PASS_OPT_REF (parameters only) and RSL_PASS_OWNED
 * (the result only: a value the caller then owns), and is ignored (may be
 * NULL) for RSL_PASS_STR (parameters) and RSL_PASS_UNIT (the result). Read
 * during the call that takes it, never kept. */
typedef struct rsl_param {
    uint32_t pass;
    const rsl_expect *type;
} rsl_param;

/* A thunk's address, typed only as code. */
typedef void (*rsl_thunk)(void);

/* Binds function `name` of module `module` in `lib` with `param_count`
 * parameters (`params`: NULL only if 0; at most 64) and the result `result`
 * (never NULL: {RSL_PASS_UNIT, NULL} for none), by the one function rule
 * (layout_meta::compat::bind_function, as the Rust host's api! binds): the
 * library's function of that name has the same number of parameters, each
 * passed the same way with the same type, and the same result. On success
 * *out is a new bound function, freed by rsl_function_free; it keeps the
 * library loaded. RSL_ABSENT if `required` is 0 and the library has no
 * such function (*out untouched). RSL_ERROR_BIND with the Rust binder's
 * message (naming the function and the first parameter that differs, with
 * both types) otherwise; RSL_ERROR_ARGUMENT for a description no caller can
 * make (a pass code a parameter or result cannot have, a type of the wrong
 * kind for it). */
rsl_status rsl_function_bind(const rsl_library *lib, const char *module, const char *name, const rsl_param *params,
                             size_t param_count, const rsl_param *result, int required, rsl_function **out,
                             rsl_error *err);
/* Frees a bound function. NULL is ignored. Its thunk must not be called
 * afterwards (the library may be unloaded). */
void rsl_function_free(rsl_function *f);
/* The function's thunk (NULL for NULL): cast it to exactly the signature
 * the function was bound with, lowered by pass code (docs/FORMAT.md,
 * "Functions"),
 *     RSL_RET(T) thunk(P0 p0, ..., Pn pn, void *ret, rsl_call_error *err);
 * for a result T passed by value (RSL_PASS_VALUE; `ret` unused, NULL), or
 *     uint32_t thunk(P0 p0, ..., Pn pn, R *ret, rsl_call_error *err);
 * for any other result, and call it while `f` lives. RSL_PASS_REF/_MUT/_OPT_REF cross as a pointer
 * to a live value of the library's type (NULL only for _OPT_REF; a value
 * passed as _MUT is passed once), STR and SLICE as an rsl_slice whose
 * pointer is never NULL (an empty one points at any aligned address); an
 * RSL_PASS_OWNED result's `ret` is room for a value of the type
 * rsl_function_result_type names ("Owned results" above). A
 * Rust library relies on every value being one of its Rust type: a bool 0
 * or 1, a char a Unicode scalar value, a STR's bytes UTF-8 (the C++ client
 * checks these). The status (the RSL_RET's, or the one returned) is
 * RSL_STATUS_OK (the result is in the RSL_RET's value or in *ret), or
 * anything else: then the thunk wrote `err` (it need not be initialised);
 * pass both to rsl_function_call_failed. Thread safety: as the library's function. */
rsl_thunk rsl_function_thunk(const rsl_function *f);
/* The function's name. Owned by `f`. */
const char *rsl_function_name(const rsl_function *f);
/* For an owned result (RSL_PASS_OWNED): the id of the library's type it is
 * a value of (rsl_bound_type_id of that type's bindings, which give its
 * size and alignment); 0 for any other result, or NULL. */
uint64_t rsl_function_result_type(const rsl_function *f);
/* The number of parameters (0 for NULL). */
size_t rsl_function_param_count(const rsl_function *f);
/* For reference parameter `index`: the id of the library's type its values
 * must have (rsl_bound_type_id of their binding); 0 for other parameters,
 * an index out of range, or NULL. A value of another type, library or
 * version must not be passed. */
uint64_t rsl_function_param_type(const rsl_function *f, size_t index);
/* After a call of f's thunk returned `status` (not RSL_STATUS_OK): reads the
 * message the thunk left in `call`, frees it with the library's own free
 * (exactly once, even if `f` is NULL; `call` is emptied), and writes the
 * Rust host's error into `err`: "`parse_id` of widgets 1.0.0 (path) failed:
 * <message>" for RSL_STATUS_FAILED, "<message> (in widgets 1.0.0 (path); the
 * panic was caught)" for a panic or exception. Returns RSL_ERROR_CALL
 * (RSL_ERROR_NULL for a NULL `f`). */
rsl_status rsl_function_call_failed(const rsl_function *f, uint32_t status, rsl_call_error *call, rsl_error *err);

/* -------------------------------------------------------------- interfaces */

/* A new interface `name` of module `module` with no methods: *out, freed by
 * rsl_interface_free. Bound with no methods, it enumerates the types that
 * implement the interface. RSL_ERROR_ARGUMENT for an empty name. */
rsl_status rsl_interface_new(const char *module, const char *name, rsl_interface **out, rsl_error *err);
/* Frees an interface. NULL is ignored. Implementations bound from it do not
 * need it. */
void rsl_interface_free(rsl_interface *iface);
/* Adds method `name`: the receiver `receiver` (RSL_PASS_REF for &self,
 * RSL_PASS_MUT for &mut self: a value of the implementing type, whichever
 * it is), then `param_count` further parameters (`params`: NULL only if 0;
 * at most 63) and the result `result` (never NULL: {RSL_PASS_UNIT, NULL}
 * for none), described as for rsl_function_bind (a reference parameter
 * names its exported type); required (nonzero: every implementation must
 * have it) or optional (0). Its index, for rsl_impl_method, is the number
 * of methods added before it. RSL_ERROR_ARGUMENT for an empty or repeated
 * name, another receiver, or a description no caller can make. */
rsl_status rsl_interface_add_method(rsl_interface *iface, const char *name, uint32_t receiver, const rsl_param *params,
                                    size_t param_count, const rsl_param *result, int required, rsl_error *err);
/* Binds `iface` to every implementation of it that `lib` exports, through
 * the code the Rust host's implementations() binds with: each declared
 * method by the one function rule (layout_meta::compat::bind_function), the
 * receiver being the implementing type. Methods a type has and the
 * interface does not declare do not matter. On success *out is a new list
 * (empty if no type implements the interface), freed by rsl_impl_list_free;
 * its implementations keep the library loaded. RSL_ERROR_BIND otherwise,
 * with the Rust binder's message listing every mismatch of every
 * implementation, each naming the type, the interface, the method and the
 * parameter ("`Widget` as `Describe`: function `key` returns u64, the
 * client expects u32"), or the other module. */
rsl_status rsl_interface_bind(const rsl_interface *iface, const rsl_library *lib, rsl_impl_list **out, rsl_error *err);
/* Frees a list. NULL is ignored. Implementations taken from it stay valid. */
void rsl_impl_list_free(rsl_impl_list *list);
/* The number of implementations in the list (0 for NULL). */
size_t rsl_impl_list_count(const rsl_impl_list *list);
/* Implementation `index` of the list: *out, a new handle freed by
 * rsl_impl_free. RSL_ERROR_ARGUMENT for an index out of range. */
rsl_status rsl_impl_list_get(const rsl_impl_list *list, size_t index, rsl_impl **out, rsl_error *err);
/* Frees an implementation. NULL is ignored. Its methods (rsl_impl_method)
 * and binding (rsl_impl_bound) stay valid. */
void rsl_impl_free(rsl_impl *imp);
/* The implementing type's name and the interface's. Owned by `imp` ("" for
 * NULL). */
const char *rsl_impl_type_name(const rsl_impl *imp);
const char *rsl_impl_interface(const rsl_impl *imp);
/* The id of the implementing type (0 for NULL): rsl_bound_type_id of its
 * bindings, and the type every method's receiver takes. */
uint64_t rsl_impl_type_id(const rsl_impl *imp);
/* The number of methods the interface declared when it was bound (0 for
 * NULL). */
size_t rsl_impl_method_count(const rsl_impl *imp);
/* Declared method `index`: *out, a new bound function freed by
 * rsl_function_free, whose parameter 0 is the receiver. Call its thunk
 * (rsl_function_thunk) exactly as rsl_function_thunk says, the receiver
 * first (a pointer to a live value of the implementing type:
 * rsl_function_param_type of parameter 0 is rsl_impl_type_id), and report
 * a failed call with rsl_function_call_failed. RSL_ABSENT for an optional
 * method this type lacks (*out untouched); RSL_ERROR_ARGUMENT for an index
 * out of range. */
rsl_status rsl_impl_method(const rsl_impl *imp, size_t index, rsl_function **out, rsl_error *err);
/* A binding of the implementing type with no fields: *out, freed by
 * rsl_bound_free. Values of the type are made, copied and dropped through
 * it by the library's witnesses (rsl_value_new, rsl_bound_init_at, ...):
 * what the methods take. */
rsl_status rsl_impl_bound(const rsl_impl *imp, rsl_bound **out, rsl_error *err);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* RESILIENT_RESILIENT_H */
