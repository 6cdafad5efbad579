//! Nothing of one call survives into the next: the pool keeps memory slots resident
//! between calls for speed (`runtime/pool.rs`), and this proves it still resets them.
//! The `misbehaving` adapter in `remember` mode counts its calls in a static and scans
//! all of its linear memory for a mark that only an earlier call could have written.

use ehr_e2e::TestHome;
use ehr_host::runtime::Allocator;

const CONFIG: &str = "[adapters.misbehaving]\nhttp = [\"http://127.0.0.1:1\"]\n\n[adapters.misbehaving.settings]\nmode = \"remember\"\n";

// Many calls in a row (each reusing the slot the one before just released), then many at
// once: every call starts from the component's initial memory.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_call_cannot_see_what_an_earlier_call_left_in_memory() {
    let home = TestHome::new(CONFIG);
    home.install("misbehaving").await;
    let host = home.host();
    assert_eq!(
        host.runtime().allocator(),
        Allocator::Pooling,
        "the pool (the allocator that reuses memory) is what this test is about"
    );
    let adapter = std::sync::Arc::new(host.load("misbehaving").unwrap());
    let fresh = "calls before: 0, marks before: 0, marks after: ";
    for call in 0..20 {
        let report = adapter.check().await.unwrap();
        let line = &report.details[0];
        assert!(
            line.starts_with(fresh),
            "call {call} saw an earlier one: {line}"
        );
        // The scan finds the mark once it is there: a reset that failed would show.
        let after: usize = line[fresh.len()..].parse().unwrap();
        assert!(
            after >= 1,
            "call {call}: the scan missed its own mark: {line}"
        );
    }
    let calls: Vec<_> = (0..16)
        .map(|_| {
            let adapter = adapter.clone();
            tokio::spawn(async move { adapter.check().await.unwrap().details[0].clone() })
        })
        .collect();
    for call in calls {
        let line = call.await.unwrap();
        assert!(
            line.starts_with(fresh),
            "a concurrent call saw an earlier one: {line}"
        );
    }
}
