//! The inbox: `(consumer, event id)` recorded in the same transaction as the consumer's effect, so a
//! redelivered event changes nothing the second time.

use sqlx::{Any, Transaction};

use crate::clock::now_ms;

/// Records that `consumer` handles `event_id` in this transaction. Returns `false` when it was
/// handled before — the caller then rolls back and acknowledges.
pub async fn claim(tx: &mut Transaction<'_, Any>, consumer: &str, event_id: &str) -> Result<bool, sqlx::Error> {
    let result = sqlx::query(
        "INSERT INTO inbox (consumer, event_id, handled_at) VALUES ($1, $2, $3) \
         ON CONFLICT (consumer, event_id) DO NOTHING",
    )
    .bind(consumer)
    .bind(event_id)
    .bind(now_ms())
    .execute(&mut **tx)
    .await?;
    Ok(result.rows_affected() == 1)
}

/// Forgets inbox entries older than `before_ms` (they are past any redelivery or replay window).
pub async fn purge(pool: &sqlx::AnyPool, before_ms: i64) -> Result<u64, sqlx::Error> {
    let result = sqlx::query("DELETE FROM inbox WHERE handled_at < $1").bind(before_ms).execute(pool).await?;
    Ok(result.rows_affected())
}
