//! One table of every path and its handler, plus what applies to all of them: body limits,
//! CORS, HEAD, and the mapping of errors to responses.
use crate::edge::error::ApiError;
use crate::edge::http::{Method, Request, Response};
use crate::edge::{auth, body};
use crate::federation::{actors, collections, inbox, nodeinfo, webfinger};
use crate::ctx::Ctx;
use crate::mastodon::statuses::{self, Actors, Interaction};
use crate::mastodon::filters::{self, Change};
use crate::mastodon::{
    accounts, admin, admin_reports, announcements, apps, archive, conversations, domain_blocks, exports, imports, instance, lists, markers, media, migration, notifications, oauth, polls,
    reports, scheduled_statuses, search, push, streaming, tags, timelines,
};
use crate::mastodon::relationships::{self, Action};
use crate::store::relationships::AccountList;
use crate::store::statuses::StatusList;
use crate::web;

pub async fn dispatch(ctx: &Ctx<'_>, req: Request) -> Response {
    if req.method == Method::Options && wants_cors(&req.path) {
        return preflight(&req);
    }
    let response = match route(ctx, &req).await {
        Ok(response) => response,
        Err(error) => error.into_response(),
    };
    finish(&req, response)
}

/// A WebSocket upgrade to the streaming API, checked: who may have the socket (the platform
/// hands it to the streaming hub), or the refusal. `None`: not a streaming upgrade.
pub async fn streaming_upgrade(ctx: &Ctx<'_>, head: &Request) -> Option<Result<streaming::Admission, Response>> {
    let upgrade = head.header("upgrade").is_some_and(|u| u.eq_ignore_ascii_case("websocket"));
    let path = head.path.trim_end_matches('/');
    if !upgrade || head.method != Method::Get || !(path == "/api/v1/streaming" || path.starts_with("/api/v1/streaming/")) {
        return None;
    }
    Some(streaming::admit(ctx, head).await.map_err(|error| refuse(head, error)))
}

/// What the streaming hub sends for this invocation's happenings.
pub async fn streaming_broadcasts(ctx: &Ctx<'_>, happenings: &[crate::domain::streams::Happening]) -> Result<Vec<crate::domain::streams::Broadcast>, String> {
    streaming::render(ctx, happenings).await.map_err(|e| e.to_string())
}

/// An archive chunk's upload, checked by its head (`mastodon::archive::chunk_target`): the
/// platform pipes its body into R2, then answers with `chunk_piped`. `None`: not a chunk.
pub async fn chunk_upload(ctx: &Ctx<'_>, head: &Request) -> Option<Result<crate::mastodon::archive::Chunk, Response>> {
    archive::chunk_target(ctx, head).await.map(|checked| checked.map_err(|error| refuse(head, error)))
}

/// The answer to a chunk the platform piped (`etag`), or failed to.
pub async fn chunk_piped(ctx: &Ctx<'_>, head: &Request, chunk: crate::mastodon::archive::Chunk, etag: Result<String, String>) -> Response {
    match archive::chunk_piped(ctx, chunk, etag).await {
        Ok(response) => finish(head, response),
        Err(error) => refuse(head, error),
    }
}

/// Which of the open sockets' tokens were revoked meanwhile.
pub async fn streaming_revoked(ctx: &Ctx<'_>, token_ids: &[String]) -> Result<Vec<String>, String> {
    streaming::revoked(ctx, token_ids).await.map_err(|e| e.to_string())
}

/// Checks a request by its head alone, before its body is read (the platform calls this first):
/// a body declared too long, or an upload without a token that may upload, is refused unread.
/// Otherwise answers how many bytes of body to read at most.
pub async fn admit(ctx: &Ctx<'_>, head: &Request) -> Result<usize, Response> {
    let limit = body::limit(head);
    if body::declared_length(head).is_some_and(|length| length > limit) {
        return Err(refuse(head, ApiError::PayloadTooLarge));
    }
    // A token or session lookup is one D1 query; reading a 100 MiB body is far more.
    match body::uploader(head) {
        Some(body::Uploader::Token(scope)) => {
            if let Err(error) = auth::require_user(ctx, head, &[scope]).await {
                return Err(refuse(head, error));
            }
        }
        Some(body::Uploader::Session(_)) => match auth::session(ctx, head).await {
            Ok(Some(session)) if !session.awaiting_second_factor() => {}
            Ok(_) => return Err(refuse(head, ApiError::UserRequired)),
            Err(error) => return Err(refuse(head, error)),
        },
        None => {}
    }
    Ok(limit)
}

/// The answer to a request refused before `dispatch` (see `admit`), such as a body that turned
/// out longer than its limit while it was read.
pub fn refuse(head: &Request, error: ApiError) -> Response {
    finish(head, error.into_response())
}

/// What every response gets, however it was made.
fn finish(req: &Request, mut response: Response) -> Response {
    if let Some((name, _)) = response.headers.iter().find(|(_, value)| !is_header_value(value)) {
        // The runtime would refuse it with a bare 500; make it ours, and say which header.
        response = ApiError::Internal(format!("response header {name} holds a character no header may carry").into()).into_response();
    }
    if wants_cors(&req.path) {
        response = with_cors(response);
    }
    // Browsers must not guess that a JSON answer or an uploaded file is HTML.
    if response.header_value("x-content-type-options").is_none() {
        response = response.header("X-Content-Type-Options", "nosniff");
    }
    // OAuth answers carry codes and tokens, API answers carry private posts and app secrets:
    // neither may be kept by a shared cache or the browser (RFC 6749 §5.1; Mastodon sends the
    // same on its API). A handler that allows caching says so itself.
    let sensitive = ["/oauth/", "/api/"].iter().any(|prefix| req.path.starts_with(prefix));
    if sensitive && response.header_value("cache-control").is_none() {
        response = response.header("Cache-Control", "no-store");
    }
    if req.method == Method::Head {
        response.body.clear();
        response.blob = None;
    }
    response
}

