// The 100 functions of `bench-functions-100`, by signature: included by
// the plugin (which defines `functions!` to export them) and by the
// benchmark host (which defines it to declare the `api!` that binds them).
functions! {
    by_value: [
        fn00 0, fn01 1, fn02 2, fn03 3, fn04 4,
        fn05 5, fn06 6, fn07 7, fn08 8, fn09 9,
        fn10 10, fn11 11, fn12 12, fn13 13, fn14 14,
        fn15 15, fn16 16, fn17 17, fn18 18, fn19 19,
        fn20 20, fn21 21, fn22 22, fn23 23, fn24 24,
    ],
    pair: [
        fn25 25, fn26 26, fn27 27, fn28 28, fn29 29,
        fn30 30, fn31 31, fn32 32, fn33 33, fn34 34,
        fn35 35, fn36 36, fn37 37, fn38 38, fn39 39,
        fn40 40, fn41 41, fn42 42, fn43 43, fn44 44,
        fn45 45, fn46 46, fn47 47, fn48 48, fn49 49,
    ],
    text: [
        fn50 50, fn51 51, fn52 52, fn53 53, fn54 54,
        fn55 55, fn56 56, fn57 57, fn58 58, fn59 59,
        fn60 60, fn61 61, fn62 62, fn63 63, fn64 64,
        fn65 65, fn66 66, fn67 67, fn68 68, fn69 69,
        fn70 70, fn71 71, fn72 72, fn73 73, fn74 74,
    ],
    by_ref: [
        fn75 75, fn76 76, fn77 77, fn78 78, fn79 79,
        fn80 80, fn81 81, fn82 82, fn83 83, fn84 84,
        fn85 85, fn86 86, fn87 87, fn88 88, fn89 89,
        fn90 90, fn91 91, fn92 92, fn93 93, fn94 94,
        fn95 95, fn96 96, fn97 97, fn98 98, fn99 99,
    ],
}
