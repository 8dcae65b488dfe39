//! Values of a type its library marks `send` move to another thread and are
//! dropped there, exactly once; values of other types are refused, and
//! handed back intact.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::thread::{self, ThreadId};

use resilient_types::{view, Array, Bound, Error, Field, InProcess, Value};

static JOB_DROPS: AtomicUsize = AtomicUsize::new(0);
static DROPPED_ON: Mutex<Vec<ThreadId>> = Mutex::new(Vec::new());

#[derive(layout_meta::Resilient)]
#[resilient(send, default)]
pub struct Job {
    pub id: u64,
    data: Vec<u8>,
}

impl Default for Job {
    fn default() -> Self {
        Job {
            id: 1,
            data: vec![1, 2, 3],
        }
    }
}

impl Drop for Job {
    fn drop(&mut self) {
        assert_eq!(self.data, [1, 2, 3], "dropped once, intact");
        JOB_DROPS.fetch_add(1, Ordering::SeqCst);
        DROPPED_ON.lock().unwrap().push(thread::current().id());
    }
}

/// Not marked `send` (it could be: the library did not promise it).
#[derive(layout_meta::Resilient, Default)]
#[resilient(default)]
pub struct Local {
    pub id: u64,
}

view! { pub struct JobView = "jobs"::"Job" { pub id: Field<u64> } }
view! { pub struct LocalView = "jobs"::"Local" { pub id: Field<u64> } }

fn source() -> InProcess {
    InProcess::new("jobs", "1.0.0")
        .with::<Job>()
        .with::<Local>()
}

// One test for both so the drop counts are not shared between tests that
// run in parallel.
#[test]
fn send_values_and_arrays_move_to_another_thread_and_drop_there_once() {
    let job = Bound::<JobView>::bind(&source()).unwrap();
    assert!(job.foreign_type().layout().is_send());

    let mut v = Value::new(&job).unwrap();
    v.as_mut().set(job.id, 42);
    let sent = v.into_send().map_err(|(_, e)| e).unwrap();
    assert_eq!(sent.as_ref().get(job.id), 42, "readable through Deref");
    let id = job.id;
    let worker = thread::spawn(move || {
        let v = sent.into_inner();
        assert_eq!(v.as_ref().get(id), 42);
        drop(v);
        thread::current().id()
    })
    .join()
    .unwrap();
    assert_eq!(JOB_DROPS.load(Ordering::SeqCst), 1);

    let array = Array::new(&job, 3)
        .unwrap()
        .into_send()
        .map_err(|(_, e)| e)
        .unwrap();
    let worker2 = thread::spawn(move || {
        let a = array.into_inner();
        let sum: u64 = a.as_slice().iter().map(|r| r.get(id)).sum();
        drop(a);
        (sum, thread::current().id())
    })
    .join()
    .unwrap();
    assert_eq!(worker2.0, 3);
    assert_eq!(JOB_DROPS.load(Ordering::SeqCst), 4);

    let on = DROPPED_ON.lock().unwrap().clone();
    assert_eq!(on, [worker, worker2.1, worker2.1, worker2.1]);
    assert!(!on.contains(&thread::current().id()));
}

#[test]
fn a_type_not_marked_send_is_refused_and_handed_back() {
    let local = Bound::<LocalView>::bind(&source()).unwrap();
    assert!(!local.foreign_type().layout().is_send());
    let mut v = Value::new(&local).unwrap();
    v.as_mut().set(local.id, 9);
    let (mut back, err) = v.into_send().err().unwrap();
    assert_eq!(err, Error::NotSend { ty: "Local".into() });
    assert_eq!(
        err.to_string(),
        "type `Local` is not marked send by its library: its values stay on the thread that made them"
    );
    assert_eq!(back.as_ref().get(local.id), 9, "the value is intact");
    back.as_mut().set(local.id, 10);

    let (a, err) = Array::new(&local, 2).unwrap().into_send().err().unwrap();
    assert!(matches!(err, Error::NotSend { .. }));
    assert_eq!(a.len(), 2);
}