/// Whether `value` can go out as a header value: no control characters but tab, and nothing
/// beyond Latin-1 (the Fetch API's headers are byte strings).
fn is_header_value(value: &str) -> bool {
    !value.chars().any(|c| (c.is_control() && c != '\t') || c > '\u{ff}')
}

async fn route(ctx: &Ctx<'_>, req: &Request) -> Result<Response, ApiError> {
    // The platform read no more than this (see `admit`); a caller that passes a whole body, as
    // tests do, is held to the same limit.
    let limit = body::limit(req);
    if req.body.len() > limit || body::declared_length(req).is_some_and(|length| length > limit) {
        return Err(ApiError::PayloadTooLarge);
    }
    // Mastodon.py asks for `/api/v1/instance/`: a trailing slash names the same resource.
    let path = req.path.strip_suffix('/').filter(|p| !p.is_empty()).unwrap_or(&req.path);
    let segments: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    use Method::{Delete, Get, Head, Patch, Post, Put};
    let method = if req.method == Head { Get } else { req.method };
    match (method, segments.as_slice()) {
        // Discovery
        (Get, [".well-known", "webfinger"]) => webfinger::get(ctx, req).await,
        (Get, [".well-known", "host-meta"]) => webfinger::host_meta_xml(ctx),
        (Get, [".well-known", "host-meta.json"]) => webfinger::host_meta_json(ctx),
        (Get, [".well-known", "nodeinfo"]) => nodeinfo::links(ctx),
        (Get, ["nodeinfo", version @ ("2.0" | "2.1")]) => nodeinfo::get(ctx, version).await,
        (Get, [".well-known", "oauth-authorization-server"]) => oauth::metadata(ctx),

        // ActivityPub actors, with HTML for browsers on the same URLs
        (Get, ["actor"]) => actors::instance_actor(ctx).await,
        // The owner's RSS and Atom feeds, beside the actor and the profile they are named after.
        (Get, ["users", name]) if web::feeds::split(name).is_some() => web::feeds::profile(ctx, name).await,
        (Get, [handle]) if handle.starts_with('@') && web::feeds::split(handle).is_some() => web::feeds::profile(ctx, &handle[1..]).await,
        (Get, ["users", username]) => actors::get(ctx, req, username).await,
        // The same URL is the actor document for ActivityPub clients and the page for people.
        (Get, [handle]) if handle.starts_with('@') && req.wants_activity_json() => actors::get(ctx, req, &handle[1..]).await,
        (Get, [handle]) if handle.starts_with('@') => web::profile::get(ctx, req, &handle[1..]).await,
        (Get, [handle, "tagged", tag]) if handle.starts_with('@') => web::profile::tagged(ctx, req, &handle[1..], tag).await,
        (Get, [handle, id]) if handle.starts_with('@') && req.wants_activity_json() => collections::status(ctx, &handle[1..], id, false).await,
        (Get, [handle, id]) if handle.starts_with('@') => web::profile::status(ctx, &handle[1..], id).await,
        (Get, ["users", username, "statuses", id]) if req.wants_activity_json() => collections::status(ctx, username, id, false).await,
        (Get, ["users", username, "statuses", id]) => web::profile::status_redirect(ctx, username, id).await,
        (Get, ["users", username, "statuses", id, "activity"]) => collections::status(ctx, username, id, true).await,
        (Get, ["users", username, "outbox"]) => collections::outbox(ctx, req, username).await,
        (Get, ["users", username, "followers"]) => collections::follows(ctx, req, username, AccountList::Followers).await,
        (Get, ["users", username, "following"]) => collections::follows(ctx, req, username, AccountList::Following).await,
        (Get, ["users", username, "collections", "featured"]) => collections::featured(ctx, username).await,
        (Get, ["emojis", id]) => actors::emoji(ctx, id).await,

        // ActivityPub inboxes (personal, shared, and the instance actor's)
        (Post, ["inbox"] | ["actor", "inbox"]) => inbox::post(ctx, req, None).await,
        (Post, ["users", username, "inbox"]) => inbox::post(ctx, req, Some(username)).await,

        // OAuth
        (Get, ["oauth", "authorize"]) => web::authorize::show(ctx, req).await,
        (Post, ["oauth", "authorize"]) => web::authorize::submit(ctx, req).await,
        (Get, ["oauth", "authorized_applications"]) => web::html_errors(ctx, web::authorized_apps::list(ctx, req)).await,
        // Forms send Mastodon's `DELETE`s as `POST` with `_method=delete`.
        (Post | Delete, ["oauth", "authorized_applications"]) => web::html_errors(ctx, web::authorized_apps::revoke(ctx, req, None)).await,
        (Post | Delete, ["oauth", "authorized_applications", id]) => web::html_errors(ctx, web::authorized_apps::revoke(ctx, req, Some(id))).await,
        (Post, ["oauth", "token"]) => oauth::token(ctx, req).await,
        (Post, ["oauth", "revoke"]) => oauth::revoke(ctx, req).await,
        (Get, ["oauth", "userinfo"]) | (Post, ["oauth", "userinfo"]) => oauth::userinfo(ctx, req).await,

        // Mastodon API
        (Post, ["api", "v1", "apps"]) => apps::create(ctx, req).await,
        (Get, ["api", "v1", "apps", "verify_credentials"]) => apps::verify_credentials(ctx, req).await,
        (Get, ["api", "v1", "accounts", "verify_credentials"]) => accounts::verify_credentials(ctx, req).await,
        (Patch, ["api", "v1", "accounts", "update_credentials"]) => accounts::update_credentials(ctx, req).await,
        (Delete, ["api", "v1", "profile", which]) => accounts::remove_image(ctx, req, which).await,
        (Get, ["api", "v1", "topi", "aliases"]) => migration::list(ctx, req).await,
        (Post, ["api", "v1", "topi", "aliases"]) => migration::add(ctx, req).await,
        (Delete, ["api", "v1", "topi", "aliases"]) => migration::remove(ctx, req).await,
        (Post, ["api", "v1", "topi", "migration"]) => migration::migrate(ctx, req).await,
        (Post, ["api", "v1", "topi", "imports"]) => imports::create(ctx, req).await,
        (Get, ["api", "v1", "topi", "imports"]) => imports::index(ctx, req).await,
        (Get, ["api", "v1", "topi", "imports", id]) => imports::show(ctx, req, id).await,
        (Delete, ["api", "v1", "topi", "imports", id]) => imports::delete(ctx, req, id).await,
        (Post, ["api", "v1", "import"]) => imports::create_gotosocial(ctx, req).await,
        (Post, ["api", "v1", "topi", "archive"]) => archive::request(ctx, req).await,
        (Get, ["api", "v1", "topi", "archive"]) => archive::show(ctx, req, None).await,
        (Get, ["api", "v1", "topi", "archive", id]) => archive::show(ctx, req, Some(id)).await,
        (Post, ["api", "v1", "topi", "archive_imports"]) => archive::create_import(ctx, req).await,
        (Get, ["api", "v1", "topi", "archive_imports"]) => archive::show_import(ctx, req, None).await,
        (Get, ["api", "v1", "topi", "archive_imports", id]) => archive::show_import(ctx, req, Some(id)).await,
        (Put, ["api", "v1", "topi", "archive_imports", id, "chunks", number]) => archive::put_chunk(ctx, req, id, number).await,
        (Post, ["api", "v1", "topi", "archive_imports", id, "finish"]) => archive::finish_import(ctx, req, id).await,
        (Get, ["api", "v1", "accounts", "lookup"]) => accounts::lookup(ctx, req).await,
        (Get, ["api", "v1", "accounts", "search"]) => search::accounts(ctx, req).await,
        (Get, ["api", "v2", "search"]) => search::v2(ctx, req).await,
        (Get, ["api", "v1", "accounts", "familiar_followers"]) => relationships::familiar_followers(ctx, req).await,
        (Get, ["api", "v1", "accounts", "relationships"]) => relationships::relationships(ctx, req).await,
        (Get, ["api", "v1", "accounts", id]) => accounts::get(ctx, req, id).await,
        (Get, ["api", "v1", "accounts", id, "followers"]) => relationships::follow_list(ctx, req, id, AccountList::Followers).await,
        (Get, ["api", "v1", "accounts", id, "following"]) => relationships::follow_list(ctx, req, id, AccountList::Following).await,
        (Post, ["api", "v1", "accounts", id, action]) => match Action::parse(action) {
            Some(action) => relationships::act(ctx, req, id, action).await,
            None => Err(ApiError::NotFound),
        },
        (Get, ["api", "v1", "accounts", id, "lists"]) => lists::of_account(ctx, req, id).await,
        (Get, ["api", "v1", "lists"]) => lists::index(ctx, req).await,
        (Post, ["api", "v1", "lists"]) => lists::create(ctx, req).await,
        (Get, ["api", "v1", "lists", id]) => lists::show(ctx, req, id).await,
        (Put, ["api", "v1", "lists", id]) => lists::update(ctx, req, id).await,
        (Delete, ["api", "v1", "lists", id]) => lists::delete(ctx, req, id).await,
        (Get, ["api", "v1", "lists", id, "accounts"]) => lists::members(ctx, req, id).await,
        (Post, ["api", "v1", "lists", id, "accounts"]) => lists::add_members(ctx, req, id).await,
        (Delete, ["api", "v1", "lists", id, "accounts"]) => lists::remove_members(ctx, req, id).await,
        (Get, ["api", "v1", "timelines", "list", id]) => lists::timeline(ctx, req, id).await,
        (Get, ["api", "v1", "accounts", id, "featured_tags"]) => tags::featured_of(ctx, req, id).await,
        (Get, ["api", "v1", "tags", name]) => tags::get(ctx, req, name).await,
        (Post, ["api", "v1", "tags", name, "follow"]) => tags::set_followed(ctx, req, name, true).await,
        (Post, ["api", "v1", "tags", name, "unfollow"]) => tags::set_followed(ctx, req, name, false).await,
        (Get, ["api", "v1", "followed_tags"]) => tags::followed(ctx, req).await,
        (Get, ["api", "v1", "featured_tags"]) => tags::featured(ctx, req).await,
        (Post, ["api", "v1", "featured_tags"]) => tags::feature(ctx, req).await,
        (Delete, ["api", "v1", "featured_tags", id]) => tags::unfeature(ctx, req, id).await,
        (Get, ["api", "v1", "trends"] | ["api", "v1", "trends", "tags"]) => tags::trending_tags(ctx, req).await,
        (Get, ["api", "v1", "trends", "statuses"]) => tags::trending_statuses(ctx, req).await,
        (Get, ["api", "v1", "trends", "links"]) => tags::trending_links(),
        (Get, ["api", "v2", "filters"]) => filters::index(ctx, req).await,
        (Post, ["api", "v2", "filters"]) => filters::create(ctx, req).await,
        (Get, ["api", "v2", "filters", "keywords", id]) => filters::keyword(ctx, req, id, Change::Read).await,
        (Put, ["api", "v2", "filters", "keywords", id]) => filters::keyword(ctx, req, id, Change::Update).await,
        (Delete, ["api", "v2", "filters", "keywords", id]) => filters::keyword(ctx, req, id, Change::Delete).await,
        (Get, ["api", "v2", "filters", "statuses", id]) => filters::filtered_status(ctx, req, id, Change::Read).await,
        (Delete, ["api", "v2", "filters", "statuses", id]) => filters::filtered_status(ctx, req, id, Change::Delete).await,
        (Get, ["api", "v2", "filters", id]) => filters::show(ctx, req, id).await,
        (Put, ["api", "v2", "filters", id]) => filters::update(ctx, req, id).await,
        (Delete, ["api", "v2", "filters", id]) => filters::delete(ctx, req, id).await,
        (Get, ["api", "v2", "filters", id, "keywords"]) => filters::parts(ctx, req, id, true).await,
        (Post, ["api", "v2", "filters", id, "keywords"]) => filters::add_keyword(ctx, req, id).await,
        (Get, ["api", "v2", "filters", id, "statuses"]) => filters::parts(ctx, req, id, false).await,
        (Post, ["api", "v2", "filters", id, "statuses"]) => filters::add_status(ctx, req, id).await,
        (Get, ["api", "v1", "filters"]) => filters::v1_index(ctx, req).await,
        (Post, ["api", "v1", "filters"]) => filters::v1_create(ctx, req).await,
        (Get, ["api", "v1", "filters", id]) => filters::v1_show(ctx, req, id).await,
        (Put, ["api", "v1", "filters", id]) => filters::v1_update(ctx, req, id).await,
        (Delete, ["api", "v1", "filters", id]) => filters::v1_delete(ctx, req, id).await,
        (Get, ["api", "v1", "conversations"]) => conversations::index(ctx, req).await,
        (Post, ["api", "v1", "conversations", id, "read"]) => conversations::read(ctx, req, id).await,
        (Delete, ["api", "v1", "conversations", id]) => conversations::remove(ctx, req, id).await,
        (Get, ["api", "v1", "announcements"]) => announcements::index(ctx, req).await,
        (Post, ["api", "v1", "announcements", id, "dismiss"]) => announcements::dismiss(ctx, req, id).await,
        (Get, ["api", "v1", "admin", "domain_allows"]) => admin::allows(ctx, req).await,
        (Post, ["api", "v1", "admin", "domain_allows"]) => admin::create_allow(ctx, req).await,
        (Get, ["api", "v1", "admin", "domain_allows", id]) => admin::show_allow(ctx, req, id).await,
        (Delete, ["api", "v1", "admin", "domain_allows", id]) => admin::delete_allow(ctx, req, id).await,
        (Get, ["api", "v1", "admin", "reports"]) => admin_reports::index(ctx, req).await,
        (Get, ["api", "v1", "admin", "reports", id]) => admin_reports::show(ctx, req, id).await,
        (Post, ["api", "v1", "admin", "reports", id, "resolve"]) => admin_reports::act(ctx, req, id, crate::app::reports::ReportAction::Resolve).await,
        (Post, ["api", "v1", "admin", "reports", id, "reopen"]) => admin_reports::act(ctx, req, id, crate::app::reports::ReportAction::Reopen).await,
        (Get, ["api", "v1", "admin", "domain_blocks"]) => admin::index(ctx, req).await,
        (Post, ["api", "v1", "admin", "domain_blocks"]) => admin::create(ctx, req).await,
        (Get, ["api", "v1", "admin", "domain_blocks", id]) => admin::show(ctx, req, id).await,
        (Put, ["api", "v1", "admin", "domain_blocks", id]) => admin::update(ctx, req, id).await,
        (Delete, ["api", "v1", "admin", "domain_blocks", id]) => admin::delete(ctx, req, id).await,
        (Get, ["api", "v1", "domain_blocks"]) => domain_blocks::index(ctx, req).await,
        (Post, ["api", "v1", "domain_blocks"]) => domain_blocks::block(ctx, req).await,
        (Delete, ["api", "v1", "domain_blocks"]) => domain_blocks::unblock(ctx, req).await,
        (Post, ["api", "v1", "reports"]) => reports::create(ctx, req).await,
        (Get, ["api", "v1", "suggestions"]) => relationships::suggestions(ctx, req, false).await,
        (Get, ["api", "v2", "suggestions"]) => relationships::suggestions(ctx, req, true).await,
        (Get, ["api", "v1", "follow_requests"]) => relationships::own_list(ctx, req, AccountList::FollowRequests).await,
        (Post, ["api", "v1", "follow_requests", id, "authorize"]) => relationships::act(ctx, req, id, Action::AuthorizeFollow).await,
        (Post, ["api", "v1", "follow_requests", id, "reject"]) => relationships::act(ctx, req, id, Action::RejectFollow).await,
        (Get, ["api", "v1", "blocks"]) => relationships::own_list(ctx, req, AccountList::Blocks).await,
        (Get, ["api", "v1", "mutes"]) => relationships::own_list(ctx, req, AccountList::Mutes).await,
        (Get, ["api", "v1", "endorsements"]) => relationships::own_list(ctx, req, AccountList::Endorsements).await,
        (Get, ["api", "v1", "accounts", id, "statuses"]) => timelines::account_statuses(ctx, req, id).await,

        (Post, ["api", "v1", "statuses"]) => statuses::create(ctx, req).await,
        (Get, ["api", "v1", "statuses"]) => statuses::get_many(ctx, req).await,
        (Get, ["api", "v1", "statuses", id]) => statuses::get(ctx, req, id).await,
        (Delete, ["api", "v1", "statuses", id]) => statuses::delete(ctx, req, id).await,
        (Put, ["api", "v1", "statuses", id]) => statuses::update(ctx, req, id).await,
        (Get, ["api", "v1", "statuses", id, "context"]) => statuses::context(ctx, req, id).await,
        (Get, ["api", "v1", "statuses", id, "history"]) => statuses::history(ctx, req, id).await,
        (Get, ["api", "v1", "statuses", id, "source"]) => statuses::source(ctx, req, id).await,
        (Get, ["api", "v1", "statuses", id, "favourited_by"]) => statuses::actors(ctx, req, id, Actors::FavouritedBy).await,
        (Get, ["api", "v1", "statuses", id, "reblogged_by"]) => statuses::actors(ctx, req, id, Actors::RebloggedBy).await,
        (Post, ["api", "v1", "statuses", id, "reblog"]) => statuses::reblog(ctx, req, id).await,
        (Post, ["api", "v1", "statuses", id, "unreblog"]) => statuses::unreblog(ctx, req, id).await,
        (Post, ["api", "v1", "statuses", id, action]) => match *action {
            "favourite" => statuses::interact(ctx, req, id, Interaction::Favourite).await,
            "unfavourite" => statuses::interact(ctx, req, id, Interaction::Unfavourite).await,
            "bookmark" => statuses::interact(ctx, req, id, Interaction::Bookmark).await,
            "unbookmark" => statuses::interact(ctx, req, id, Interaction::Unbookmark).await,
            "pin" => statuses::interact(ctx, req, id, Interaction::Pin).await,
            "unpin" => statuses::interact(ctx, req, id, Interaction::Unpin).await,
            "mute" => statuses::interact(ctx, req, id, Interaction::Mute).await,
            "unmute" => statuses::interact(ctx, req, id, Interaction::Unmute).await,
            _ => Err(ApiError::NotFound),
        },
        (Get, ["api", "v1", "scheduled_statuses"]) => scheduled_statuses::index(ctx, req).await,
        (Get, ["api", "v1", "scheduled_statuses", id]) => scheduled_statuses::show(ctx, req, id).await,
        (Put, ["api", "v1", "scheduled_statuses", id]) => scheduled_statuses::update(ctx, req, id).await,
        (Delete, ["api", "v1", "scheduled_statuses", id]) => scheduled_statuses::delete(ctx, req, id).await,
        (Post, ["api", "v1" | "v2", "media"]) => media::upload(ctx, req).await,
        (Get, ["api", "v1", "media", id]) => media::get(ctx, req, id).await,
        (Put, ["api", "v1", "media", id]) => media::update(ctx, req, id).await,
        (Get, ["media", ..]) => media::serve(ctx, path.trim_start_matches("/media/")).await,
        (Get, ["settings", "exports", "archive", id]) => archive::download(ctx, req, id).await,
        (Get, ["api", "v1", "polls", id]) => polls::get(ctx, req, id).await,
        (Post, ["api", "v1", "polls", id, "votes"]) => polls::vote(ctx, req, id).await,
        (Get, ["api", "v1", "timelines", "home"]) => timelines::home(ctx, req).await,
        (Get, ["api", "v1", "timelines", "public"]) => timelines::public(ctx, req).await,
        (Get, ["api", "v1", "timelines", "link"]) => timelines::link(ctx, req).await,
        (Get, ["api", "v1", "timelines", "tag", hashtag]) => timelines::tag(ctx, req, hashtag).await,
        (Get, ["api", "v1", "favourites"]) => timelines::listed(ctx, req, StatusList::Favourites).await,
        (Get, ["api", "v1", "bookmarks"]) => timelines::listed(ctx, req, StatusList::Bookmarks).await,

        (Get, ["api", "v1", "notifications"]) => notifications::list(ctx, req).await,
        (Post, ["api", "v1", "notifications", "clear"]) => notifications::clear(ctx, req).await,
        (Get, ["api", "v1", "notifications", "requests"]) => notifications::requests(ctx, req).await,
        (Get, ["api", "v1", "notifications", "unread_count"]) => notifications::unread_count(ctx, req).await,
        (Get, ["api", "v1", "notifications", "policy"]) => notifications::policy(ctx, req).await,
        (Get, ["api", "v1", "notifications", id]) => notifications::get(ctx, req, id).await,
        (Post, ["api", "v1", "notifications", id, "dismiss"]) => notifications::dismiss(ctx, req, id).await,
        (Get, ["api", "v2", "notifications"]) => notifications::v2_list(ctx, req).await,
        (Get, ["api", "v2", "notifications", "unread_count"]) => notifications::unread_count(ctx, req).await,
        (Get, ["api", "v2", "notifications", "policy"]) => notifications::policy(ctx, req).await,
        (Get, ["api", "v2", "notifications", key]) => notifications::v2_group(ctx, req, key).await,
        (Get, ["api", "v2", "notifications", key, "accounts"]) => notifications::v2_group_accounts(ctx, req, key).await,
        (Post, ["api", "v2", "notifications", key, "dismiss"]) => notifications::v2_dismiss(ctx, req, key).await,
        (Post, ["api", "v1", "push", "subscription"]) => push::create(ctx, req).await,
        (Get, ["api", "v1", "push", "subscription"]) => push::show(ctx, req).await,
        (Put, ["api", "v1", "push", "subscription"]) => push::update(ctx, req).await,
        (Delete, ["api", "v1", "push", "subscription"]) => push::delete(ctx, req).await,
        (Get, ["api", "v1", "streaming", "health"]) => Ok(streaming::health()),
        // The upgrades were taken by `streaming_upgrade` before routing.
        (Get, ["api", "v1", "streaming", ..]) => {
            Err(ApiError::BadRequest("The streaming API is served over WebSocket only (server-sent events are not offered)".into()))
        }
        (Get, ["api", "v1", "markers"]) => markers::get(ctx, req).await,
        (Post, ["api", "v1", "markers"]) => markers::set(ctx, req).await,
        (Get, ["api", "v1", "instance"]) => instance::v1(ctx).await,
        (Get, ["api", "v2", "instance"]) => instance::v2(ctx).await,
        (Get, ["api", "v1", "instance", "peers"]) => instance::peers(ctx).await,
        (Get, ["api", "v1", "instance", "activity"]) => instance::activity(ctx).await,
        (Get, ["api", "v1", "instance", "rules"]) => instance::rules(ctx).await,
        (Get, ["api", "v1", "instance", "extended_description"]) => instance::extended_description(ctx).await,
        (Get, ["api", "v1", "instance", "privacy_policy"]) => instance::privacy_policy(ctx).await,
        (Get, ["api", "v1", "instance", "terms_of_service"]) => instance::terms_of_service(ctx, None).await,
        (Get, ["api", "v1", "instance", "terms_of_service", date]) => instance::terms_of_service(ctx, Some(date)).await,
        (Get, ["api", "v1", "instance", "translation_languages"]) => instance::translation_languages(),
        (Get, ["api", "v1", "instance", "domain_blocks"]) => admin::public_list(ctx, req).await,
        (Get, ["api", "v1", "preferences"]) => accounts::preferences(ctx, req).await,
        (Get, ["api", "v1", "custom_emojis"]) => instance::custom_emojis(ctx).await,

        // Mastodon's CSV files, at its settings' paths (a bearer token for now)
        (Get, ["settings", "exports", file]) => exports::get(ctx, req, file).await,
        (Get, ["settings", "imports", id, "failures.csv"]) => imports::failures_csv(ctx, req, id).await,

        // Assets the API points at
        (Get, ["avatars" | "headers", "original", "missing.png"]) => Ok(web::assets::missing_image()),
        (Get, ["favicon.ico"]) => Ok(web::assets::missing_image()),

        // Public pages (docs/web.md)
        (Get, [] | [""]) => web::profile::home(ctx, req).await,
        (Get, ["about"]) => web::about::get(ctx).await,
        (Get, ["privacy-policy"]) => web::about::privacy(ctx).await,
        (Get, ["terms-of-service"]) => web::about::terms(ctx).await,
        (Get, ["admin", "settings"]) => web::html_errors(ctx, web::admin::settings::index(ctx, req)).await,
        (Post | Put, ["admin", "settings"]) => web::html_errors(ctx, web::admin::settings::save_settings(ctx, req)).await,
        (Post, ["admin", "settings", "images"]) => web::html_errors(ctx, web::admin::settings::save_site_images(ctx, req)).await,
        (Post, ["admin", "rules"]) => web::html_errors(ctx, web::admin::settings::add_rule(ctx, req)).await,
        (Post | Delete, ["admin", "rules", id]) => web::html_errors(ctx, web::admin::settings::delete_rule(ctx, req, id)).await,
        (Get, ["tags", name]) if web::feeds::split(name).is_some() => web::feeds::hashtag(ctx, name).await,
        (Get, ["tags", name]) => web::tags::get(ctx, req, name).await,
        (Get, ["interact"]) => web::interact::show(ctx, req).await,
        (Post, ["interact"]) => web::interact::submit(ctx, req).await,
        (Get, ["authorize_interaction"]) => web::interact::authorize(ctx, req).await,
        (Post, ["authorize_interaction"]) => web::interact::follow(ctx, req).await,

        // The owner's sign-in and settings (docs/web.md, "Signing in"), at Mastodon's paths
        (Get, ["auth", "sign_in"]) => web::html_errors(ctx, web::auth::show(ctx, req)).await,
        (Post, ["auth", "sign_in"]) => web::html_errors(ctx, web::auth::submit(ctx, req)).await,
        (Post | Delete, ["auth", "sign_out"]) => web::html_errors(ctx, web::auth::sign_out(ctx, req)).await,
        (Get, ["auth", "edit"]) => web::html_errors(ctx, web::settings::account(ctx, req)).await,
        (Get, ["settings"]) => web::html_errors(ctx, web::settings::index(ctx, req)).await,
        (Get, ["settings", "profile"]) => web::html_errors(ctx, web::edit_profile::edit_profile(ctx, req)).await,
        (Post | Put | Patch, ["settings", "profile"]) => web::html_errors(ctx, web::edit_profile::update_profile(ctx, req)).await,
        (Get, ["settings", "migration" | "aliases"]) => web::html_errors(ctx, web::moving::show(ctx, req)).await,
        (Post, ["settings", "aliases"]) => web::html_errors(ctx, web::moving::change_alias(ctx, req, false)).await,
        (Delete, ["settings", "aliases"]) => web::html_errors(ctx, web::moving::change_alias(ctx, req, true)).await,
        (Post, ["settings", "migration"]) => web::html_errors(ctx, web::moving::move_account(ctx, req)).await,
        (Get, ["settings", "imports"]) => web::html_errors(ctx, web::imports::index(ctx, req)).await,
        (Post, ["settings", "imports"]) => web::html_errors(ctx, web::imports::create(ctx, req)).await,
        (Get, ["settings", "preferences"]) => web::html_errors(ctx, web::edit_profile::preferences(ctx, req)).await,
        (Post | Put | Patch, ["settings", "preferences"]) => web::html_errors(ctx, web::edit_profile::update_preferences(ctx, req)).await,
        (Get, ["admin", "announcements"]) => web::html_errors(ctx, web::admin::announcements::index(ctx, req)).await,
        (Post, ["admin", "announcements"]) => web::html_errors(ctx, web::admin::announcements::create_announcement(ctx, req)).await,
        (Post | Put | Delete, ["admin", "announcements", id]) => web::html_errors(ctx, web::admin::announcements::change_announcement(ctx, req, id)).await,
        (Get, ["admin", "federation"]) => web::html_errors(ctx, web::admin::federation::index(ctx, req)).await,
        (Post, ["admin", "federation", domain, "retry"]) => web::html_errors(ctx, web::admin::federation::retry_peer(ctx, req, domain)).await,
        (Get, ["admin", "custom_emojis"]) => web::html_errors(ctx, web::admin::custom_emojis::index(ctx, req)).await,
        (Post, ["admin", "custom_emojis"]) => web::html_errors(ctx, web::admin::custom_emojis::upload_emoji(ctx, req)).await,
        (Post | Put | Delete, ["admin", "custom_emojis", id]) => web::html_errors(ctx, web::admin::custom_emojis::change_emoji(ctx, req, id)).await,
        (Get, ["admin", "reports"]) => web::html_errors(ctx, web::reports::index(ctx, req)).await,
        (Get, ["admin", "reports", id]) => web::html_errors(ctx, web::reports::show(ctx, req, id)).await,
        (Post, ["admin", "reports", id, action]) => web::html_errors(ctx, web::reports::act(ctx, req, id, action)).await,
        (Get, ["admin", "domain_blocks"]) => web::html_errors(ctx, web::admin::domain_blocks::index(ctx, req)).await,
        (Get, ["admin", "export_domain_blocks", "export.csv"]) => web::html_errors(ctx, web::admin::domain_blocks::export_blocks(ctx, req)).await,
        (Post, ["admin", "export_domain_blocks", "import"]) => web::html_errors(ctx, web::admin::domain_blocks::import_blocks(ctx, req)).await,
        (Post | Put, ["admin", "allow_list_mode"]) => web::html_errors(ctx, web::admin::domain_blocks::allow_list_mode(ctx, req)).await,
        (Post, ["admin", "domain_allows"]) => web::html_errors(ctx, web::admin::domain_blocks::create_allow(ctx, req)).await,
        (Post | Delete, ["admin", "domain_allows", id]) => web::html_errors(ctx, web::admin::domain_blocks::delete_allow(ctx, req, id)).await,
        (Post, ["admin", "domain_blocks"]) => web::html_errors(ctx, web::admin::domain_blocks::create(ctx, req)).await,
        (Post | Put | Delete, ["admin", "domain_blocks", id]) => web::html_errors(ctx, web::admin::domain_blocks::change(ctx, req, id)).await,
        (Post | Delete, ["settings", "sessions", "others"]) => web::html_errors(ctx, web::settings::revoke_other_sessions(ctx, req)).await,
        (Post | Delete, ["settings", "sessions", id]) => web::html_errors(ctx, web::settings::revoke_session(ctx, req, id)).await,
        (Get, ["settings", "two_factor_authentication_methods"]) => web::html_errors(ctx, web::two_factor::show(ctx, req)).await,
        (Post, ["settings", "two_factor_authentication_methods", "disable"]) => web::html_errors(ctx, web::two_factor::disable(ctx, req)).await,
        (Get, ["settings", "otp_authentication"]) => web::html_errors(ctx, web::two_factor::setup(ctx, req)).await,
        (Post, ["settings", "otp_authentication"]) => web::html_errors(ctx, web::two_factor::confirm(ctx, req)).await,

        (_, ["api", ..]) => Err(ApiError::NotFound),
        (Delete | Patch | Put, _) => Err(ApiError::NotFound),
        _ => Ok(web::not_found()),
    }
}

