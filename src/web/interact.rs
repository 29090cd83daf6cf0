//! Remote interaction, both ways.
//!
//! - `/interact` (the form on the profile and post pages, or its own page): a visitor types their
//!   handle, we ask their server's WebFinger where it lets them interact with a remote object
//!   (`app::remote::interaction`), and show them the link to follow there. Shown, not redirected
//!   to: the pages' CSP (`form-action 'self'`) would stop a redirect after the form's POST, and
//!   a link the visitor follows keeps us from being an open redirect to whatever a WebFinger
//!   answer names.
//! - `/authorize_interaction?uri=…`: where other servers send the owner (our WebFinger's
//!   `http://ostatus.org/schema/1.0/subscribe` template) to follow or answer something there.
//!   Our own objects lead to their pages. Signed in, the owner sees the account (or the post and
//!   its author), fetched if new, and follows it with one button (`POST`, CSRF-checked, through
//!   `app::relationships::follow`); replying stays with the apps. Nothing is fetched for an
//!   anonymous request, which is shown what to do in an app.
use askama::Template;

use super::signed_in;
use super::views::{display_name, excerpt, http_url, InteractForm};
use crate::app::error::Error;
use crate::app::remote::interaction::{self, Refusal};
use crate::app::remote::{self, actors, Resolved};
use crate::app::sessions::Session;
use crate::app::{owner, posting, profile, relationships};
use crate::ctx::Ctx;
use crate::edge::error::ApiError;
use crate::edge::http::{Request, Response};
use crate::store::accounts::AccountRow;

/// A handle is at most a username (255) and a domain (253) and a little: what is typed beyond
/// this is not shown again.
const MAX_ACCT: usize = 600;

#[derive(Template)]
#[template(path = "interact_page.html")]
struct InteractPage<'a> {
    instance_title: &'a str,
    noindex: bool,
    interact: InteractForm,
    /// Where to continue, once the visitor's server named it.
    destination: Option<String>,
    destination_host: String,
    what: &'static str,
    back: String,
}

/// What the visitor would interact with: a post of the owner's (`status_id`), or the owner.
struct Target {
    uri: String,
    page: String,
    what: &'static str,
    form: InteractForm,
}

async fn target(ctx: &Ctx<'_>, owner: &AccountRow, status_id: Option<String>) -> Result<Option<Target>, ApiError> {
    let Some(id) = status_id else {
        return Ok(Some(Target { uri: owner.uri.clone(), page: ctx.config.profile_url(&owner.username), what: "this account", form: InteractForm::follow() }));
    };
    let row = match posting::visible(ctx, None, &id).await {
        Ok(row) => row,
        Err(crate::app::error::Error::NotFound) => return Ok(None),
        Err(e) => return Err(e.into()),
    };
    if row.account_id != owner.id || row.reblog_of_id.is_some() {
        return Ok(None);
    }
    let page = format!("{}/{}", ctx.config.profile_url(&owner.username), row.id);
    Ok(Some(Target { uri: row.uri, page, what: "this post", form: InteractForm::reply(row.id) }))
}

fn page(ctx: &Ctx<'_>, status: u16, target: Target, destination: Option<String>) -> Response {
    let destination_host = destination
        .as_deref()
        .and_then(|d| url::Url::parse(d).ok())
        .and_then(|u| Some(u.port().map_or(u.host_str()?.to_string(), |port| format!("{}:{port}", u.host_str().unwrap_or_default()))))
        .unwrap_or_default();
    let page = InteractPage {
        instance_title: &ctx.config.title,
        noindex: true,
        interact: target.form,
        destination,
        destination_host,
        what: target.what,
        back: target.page,
    };
    super::render(status, &page)
}

/// `GET /interact[?status_id=]`: the form on a page of its own.
pub async fn show(ctx: &Ctx<'_>, req: &Request) -> Result<Response, ApiError> {
    super::html_errors(ctx, async {
        let owner = owner::account(ctx).await?;
        let Some(target) = target(ctx, &owner, req.query_params().non_empty("status_id")).await? else { return Ok(super::not_found()) };
        Ok(page(ctx, 200, target, None))
    })
    .await
}

