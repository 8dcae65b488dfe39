/*
 * resilient/layout.h: the resilient layout metadata format, version 1, as C
 * declarations (C99 and C++17).
 *
 * docs/FORMAT.md documents every byte. A test compiles this header as C and
 * as C++ and compares the size of every record and the offset of every field
 * with the Rust definitions (crates/layout-meta/src/format.rs), so the two
 * cannot drift.
 *
 * Ownership and lifetime: every record lives in the image of the library that
 * exports it. It is immutable, owned by that library, and valid for exactly
 * as long as the library stays loaded; nothing here is ever freed by a
 * reader. Records read from a library are untrusted until validated: follow
 * a pointer only after checking that it stays inside the library's image
 * (the Rust and C++ validators do).
 *
 * Thread safety: records are immutable, so any number of threads may read
 * them at once.
 */
#ifndef RESILIENT_LAYOUT_H
#define RESILIENT_LAYOUT_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The eight bytes every manifest starts with. */
#define RSL_MAGIC "RSLNTMF"            /* followed by a NUL: 8 bytes */
/* The format version these declarations describe. */
#define RSL_FORMAT_VERSION 1u
/* The symbol under which a library exports its manifest. */
#define RSL_MANIFEST_SYMBOL "resilient_manifest"
/* The ELF section that holds pointers to a client's view records. */
#define RSL_VIEWS_SECTION "resilient_views"

/* rsl_manifest.endianness */
#define RSL_LITTLE_ENDIAN 1u
#define RSL_BIG_ENDIAN 2u

/* rsl_type_descriptor.flags */
#define RSL_FLAG_FROZEN 1u       /* the layout never changes */
#define RSL_FLAG_NEEDS_DROP 2u   /* the drop witness is present */
#define RSL_FLAG_CLONABLE 4u     /* the clone witness is present */
#define RSL_FLAG_DEFAULT_INIT 8u /* the default_init witness is present */
#define RSL_FLAG_POD 16u         /* no drop, bitwise clone, zero is a value */
#define RSL_FLAG_SEND 32u        /* values may move to another thread */
#define RSL_FLAG_ENUM 64u        /* an enum: enum_info describes its cases (format 1.2) */

/* rsl_type_identity.kind */
#define RSL_KIND_SCALAR 1u    /* a primitive, by canonical name (u32, f64...) */
#define RSL_KIND_ARRAY 2u     /* count elements of *element */
#define RSL_KIND_RESILIENT 3u /* a nested resilient type, by name */
#define RSL_KIND_OPAQUE 4u    /* a named type of fixed layout */

/* A UTF-8 string, not NUL-terminated. Points into the library image. */
typedef struct rsl_str {
    const char *ptr; /* UTF-8 bytes (declared char for constant initialisation in C++) */
    size_t len;
} rsl_str;

/* Destroys the value at `value` in place. Never unwinds. */
typedef void (*rsl_drop_fn)(void *value);
/* Writes a copy of `*src` into uninitialised `dst`. Never unwinds. */
typedef void (*rsl_clone_fn)(void *dst, const void *src);
/* Writes a new default value into uninitialised `dst`. Never unwinds. */
typedef void (*rsl_default_init_fn)(void *dst);

/*
 * The library's own code for values of a type. NULL where the type has no
 * such witness. The caller passes memory of the type's size and alignment,
 * and calls `drop` exactly once for each value `clone` or `default_init`
 * made. Values made by witnesses may own library allocations: only the
 * library's `drop` frees them.
 */
typedef struct rsl_value_witnesses {
    rsl_drop_fn drop;
    rsl_clone_fn clone;
    rsl_default_init_fn default_init;
} rsl_value_witnesses;

/* What a field's type is. `element` points to another identity in the
 * same image (arrays only; NULL otherwise). */
typedef struct rsl_type_identity {
    uint32_t kind;
    uint32_t reserved;
    rsl_str name;
    size_t size;
    size_t align;
    size_t count;
    const struct rsl_type_identity *element;
} rsl_type_identity;