/// Mastodon's CORS policy (config/initializers/cors.rb): open to every origin, no credentials.
fn wants_cors(path: &str) -> bool {
    !path.starts_with("/oauth/authorize")
}

const EXPOSED_HEADERS: &str = "Link, X-RateLimit-Reset, X-RateLimit-Limit, X-RateLimit-Remaining, X-Request-Id, Idempotency-Key";

fn with_cors(response: Response) -> Response {
    response.header("Access-Control-Allow-Origin", "*").header("Access-Control-Expose-Headers", EXPOSED_HEADERS)
}

fn preflight(req: &Request) -> Response {
    let requested_headers = req.header("access-control-request-headers").unwrap_or("Authorization, Content-Type");
    Response::new(200, "text/plain; charset=utf-8", Vec::new())
        .header("Access-Control-Allow-Origin", "*")
        .header("Access-Control-Allow-Methods", "POST, PUT, DELETE, GET, PATCH, OPTIONS")
        .header("Access-Control-Allow-Headers", requested_headers)
        .header("Access-Control-Expose-Headers", EXPOSED_HEADERS)
        .header("Access-Control-Max-Age", "7200")
}

#[cfg(test)]
mod tests {
    use crate::edge::http::Method::{Get, Post};
    use super::*;
    use crate::testing::TestEnv;

