//! Files as Mastodon, GoToSocial, Akkoma/Pleroma, Misskey, Iceshrimp and snac2 write them, read
//! as Mastodon reads them.
#![allow(clippy::unwrap_used)]
use super::*;

const LOCAL: [&str; 2] = ["social.example", "social.example"];

fn rows(kind: Kind, file: &str) -> Vec<FileRow> {
    parse(kind, file.as_bytes(), "", &LOCAL).unwrap().rows
}

fn accts(rows: &[FileRow]) -> Vec<&str> {
    rows.iter().map(|r| r.data.acct.as_deref().unwrap_or_default()).collect()
}

#[test]
fn mastodons_following_file_keeps_its_options() {
    let file = "Account address,Show boosts,Notify on new posts,Languages\n\
                alice@mastodon.example,true,false,\n\
                @Bob@Other.Example,false,true,\"en, de\"\n";
    let rows = rows(Kind::Following, file);
    assert_eq!(accts(&rows), ["alice@mastodon.example", "Bob@Other.Example"]);
    assert_eq!((rows[0].data.show_reblogs, rows[0].data.notify, rows[0].data.languages.clone()), (Some(true), Some(false), None));
    assert_eq!((rows[1].data.show_reblogs, rows[1].data.notify), (Some(false), Some(true)));
    assert_eq!(rows[1].data.languages, Some(vec!["en".to_string(), "de".to_string()]));
    assert_eq!((rows[0].line, rows[1].line), (2, 3));
    assert_eq!(rows[1].key, "bob@other.example", "keys compare without case");
    assert!(rows.iter().all(|r| r.error.is_none()));
}

#[test]
fn other_softwares_follow_lists_are_read() {
    // GoToSocial: two columns; Misskey: no header, `withReplies` in a column Mastodon does not
    // read; Pleroma-FE, Akkoma-FE and Iceshrimp.NET: one address a line, no final line end.
    for (who, file) in [
        ("gotosocial", "Account address,Show boosts\nalice@a.example,false\nbob@b.example,true\n"),
        ("misskey", "alice@a.example,withReplies=false\nbob@b.example,withReplies=true\n"),
        ("pleroma", "alice@a.example\nbob@b.example"),
        ("crlf and bom", "\u{feff}alice@a.example\r\n\r\n@bob@b.example\r\n"),
    ] {
        let rows = rows(Kind::Following, file);
        assert_eq!(accts(&rows), ["alice@a.example", "bob@b.example"], "{who}");
        assert!(rows.iter().all(|r| r.error.is_none() && r.data.notify.is_none()), "{who}");
    }
    assert_eq!(rows(Kind::Following, "Account address,Show boosts\na@a.example,false\n")[0].data.show_reblogs, Some(false));
    // Without a header Mastodon reads the first column only.
    assert_eq!(rows(Kind::Following, "a@a.example,false\n")[0].data.show_reblogs, None);
}

#[test]
fn columns_are_found_by_name_in_any_order() {
    let file = "Account address,Languages,Show boosts\na@a.example,fr,no\n";
    let rows = rows(Kind::Following, file);
    assert_eq!(accts(&rows), ["a@a.example"]);
    assert_eq!((rows[0].data.show_reblogs, rows[0].data.languages.clone()), (Some(true), Some(vec!["fr".to_string()])));
    // As Mastodon: a first row that does not begin with a known column is a row, not a header.
    let headless = super::parse(Kind::Following, b"Languages,Account address\nfr,a@a.example\n", "", &LOCAL).unwrap().rows;
    assert_eq!(headless.len(), 2);
    assert_eq!(headless[0].data.acct.as_deref(), Some("Languages"));
}

#[test]
fn booleans_are_cast_as_rails_casts_them() {
    let cast = |v: &str| boolean(v);
    assert_eq!([cast("true"), cast("TRUE"), cast("1"), cast("yes"), cast("withReplies=false")], [Some(true); 5]);
    assert_eq!([cast("false"), cast("FALSE"), cast("0"), cast("f"), cast("off"), cast(" false ")], [Some(false); 6]);
    assert_eq!(cast("  "), None);
}

