// A view of an enum that is not frozen has an `Unknown` arm (the cases a
// later library adds land there): a match must handle it. Only a
// `frozen(..)` view is matched exhaustively without it.
use resilient_types::{enum_view, Field};

enum_view! {
    pub enum StatusCase: StatusView = "widgets"::"Status" {
        Idle,
        Busy(BusyView { jobs: Field<u32> }),
    }
}

fn jobs(s: StatusCase<'_>) -> u32 {
    match s {
        StatusCase::Idle(_) => 0,
        StatusCase::Busy(b) => b.get(b.jobs),
    }
}

fn main() {
    let _ = jobs;
}