    /// What the runtime would refuse with a bare 500 (see `is_header_value`).
    fn headers_are_sendable(response: &Response) -> bool {
        response.headers.iter().all(|(_, value)| is_header_value(value))
    }

    #[tokio::test(flavor = "current_thread")]
    async fn a_status_url_with_a_control_character_is_not_found() {
        let env = TestEnv::new();
        for path in ["/users/alice/statuses/1\n", "/users/alice/statuses/1\r\nSet-Cookie: x=y", "/users/bob/statuses/1", "/users/al\nice/statuses/1"] {
            let (response, body) = env.send(Get, path, "").await;
            assert_eq!((response.status, body["error"].as_str()), (404, Some("Record not found")), "{path:?}");
        }
        let (response, _) = env.send(Get, "/users/alice/statuses/123", "").await;
        assert_eq!((response.status, response.header_value("location")), (302, Some("https://social.example/@alice/123")));
    }

    #[tokio::test(flavor = "current_thread")]
    async fn link_headers_escape_the_path_they_repeat() {
        let env = TestEnv::new();
        let token = env.owner_token().await;
        env.send_as(&token, Post, "/api/v1/statuses", "status=%23topi+%23%E6%97%A5%E6%9C%AC").await;
        for path in ["/api/v1/timelines/tag/x\ny?any[]=topi", "/api/v1/timelines/tag/日本"] {
            let (response, body) = env.send(Get, path, "").await;
            assert_eq!(body.as_array().map(Vec::len), Some(1), "{path:?}: {body}");
            let link = response.header_value("link").unwrap_or_default();
            assert!(link.contains("/api/v1/timelines/tag/") && headers_are_sendable(&response), "{path:?}: {link:?}");
        }
    }