/* One exported field. Its size and alignment are its identity's. */
typedef struct rsl_field_descriptor {
    rsl_str name;
    size_t offset;
    rsl_type_identity identity;
} rsl_field_descriptor;

/* rsl_enum_descriptor.enum_flags (format 1.2). */
#define RSL_ENUM_TAG_PLAIN 1u     /* the tag: tag_size bytes at tag_offset, a case's `tag` */
#define RSL_ENUM_PAYLOAD_PLAIN 2u /* payload offsets are from the value's start */

/* One case of an enum: its name, its plain tag (0 if the tag is not
 * plain), its payload fields (`field_record_size` bytes apart). */
typedef struct rsl_case_descriptor {
    rsl_str name;
    uint64_t tag;
    size_t field_count;
    const rsl_field_descriptor *fields;
} rsl_case_descriptor;

/* What an enum adds to its type record (format 1.2). Starts with its own
 * size and its case records' size. `case_of` returns a value's case index
 * (its place in `cases`); `locate` returns the address of payload field
 * `field` of case `case` (NULL when the payloads are plain); `write_case`
 * writes case `case` into uninitialised `dst`, copying each payload field
 * from `payload[i]`, and returns 0 (1 for a case out of range); NULL if
 * the library lets no host construct its values. Never unwinds. */
typedef struct rsl_enum_descriptor {
    uint32_t enum_record_size;
    uint32_t case_record_size;
    uint32_t enum_flags;
    uint32_t tag_size;
    size_t tag_offset;
    size_t case_count;
    const rsl_case_descriptor *cases;
    uint32_t (*case_of)(const void *value);
    const void *(*locate)(const void *value, uint32_t case_index, uint32_t field);
    uint32_t (*write_case)(void *dst, uint32_t case_index, const void *const *payload);
} rsl_enum_descriptor;

/* One type, exported as `<Type>_descriptor`. `fields` points to
 * `field_count` records, `field_record_size` bytes apart (see the manifest).
 * `enum_info` (appended in format 1.2: present if `type_record_size` says
 * so) is NULL for a struct, and describes the cases of an enum
 * (RSL_FLAG_ENUM). The accessor list (appended in format 1.3: present if
 * `type_record_size` says so) points to `accessor_count` records
 * (rsl_accessor_descriptor, below), `accessor_record_size` bytes apart:
 * the fields reached through the library's code (NULL and 0 if none). */
typedef struct rsl_type_descriptor {
    uint32_t flags;
    uint32_t reserved;
    rsl_str name;
    size_t size;
    size_t align;
    size_t stride;
    uint64_t fingerprint;
    size_t field_count;
    const rsl_field_descriptor *fields;
    rsl_value_witnesses witnesses;
    const rsl_enum_descriptor *enum_info;
    uint32_t accessor_record_size; /* sizeof(rsl_accessor_descriptor) (format 1.3) */
    uint32_t reserved2;
    size_t accessor_count;
    const struct rsl_accessor_descriptor *accessors;
} rsl_type_descriptor;

/* rsl_param_descriptor.pass: how a parameter or result crosses. */
#define RSL_PASS_VALUE 1u   /* a scalar by value */
#define RSL_PASS_REF 2u     /* const T* to a live value of an exported type */
#define RSL_PASS_MUT 3u     /* T* to a live value, exclusive */
#define RSL_PASS_OPT_REF 4u /* const T*, or NULL */
#define RSL_PASS_STR 5u     /* rsl_slice of UTF-8 bytes */
#define RSL_PASS_SLICE 6u   /* rsl_slice of `len` elements */
#define RSL_PASS_UNIT 7u    /* a result of nothing */
#define RSL_PASS_OWNED 8u   /* a result: a value of an exported type moved into the caller's room */
#define RSL_PASS_OWNED_STR 9u   /* a result: UTF-8 bytes in an rsl_owned_buf the caller frees */
#define RSL_PASS_OWNED_SLICE 10u /* a result: elements in an rsl_owned_buf the caller frees */