#[test]
fn mutes_blocks_domains_and_bookmarks_have_their_own_columns() {
    let mutes = rows(Kind::Muting, "Account address,Hide notifications\na@a.example,false\nb@b.example,\n");
    assert_eq!(mutes.iter().map(|r| r.data.hide_notifications).collect::<Vec<_>>(), [Some(false), None]);
    assert_eq!(accts(&rows(Kind::Blocking, "a@a.example\n")), ["a@a.example"]);
    let domains = rows(Kind::DomainBlocking, "Spam.Example\n https://junk.example/ \nnot a domain\nsocial.example\n");
    assert_eq!(domains[0].data.domain.as_deref(), Some("spam.example"));
    assert_eq!(domains[1].key, "junk.example");
    assert!(domains[2].error.as_deref().unwrap().contains("is not a domain"));
    assert_eq!(domains[3].error.as_deref(), Some("You cannot block your own domain"));
    let bookmarks = rows(Kind::Bookmarks, "https://a.example/users/a/statuses/1\nftp://x.example/1\n");
    assert_eq!((bookmarks[0].key.as_str(), bookmarks[0].error.is_none()), ("https://a.example/users/a/statuses/1", true));
    assert!(bookmarks[1].error.as_deref().unwrap().contains("not the address of a post"));
}

#[test]
fn list_names_may_hold_commas_quoted_or_as_misskey_writes_them() {
    let mastodon = rows(Kind::Lists, "Friends,a@a.example\n\"Work, mostly\",b@b.example\n");
    let misskey = rows(Kind::Lists, "Friends,a@a.example\nWork, mostly,b@b.example\n");
    for rows in [mastodon, misskey] {
        let lists: Vec<(&str, &str)> = rows.iter().map(|r| (r.data.list_name.as_deref().unwrap(), r.data.acct.as_deref().unwrap())).collect();
        assert_eq!(lists, [("Friends", "a@a.example"), ("Work, mostly", "b@b.example")]);
        assert_eq!(rows[1].key, "Work, mostly");
    }
    assert_eq!(rows(Kind::Lists, "List name,Account address\nF,a@a.example\n").len(), 1);
    assert_eq!(rows(Kind::Lists, ",a@a.example\n")[0].error.as_deref(), Some("the row has no list name"));
}

#[test]
fn addresses_are_checked_and_ours_are_local() {
    let parsed = |text: &str| Acct::parse(text, &LOCAL);
    assert_eq!(parsed("@bob@b.example").unwrap(), Acct { username: "bob".into(), domain: Some("b.example".into()) });
    assert_eq!(parsed("acct:bob@127.0.0.1:8999").unwrap().domain.as_deref(), Some("127.0.0.1:8999"));
    assert_eq!(parsed("alice@Social.Example").unwrap().domain, None);
    assert_eq!(parsed("alice").unwrap().domain, None);
    for bad in ["", "@", "a b@c.example", "bob@", "bob@b.example@c.example", "<script>@x.example", "bob@-x.example", "https://x.example/users/a"] {
        assert!(parsed(bad).is_err(), "{bad:?}");
    }
    let rows = rows(Kind::Blocking, "not an address\n,\nok@b.example\n");
    assert!(rows[0].error.as_deref().unwrap().contains("is not an account address"));
    assert_eq!(rows.len(), 2, "a row of nothing but commas is blank");
}

#[test]
fn a_file_mastodon_refuses_is_refused_whole() {
    assert_eq!(parse(Kind::Following, b"", "", &LOCAL).unwrap_err(), FileError::Empty);
    assert_eq!(parse(Kind::Following, b"\n\n  \n", "", &LOCAL).unwrap_err(), FileError::Empty);
    // A following file is not a domain list: its header names other columns.
    let follows = b"Account address,Show boosts\na@a.example,true\n";
    assert_eq!(parse(Kind::DomainBlocking, follows, "", &LOCAL).unwrap_err(), FileError::Incompatible("domain_blocking", "#domain"));
    let many: String = (0..=MAX_ROWS).map(|n| format!("u{n}@a.example\n")).collect();
    assert_eq!(parse(Kind::Blocking, many.as_bytes(), "", &LOCAL).unwrap_err(), FileError::TooManyRows);
    let exactly: String = (0..MAX_ROWS).map(|n| format!("u{n}@a.example\n")).collect();
    assert_eq!(parse(Kind::Blocking, exactly.as_bytes(), "", &LOCAL).unwrap().rows.len(), MAX_ROWS);
    // A header alone is a file of no rows (an overwrite with it empties the list, as Mastodon's).
    assert!(parse(Kind::Following, b"Account address,Show boosts\n", "", &LOCAL).unwrap().rows.is_empty());
}