    #[test]
    fn a_response_header_the_runtime_would_refuse_becomes_a_json_error() {
        let req = Request { method: Get, path: "/x".into(), query: String::new(), headers: Vec::new(), body: Vec::new() };
        let response = finish(&req, Response::redirect(302, "/a\nb"));
        assert_eq!((response.status, response.header_value("content-type")), (500, Some(crate::edge::http::JSON)));
        assert_eq!(response.header_value("x-content-type-options"), Some("nosniff"));
        assert!(headers_are_sendable(&response));
    }

    #[tokio::test(flavor = "current_thread")]
    async fn an_upload_is_refused_by_its_head_before_its_body_is_read() {
        let env = TestEnv::new();
        let ctx = env.ctx();
        let head = |path: &str, length: usize, token: Option<&str>| Request {
            method: Post,
            path: path.into(),
            query: String::new(),
            headers: [("content-length".to_string(), length.to_string())]
                .into_iter()
                .chain(token.map(|t| ("authorization".to_string(), format!("Bearer {t}"))))
                .collect(),
            body: Vec::new(),
        };
        let fifty_mib = 50 * 1024 * 1024;
        let refused = admit(&ctx, &head("/api/v2/media", fifty_mib, None)).await.unwrap_err();
        assert_eq!((refused.status, refused.header_value("access-control-allow-origin")), (401, Some("*")));
        let push = env.owner_token_with("push").await;
        assert_eq!(admit(&ctx, &head("/api/v2/media", fifty_mib, Some(&push))).await.unwrap_err().status, 403);
        let media = env.owner_token_with("write:media").await;
        assert_eq!(admit(&ctx, &head("/api/v2/media", fifty_mib, Some(&media))).await.ok(), Some(body::MAX_UPLOAD_BYTES));
        assert_eq!(admit(&ctx, &head("/api/v2/media", body::MAX_UPLOAD_BYTES + 1, Some(&media))).await.unwrap_err().status, 413);
        assert_eq!(admit(&ctx, &head("/api/v1/statuses", body::MAX_BODY_BYTES + 1, None)).await.unwrap_err().status, 413);
        assert_eq!(admit(&ctx, &head("/api/v1/statuses", 10, None)).await.ok(), Some(body::MAX_BODY_BYTES));
        // A custom emoji's form (256 KB of image at most) comes with a session cookie, not a
        // token: it gets the ordinary limit, which holds a stranger's body as small as any form's.
        let emoji_form = 256 * 1024 + 4096;
        assert!(emoji_form < body::MAX_BODY_BYTES);
        assert_eq!(admit(&ctx, &head("/admin/custom_emojis", emoji_form, None)).await.ok(), Some(body::MAX_BODY_BYTES));
        assert_eq!(admit(&ctx, &head("/admin/custom_emojis", body::MAX_BODY_BYTES + 1, None)).await.unwrap_err().status, 413);
    }
}