/* rsl_function_descriptor.abi: convention 2, a scalar result and the
 * status in registers (RSL_RET), any other result through *ret. (1, every
 * result through *ret, was never released.) */
#define RSL_ABI_THUNK_V2 2u
/* rsl_function_descriptor.flags */
#define RSL_FN_FALLIBLE 1u  /* may end with RSL_STATUS_FAILED */
/* What a thunk returns. */
#define RSL_STATUS_OK 0u
#define RSL_STATUS_FAILED 1u   /* an error; its message is in *err */
#define RSL_STATUS_PANICKED 2u /* a panic or exception; message in *err */

/* `&str` and `&[T]` as they cross. */
typedef struct rsl_slice {
    const void *ptr;
    size_t len; /* in elements */
} rsl_slice;

/*
 * Accessor and computed fields (format 1.3; docs/FORMAT.md, "Accessor and
 * computed fields"): fields a type record lists apart from its stored
 * fields, reached only through the library's own code. A name is either a
 * stored field or an accessor of a type, never both.
 */

/* rsl_accessor_descriptor.shape: what an accessor reaches. */
#define RSL_SHAPE_VALUE 1u /* a computed field: get/set a value of `identity` (rsl_get_value_fn, rsl_set_value_fn) */
#define RSL_SHAPE_STR 2u   /* text (String, std::string): UTF-8 bytes (rsl_borrow_fn, rsl_replace_fn); identity `str` */
#define RSL_SHAPE_SLICE 3u /* elements (Vec<T>, std::vector<T>) of the plain type `identity`, as RSL_SHAPE_STR */

/* rsl_accessor_descriptor.flags */
#define RSL_ACCESSOR_OPTIONAL 1u /* STR or SLICE: a NULL pointer means "nothing" (Option<String>), both ways */

/* A computed field's getter: writes the field of the value at `value` to
 * `out` (room for one value of the identity, any alignment). */
typedef void (*rsl_get_value_fn)(const void *value, void *out);
/* A computed field's setter: reads one valid value of the identity from
 * `src` (any alignment) into the field of the value at `value`. */
typedef void (*rsl_set_value_fn)(void *value, const void *src);
/* A text or elements field's getter: its contents, borrowed from the value
 * (valid until the value is next written or dropped); `len` counts bytes
 * (text) or elements. A NULL `ptr` means nothing (RSL_ACCESSOR_OPTIONAL). */
typedef rsl_slice (*rsl_borrow_fn)(const void *value);
/* A text or elements field's setter: replaces the contents with a copy of
 * `len` bytes (UTF-8) or elements (aligned) at `ptr`, made and later freed
 * by the library's own allocator; a NULL `ptr` stores nothing
 * (RSL_ACCESSOR_OPTIONAL only). */
typedef void (*rsl_replace_fn)(void *value, const uint8_t *ptr, size_t len);

/* One accessor or computed field. `get` and `set` are typed only as code:
 * call them through the signatures the shape gives (rsl_get_value_fn and
 * rsl_set_value_fn for RSL_SHAPE_VALUE, rsl_borrow_fn and rsl_replace_fn
 * otherwise). They never unwind (a panic or exception inside aborts), and
 * the caller never frees anything they hold. */
typedef struct rsl_accessor_descriptor {
    rsl_str name;
    uint32_t shape; /* RSL_SHAPE_* */
    uint32_t flags; /* RSL_ACCESSOR_* */
    rsl_type_identity identity; /* the value's (VALUE), the opaque `str` (STR), the element's (SLICE) */
    void (*get)(void);
    void (*set)(void);
} rsl_accessor_descriptor;

/* An error message a thunk hands over: the library's bytes, freed once by
 * the caller through the library's `free`. */