/// `POST /interact`: `acct` (the visitor's handle) and `status_id` (the post; none: follow).
pub async fn submit(ctx: &Ctx<'_>, req: &Request) -> Result<Response, ApiError> {
    super::html_errors(ctx, async {
        let params = req.params()?;
        let owner = owner::account(ctx).await?;
        let Some(mut target) = target(ctx, &owner, params.non_empty("status_id")).await? else { return Ok(super::not_found()) };
        let acct = params.str("acct").unwrap_or_default().trim().to_string();
        target.form.acct = acct.chars().take(MAX_ACCT).collect();
        match interaction::url_for(ctx, &acct, &target.uri).await {
            Ok(url) => Ok(page(ctx, 200, target, Some(url))),
            Err(refusal) => {
                let status = if refusal == Refusal::Unreachable { 502 } else { 422 };
                target.form.error = Some(refusal.to_string());
                Ok(page(ctx, status, target, None))
            }
        }
    })
    .await
}

#[derive(Template)]
#[template(path = "authorize_interaction.html")]
struct AuthorizePage<'a> {
    instance_title: &'a str,
    noindex: bool,
    uri: &'a str,
    link: Option<&'a str>,
}

/// The longest address shown (Mastodon's limit on a URL).
const MAX_URI: usize = 2048;

/// `GET /authorize_interaction?uri=…`
pub async fn authorize(ctx: &Ctx<'_>, req: &Request) -> Result<Response, ApiError> {
    super::html_errors(ctx, async {
        let uri = req.query_params().non_empty("uri").map(|u| u.trim().to_string()).unwrap_or_default();
        if uri.is_empty() || uri.len() > MAX_URI {
            return Ok(super::message(400, &ctx.config.title, "Nothing to interact with", "The link that brought you here names no post or account."));
        }
        let owner = owner::account(ctx).await?;
        if let Some(path) = local_page(ctx, &owner, &uri) {
            return Ok(Response::redirect(302, &path));
        }
        if let Ok(session) = signed_in::require(ctx, req).await? {
            return follow_page(ctx, &session, &uri).await;
        }
        let page = AuthorizePage { instance_title: &ctx.config.title, noindex: true, uri: &uri, link: http_url(&uri) };
        Ok(super::render(200, &page))
    })
    .await
}

#[derive(Template)]
#[template(path = "authorize_follow.html")]
struct FollowPage<'a> {
    instance_title: &'a str,
    csrf_token: &'a str,
    uri: &'a str,
    acct: String,
    name: &'a str,
    avatar: String,
    note: String,
    following: bool,
    requested: bool,
    post_excerpt: Option<String>,
    link: Option<&'a str>,
}

/// The account `uri` names (a handle, an actor or a post, whose author it is) and the post,
/// fetched and stored when new.
async fn resolve(ctx: &Ctx<'_>, uri: &str) -> Result<(AccountRow, Option<String>), Error> {
    let handle = uri.strip_prefix("acct:").unwrap_or(uri).trim_start_matches('@');
    if let Some((username, domain)) = handle.split_once('@').filter(|_| http_url(uri).is_none()) {
        return Ok((actors::resolve_handle(ctx, username, domain).await?, None));
    }
    if http_url(uri).is_none() {
        return Err(Error::Invalid("The address is neither a handle nor a web address".into()));
    }
    match remote::resolve_url(ctx, uri).await? {
        Resolved::Account(account) => Ok((account, None)),
        Resolved::Status(status) => {
            let author = crate::store::accounts::get(ctx.db, status.account_id).await?.ok_or(Error::NotFound)?;
            Ok((author, Some(excerpt(&status.content, 500))))
        }
        Resolved::Nothing => Err(Error::NotFound),
    }
}

