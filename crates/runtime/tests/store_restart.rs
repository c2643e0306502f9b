//! The PostgreSQL pool across a server restart: connections broken by it are found out and
//! replaced before use, so the first query after the restart succeeds.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use butterboard_runtime::store::Store;
use butterboard_runtime::testing::PrivatePostgres;

async fn answer(store: &Store) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar("SELECT CAST(1 AS BIGINT)").fetch_one(store.pool()).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_first_query_after_a_postgres_restart_gets_a_live_connection() {
    let pg = PrivatePostgres::start();
    let store = Store::connect(&pg.url, 3).await.expect("private postgres");
    // Open every connection of the pool, then leave them idle.
    let (a, b, c) = tokio::join!(answer(&store), answer(&store), answer(&store));
    assert_eq!((a.unwrap(), b.unwrap(), c.unwrap()), (1, 1, 1));

    pg.stop();
    pg.restart();
    // The connections are idle past the ping threshold, as after any real restart.
    tokio::time::sleep(Duration::from_secs(1)).await;
    for round in 0..3 {
        assert_eq!(answer(&store).await.unwrap_or_else(|e| panic!("query {round} after the restart: {e}")), 1);
    }
}
