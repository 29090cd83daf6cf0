#![allow(clippy::unwrap_used)]
use super::*;
use crate::store::testing::{memory_db, seed_statuses, OWNER};

async fn owner_db() -> crate::store::testing::MemoryDb {
    let db = memory_db();
    seed_statuses(&db, 0).await;
    db
}

fn new_import(id: i64, overwrite: bool) -> NewImport<'static> {
    NewImport { id, owner: OWNER, kind: "following", overwrite, filename: "f.csv", likely_mismatched: false, now: 5 }
}

#[tokio::test(flavor = "current_thread")]
async fn a_large_file_is_stored_in_a_few_statements_and_read_back_in_order() {
    let db = owner_db().await;
    let data: Vec<String> = (0..3000).map(|n| format!("{{\"acct\":\"user{n}@some-long-domain-name.example\"}}")).collect();
    let keys: Vec<String> = (0..3000).map(|n| format!("user{n}@some-long-domain-name.example")).collect();
    let items: Vec<NewItem> = (0..3000).map(|n| NewItem { line: n as u64 + 2, key: &keys[n], data: data[n].clone(), error: None }).collect();
    let queries = create(&new_import(9, false), &items);
    assert!((2..=6).contains(&queries.len()), "{} statements", queries.len());
    db.batch(&queries).await.unwrap();
    let import = get(&db, OWNER, 9).await.unwrap().unwrap();
    assert_eq!((import.total_items, import.cursor, import.pruned, import.state.as_str()), (3000, 1, true, "scheduled"));
    assert!(get(&db, OWNER + 1, 9).await.unwrap().is_none(), "only the owner sees it");
    let first: Vec<Item> = db::all(&db, &pending_query(9, 3)).await.unwrap();
    assert_eq!(first.iter().map(|i| (i.position, i.line)).collect::<Vec<_>>(), [(1, 2), (2, 3), (3, 4)]);
    assert_eq!(first[2].key, "user2@some-long-domain-name.example");
    assert_eq!(first[2].data, data[2]);
}

#[tokio::test(flavor = "current_thread")]
async fn settled_rows_count_as_processed_and_failures_keep_why() {
    let db = owner_db().await;
    let keys = ["a", "b", "c", "d"];
    let items: Vec<NewItem> = keys.iter().enumerate().map(|(n, k)| NewItem { line: n as u64 + 1, key: k, data: "{}".into(), error: (n == 3).then_some("bad") }).collect();
    db.batch(&create(&new_import(9, false), &items)).await.unwrap();
    let mut writes = settle(9, &[1, 3], &[(2, "no such account".into())]);
    writes.push(advance(9, 4, false, 10));
    db.batch(&writes).await.unwrap();
    let import = get(&db, OWNER, 9).await.unwrap().unwrap();
    // Row 4 failed on upload but the cursor has not passed it yet.
    assert_eq!((import.processed_items(), import.imported_items(), import.failed_items, import.state.as_str()), (3, 2, 1, "in_progress"));
    db.run(&advance(9, 5, true, 11)).await.unwrap();
    let import = get(&db, OWNER, 9).await.unwrap().unwrap();
    assert_eq!((import.processed_items(), import.failed_items, import.finished_at), (4, 2, Some(11)));
    let failed = failures(&db, 9, 0, 10).await.unwrap();
    assert_eq!(failed.iter().map(|f| (f.position, f.error.clone().unwrap())).collect::<Vec<_>>(), [(2, "no such account".into()), (4, "bad".into())]);
    // A batch run twice moves nothing back.
    db.run(&advance(9, 4, false, 12)).await.unwrap();
    assert_eq!(get(&db, OWNER, 9).await.unwrap().unwrap().cursor, 5);
}

#[tokio::test(flavor = "current_thread")]
async fn an_overwrite_finds_what_no_row_names_whatever_its_case() {
    let db = owner_db().await;
    for (id, user, domain) in [(20, "Kept", "R.example"), (21, "gone", "r.example")] {
        db.run(&query!("INSERT INTO accounts (id, username, domain, uri, created_at, updated_at) VALUES (?1, ?2, ?3, ?2, 0, 0)", id as i64, user, domain)).await.unwrap();
        db.run(&query!("INSERT INTO follows (id, account_id, target_account_id, uri, accepted_at, created_at) VALUES (?1, ?2, ?1, 'f' || ?1, 1, 1)", id as i64, OWNER)).await.unwrap();
        db.run(&query!("INSERT INTO mutes (id, account_id, target_account_id, created_at) VALUES (?1, ?2, ?1, 1)", id as i64, OWNER)).await.unwrap();
    }
    let items = [NewItem { line: 1, key: "kept@r.example", data: "{}".into(), error: None }];
    db.batch(&create(&new_import(9, true), &items)).await.unwrap();
    let dropped = dropped(&db, OWNER, 9, false, "social.example", 50).await.unwrap();
    assert_eq!(dropped.iter().map(|d| (d.account_id, d.activity_uri.as_deref())).collect::<Vec<_>>(), [(21, Some("f21"))]);
    db.batch(&drop_unnamed("muting", OWNER, 9, "social.example")).await.unwrap();
    let mutes = db.rows(&query!("SELECT target_account_id FROM mutes")).await.unwrap();
    assert_eq!(mutes.len(), 1);
    assert_eq!(mutes[0]["target_account_id"], 20);
}

#[tokio::test(flavor = "current_thread")]
async fn activities_stored_again_keep_their_first_id() {
    let db = owner_db().await;
    let first = save_activities(OWNER, &[(1, "https://s/a#blocks/2".into(), "{}".into()), (3, "https://s/x".into(), "{}".into())], 0);
    let saved: Vec<SavedActivity> = db::decode(db.batch_rows(&[first]).await.unwrap().remove(0)).unwrap();
    assert_eq!(saved.iter().map(|s| s.id).collect::<Vec<_>>(), [1, 3]);
    let again = save_activities(OWNER, &[(7, "https://s/a#blocks/2".into(), "{\"v\":2}".into())], 0);
    let saved: Vec<SavedActivity> = db::decode(db.batch_rows(&[again]).await.unwrap().remove(0)).unwrap();
    assert_eq!((saved[0].id, saved[0].uri.as_str()), (1, "https://s/a#blocks/2"));
}