typedef struct rsl_call_error {
    char *ptr;
    size_t len;
    size_t cap;
    void (*free)(char *ptr, size_t len, size_t cap);
} rsl_call_error;

/* An owned string or vector a function returns (RSL_PASS_OWNED_STR,
 * RSL_PASS_OWNED_SLICE): the library's allocation and its own function that
 * frees it, laid out as an error message; the caller reads it and calls
 * `free(ptr, len, cap)` exactly once. */
typedef rsl_call_error rsl_owned_buf;

/* One parameter, or the result (named "return"). For a reference or slice,
 * `identity` is the referent's or element's type. */
typedef struct rsl_param_descriptor {
    rsl_str name;
    uint32_t pass;
    uint32_t reserved;
    rsl_type_identity identity;
} rsl_param_descriptor;

/* What a thunk returns for a result passed by value (RSL_PASS_VALUE): the
 * value and the status, in registers on the usual 64-bit ABIs. `value`
 * means nothing unless `status` is RSL_STATUS_OK. In C, name one per type:
 *     typedef RSL_RET(uint64_t) rsl_ret_u64;
 * A host receives a bool as uint8_t and a char as uint32_t and checks them
 * (0 or 1; a Unicode scalar value) before using them as such, as the Rust
 * host and the C++ client do. */
#define RSL_RET(T) \
    struct {       \
        T value;   \
        uint32_t status; \
    }

/* One exported function. `thunk` has the signature
 *     RSL_RET(T) thunk(P0 p0, ..., Pn pn, void *ret, rsl_call_error *err);
 * for a result T passed by value (`ret` unused: pass NULL), and
 *     uint32_t thunk(P0 p0, ..., Pn pn, R *ret, rsl_call_error *err);
 * (the status; the result written to *ret) for any other, with each
 * parameter lowered by its pass code (docs/FORMAT.md, "Functions"). The
 * thunk writes *err exactly when the status is not RSL_STATUS_OK. Call it
 * only through that exact signature, after checking it. */
typedef struct rsl_function_descriptor {
    rsl_str name;
    uint32_t abi;
    uint32_t flags;
    size_t param_count;
    const rsl_param_descriptor *params;
    rsl_param_descriptor ret;
    void (*thunk)(void);
} rsl_function_descriptor;

/* The module, exported as `resilient_manifest`. `types` points to
 * `type_count` pointers to type descriptors. Readers check `magic`,
 * `format_version`, the record sizes, `pointer_width` and `endianness`
 * before anything else. The fields from `function_record_size` on were
 * appended in format 1.1: `header_size` says whether they are there, and a
 * manifest with `function_count` 0 may leave the record sizes 0. */
typedef struct rsl_manifest {
    uint8_t magic[8];
    uint32_t format_version;
    uint32_t header_size;
    uint32_t type_record_size;
    uint32_t field_record_size;
    uint8_t pointer_width;
    uint8_t endianness;
    uint8_t reserved[6];
    rsl_str module_name;
    rsl_str module_version;
    size_t type_count;
    const rsl_type_descriptor *const *types;
    uint32_t function_record_size;
    uint32_t param_record_size;
    size_t function_count;
    const rsl_function_descriptor *const *functions;
    uint32_t impl_record_size;
    uint32_t reserved2;
    size_t impl_count;
    const struct rsl_impl_descriptor *const *impls;
} rsl_manifest;

/* One type's implementation of an interface: a method table, each method a
 * function record whose first parameter is the receiver (RSL_PASS_REF or
 * RSL_PASS_MUT of the implementing type). Format 1.1. */
typedef struct rsl_impl_descriptor {
    rsl_str interface;
    rsl_str type_name;
    size_t method_count;
    const rsl_function_descriptor *const *methods;
} rsl_impl_descriptor;

