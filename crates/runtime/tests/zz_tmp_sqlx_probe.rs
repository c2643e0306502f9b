use butterboard_runtime::bus::embedded::EmbeddedBus;
use butterboard_runtime::bus::EventBus;
use butterboard_runtime::testing::bus::Names;
#[tokio::test]
async fn probe() {
    let dir = tempfile::tempdir().unwrap();
    let bus = EmbeddedBus::open(dir.path()).await.unwrap();
    let n = Names::new();
    for round in 0..3 {
        let t = std::time::Instant::now();
        for i in 0..1000 { bus.publish(n.message(&n.subject("one"), &i.to_string())).await.unwrap(); }
        println!("round {round}: {:?}/publish", t.elapsed()/1000);
    }
}