#[test]
fn a_file_that_looks_like_another_kind_is_flagged() {
    let mutes = b"Account address,Hide notifications\na@a.example,true\n";
    assert!(parse(Kind::Blocking, mutes, "", &LOCAL).unwrap().likely_mismatched);
    assert!(!parse(Kind::Muting, mutes, "muted_accounts.csv", &LOCAL).unwrap().likely_mismatched);
    assert!(parse(Kind::Following, b"a@a.example\n", "blocked_accounts.csv", &LOCAL).unwrap().likely_mismatched);
    assert!(!parse(Kind::Following, b"a@a.example\n", "friends.csv", &LOCAL).unwrap().likely_mismatched);
}

#[test]
fn hostile_rows_fail_alone_with_their_line() {
    let huge = "x".repeat(MAX_ROW_BYTES + 1);
    let file = format!("a@a.example\n\"{huge}\"\n\"quoted\nacross lines\"@b.example\nc@c.example\n");
    let rows = rows(Kind::Blocking, &file);
    assert_eq!(rows.len(), 4);
    assert!(rows[1].error.as_deref().unwrap().contains("bytes long"), "{:?}", rows[1].error);
    assert_eq!(rows[1].data.acct.as_deref().map(str::len), Some(100), "a preview of the long row is kept");
    assert!(rows[2].error.is_some());
    assert_eq!((rows[3].line, rows[3].error.as_deref()), (5, None));
    let not_utf8 = parse(Kind::Blocking, b"a@a.example\n\xff@b.example\n", "", &LOCAL).unwrap().rows;
    assert_eq!(not_utf8[1].error.as_deref(), Some("the row is not UTF-8 text"));
}

#[test]
fn failed_rows_are_written_back_as_mastodon_writes_them() {
    let mut out = String::new();
    write_header(&mut out, Kind::Following);
    let data = RowData { acct: Some("a@a.example".into()), languages: Some(vec!["en".into(), "de".into()]), ..Default::default() };
    write_row(&mut out, Kind::Following, &data);
    write_row(&mut out, Kind::Following, &RowData { acct: Some("b@b.example".into()), show_reblogs: Some(false), ..Default::default() });
    assert_eq!(out, "Account address,Show boosts,Notify on new posts,Languages\na@a.example,true,false,\"en, de\"\nb@b.example,false,false,\n");
    // What is written reads back the same.
    let again = rows(Kind::Following, &out);
    assert_eq!(again[0].data, RowData { show_reblogs: Some(true), notify: Some(false), ..data });
    let mut lists = String::new();
    write_row(&mut lists, Kind::Lists, &RowData { list_name: Some("a \"b\", c".into()), acct: Some("x@y.example".into()), ..Default::default() });
    write_row(&mut lists, Kind::Muting, &RowData { acct: Some("x@y.example".into()), ..Default::default() });
    assert_eq!(lists, "\"a \"\"b\"\", c\",x@y.example\nx@y.example,true\n");
}

#[test]
fn type_names_are_mastodons_and_gotosocials() {
    for kind in Kind::ALL {
        assert_eq!(Kind::parse(kind.as_str()), Some(kind));
    }
    assert_eq!((Kind::parse("blocks"), Kind::parse("Mutes"), Kind::parse("follows")), (Some(Kind::Blocking), Some(Kind::Muting), None));
    assert_eq!(Kind::Following.failures_filename(), "following_accounts_failures.csv");
}