/*
 * Consumer needs (docs/FORMAT.md, "Consumer needs"): what a host binary
 * records of the views and functions it uses, as constant data pointed to
 * from the section RSL_VIEWS_SECTION (an array of pointers to records told
 * apart by their magic), so that `resilient check LIB --consumer HOST`
 * checks a library against them offline. Rust hosts write them with view!,
 * enum_view! and api!, C++ hosts with RSL_VIEW, RSL_ENUM_VIEW and
 * RSL_FUNCTION (client.hpp). No loader reads them at run time.
 */
#define RSL_VIEW_MAGIC "RSLNTVW"      /* followed by a NUL: 8 bytes */
#define RSL_FN_NEED_MAGIC "RSLNTFN"   /* followed by a NUL: 8 bytes */
#define RSL_ENUM_VIEW_MAGIC "RSLNTEV" /* followed by a NUL: 8 bytes */

/* rsl_view_field_record.access: how the view reaches the field. */
#define RSL_ACCESS_BY_VALUE 0u /* read and written by value */
#define RSL_ACCESS_NESTED 1u   /* a nested resilient type, through a view of its own */
#define RSL_ACCESS_TEXT 2u          /* text through the library's accessors (identity: the opaque `str`) */
#define RSL_ACCESS_OPTIONAL_TEXT 3u /* as RSL_ACCESS_TEXT, a field that may hold nothing (Option<String>) */
#define RSL_ACCESS_ELEMENTS 4u      /* elements through the library's accessors (identity: the element's) */

/* One field a view needs. A nested field's identity is the resilient type
 * by name (size 0, alignment 1: its layout is the library's). */
typedef struct rsl_view_field_record {
    rsl_str name;
    uint32_t required; /* 1: binding fails without it */
    uint32_t access;   /* RSL_ACCESS_* */
    rsl_type_identity identity;
} rsl_view_field_record;

/* What one view needs of one foreign type. */
typedef struct rsl_view_record {
    uint8_t magic[8]; /* RSL_VIEW_MAGIC */
    uint32_t format_version;
    uint32_t record_size; /* sizeof(rsl_view_record) */
    uint32_t frozen;      /* 1: the view expects the type frozen with `fingerprint` */
    uint32_t reserved;
    rsl_str module;
    rsl_str type_name;
    uint64_t fingerprint;
    size_t field_count;
    const rsl_view_field_record *fields;
} rsl_view_record;

/* What a host needs of one function: its signature as the host calls it
 * (parameters named p0, p1, ..., the result "return"). */
typedef struct rsl_fn_need_record {
    uint8_t magic[8]; /* RSL_FN_NEED_MAGIC */
    uint32_t format_version;
    uint32_t record_size; /* sizeof(rsl_fn_need_record) */
    uint32_t required;    /* 0: the host does without it */
    uint32_t abi;         /* the convention the host calls: RSL_ABI_THUNK_V2 */
    rsl_str module;
    rsl_str name;
    size_t param_count;
    const rsl_param_descriptor *params;
    rsl_param_descriptor ret;
} rsl_fn_need_record;

/* One case an enum view names, with the payload fields it reads (by value:
 * access RSL_ACCESS_BY_VALUE; a tuple case's fields are named "0", "1"). */
typedef struct rsl_case_need_record {
    rsl_str name;
    size_t field_count;
    const rsl_view_field_record *fields;
} rsl_case_need_record;

/* What one enum view needs of one foreign enum: the cases it names, in its
 * order. A frozen view expects the enum frozen with `fingerprint` and names
 * every case (it matches exhaustively). */
typedef struct rsl_enum_view_record {
    uint8_t magic[8]; /* RSL_ENUM_VIEW_MAGIC */
    uint32_t format_version;
    uint32_t record_size; /* sizeof(rsl_enum_view_record) */
    uint32_t frozen;      /* 1: the view expects the enum frozen with `fingerprint` */
    uint32_t reserved;
    rsl_str module;
    rsl_str type_name;
    uint64_t fingerprint;
    size_t case_count;
    const rsl_case_need_record *cases;
} rsl_enum_view_record;

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* RESILIENT_LAYOUT_H */