/// The signed-in owner's view of `uri`: whom it names, and following them.
async fn follow_page(ctx: &Ctx<'_>, session: &Session, uri: &str) -> Result<Response, ApiError> {
    let (account, post_excerpt) = match resolve(ctx, uri).await {
        Ok(found) => found,
        Err(Error::NotFound) => return Ok(super::message(404, &ctx.config.title, "Not found", "Nothing could be found at this address.")),
        Err(Error::Invalid(why)) => return Ok(super::message(422, &ctx.config.title, "Nothing to interact with", &why)),
        Err(Error::Internal(source)) => return Err(ApiError::Internal(source)),
        Err(error) => {
            crate::ctx::log_info(&format!("authorize_interaction {uri}: {error}"));
            return Ok(super::message(502, &ctx.config.title, "Not reachable", "The address could not be read. Try again later."));
        }
    };
    let relationship = crate::store::relationships::relationships(ctx.db, session.row.account_id, &[account.id]).await?.pop();
    let page = FollowPage {
        instance_title: &ctx.config.title,
        csrf_token: &session.csrf_token(),
        uri,
        acct: format!("@{}@{}", account.username, account.domain.as_deref().unwrap_or(&ctx.config.handle_domain)),
        name: display_name(&account),
        avatar: profile::avatar_url(&account, ctx.config),
        note: excerpt(&account.note, 300),
        following: relationship.as_ref().is_some_and(|r| r.following),
        requested: relationship.as_ref().is_some_and(|r| r.requested),
        post_excerpt,
        link: http_url(uri),
    };
    Ok(signed_in::private(super::render(200, &page)))
}

/// `POST /authorize_interaction` (`uri`): the signed-in owner follows whom it names.
pub async fn follow(ctx: &Ctx<'_>, req: &Request) -> Result<Response, ApiError> {
    super::html_errors(ctx, async {
        let (session, params) = match signed_in::form(ctx, req).await? {
            Ok(checked) => checked,
            Err(refused) => return Ok(refused),
        };
        let uri = params.str("uri").map(|u| u.trim().to_string()).unwrap_or_default();
        if uri.is_empty() || uri.len() > MAX_URI {
            return Ok(super::message(400, &ctx.config.title, "Nothing to interact with", "The form names no account."));
        }
        let (account, _) = resolve(ctx, &uri).await?;
        relationships::follow(ctx, session.row.account_id, &account, relationships::Follow::default()).await?;
        let back = format!("/authorize_interaction?uri={}", form_urlencoded::byte_serialize(uri.as_bytes()).collect::<String>());
        Ok(Response::redirect(303, &back))
    })
    .await
}

/// Our page of `uri` when it names the owner or one of our posts (by URL or `acct:` handle),
/// built from what was parsed, never from the text given.
fn local_page(ctx: &Ctx<'_>, owner: &AccountRow, uri: &str) -> Option<String> {
    let config = ctx.config;
    let profile = config.profile_url(&owner.username);
    if let Some((username, domain)) = crate::activitypub::webfinger::parse_handle(uri) {
        let ours = domain.eq_ignore_ascii_case(&config.handle_domain) || domain.eq_ignore_ascii_case(&config.host);
        return (ours && username.eq_ignore_ascii_case(&owner.username)).then_some(profile);
    }
    let path = uri.strip_prefix(&config.public_url)?.split(['?', '#']).next()?;
    let segments: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    let is_owner = |name: &str| name.eq_ignore_ascii_case(&owner.username);
    match segments.as_slice() {
        ["users", name] if is_owner(name) => Some(profile),
        [handle] if handle.strip_prefix('@').is_some_and(is_owner) => Some(profile),
        ["users", name, "statuses", id] if is_owner(name) => crate::domain::ids::parse(id).map(|id| format!("{profile}/{id}")),
        [handle, id] if handle.strip_prefix('@').is_some_and(is_owner) => crate::domain::ids::parse(id).map(|id| format!("{profile}/{id}")),
        _ => None,
    }
}
