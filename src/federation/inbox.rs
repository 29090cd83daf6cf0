//! `POST /inbox` and `POST /users/{name}/inbox`: who sent this, and may they say it?
//! An activity is applied only when its HTTP signature (draft-cavage or RFC 9421) or its
//! FEP-8b32 proof verifies with a key that belongs to the activity's `actor`. Rejections are
//! logged and answered with a JSON error: 400 malformed, 401 bad signature or wrong key owner,
//! 413 too large (the router), 503 when the signer's server cannot be reached.
use serde_json::{json, Value};

use crate::activitypub::proofs;
use crate::activitypub::signatures::{self, Algorithm, RequestParts, Verification};
use crate::activitypub::vocab::{self, id_of, ActorKeys};
use crate::crypto::keys;
use crate::ctx::Ctx;
use crate::app::remote::actors;
use crate::app::remote::fetch::FetchError;
use crate::app::remote::Outcome;
use crate::federation::inbound;
use crate::ctx::log_error;
use crate::edge::error::ApiError;
use crate::edge::http::{Request, Response};
use crate::store::accounts::{self, AccountRow};
use crate::store::federation as store;

pub async fn post(ctx: &Ctx<'_>, req: &Request, username: Option<&str>) -> Result<Response, ApiError> {
    if let Some(name) = username {
        crate::app::owner::account_named(ctx, name).await?.ok_or(ApiError::NotFound)?;
    }
    match receive(ctx, req).await {
        Ok((outcome, id)) => {
            if let Outcome::Ignored(why) = outcome {
                log_error(&format!("inbox: ignored {id}: {why}"));
            }
            Ok(Response::json(202, &json!({})))
        }
        Err(e) => {
            log_error(&format!("inbox: rejected a request from {}: {e}", req.header("user-agent").unwrap_or("?")));
            Err(e)
        }
    }
}

async fn receive(ctx: &Ctx<'_>, req: &Request) -> Result<(Outcome, String), ApiError> {
    let activity: Value = serde_json::from_slice(&req.body).map_err(|e| ApiError::BadRequest(format!("body is not JSON: {e}")))?;
    let actor_uri = activity.get("actor").and_then(id_of).ok_or_else(|| ApiError::BadRequest("activity has no actor".into()))?;
    if !activity.is_object() || vocab::type_of(&activity).is_empty() {
        return Err(ApiError::BadRequest("activity has no type".into()));
    }
    let activity_id = activity.get("id").and_then(Value::as_str).unwrap_or_default().to_string();
    // A server speaks only for its own activities: an id on another host could squat the id
    // of an activity that server has not sent yet.
    if !activity_id.is_empty() && vocab::host_of(&activity_id).is_none_or(|host| Some(host) != vocab::host_of(actor_uri)) {
        return Err(ApiError::BadRequest("activity id is not on the actor's host".into()));
    }
    // A suspended server, or an actor the admin suspended, is refused before its signature
    // costs a fetch or a verification (both read from the same in-memory policy).
    let policy = crate::app::moderation::policy(ctx).await?;
    if vocab::host_of(actor_uri).is_some_and(|host| policy.standing(&host).suspended) || policy.actor_suspended(actor_uri) {
        return Err(ApiError::Forbidden);
    }
    let actor = authenticate(ctx, req, &activity, actor_uri).await.map_err(|refusal| refusal.answer())?;
    if !activity_id.is_empty() && store::seen(ctx.db, actor.id, &activity_id).await? {
        return Ok((Outcome::Ignored("already applied"), activity_id));
    }
    let outcome = inbound::apply(ctx, &actor, &activity).await?;
    if !activity_id.is_empty() {
        ctx.db.run(&store::remember_seen(actor.id, &activity_id, ctx.now_ms())).await?;
    }
    Ok((outcome, activity_id))
}

/// Why a request was not authenticated. The details go to the log only: the caller is not yet
/// known, and what fetching its key returned would tell it about hosts and ports it cannot see.
enum Refusal {
    /// The signature, key or proof does not hold.
    Forged(String),
    /// The signer's server could not be asked (worth retrying).
    Unreachable(String),
    Store(ApiError),
}

impl Refusal {
    fn answer(self) -> ApiError {
        match self {
            Refusal::Forged(why) => {
                log_error(&format!("inbox: not authenticated: {why}"));
                ApiError::Unauthorized("the request's signature could not be verified".into())
            }
            Refusal::Unreachable(why) => {
                log_error(&format!("inbox: signer unreachable: {why}"));
                ApiError::Unavailable("the signer's key could not be fetched; try again later".into())
            }
            Refusal::Store(e) => e,
        }
    }
}

impl From<crate::store::db::StoreError> for Refusal {
    fn from(e: crate::store::db::StoreError) -> Self {
        Refusal::Store(e.into())
    }
}

fn fetch_refusal(what: &str, e: FetchError) -> Refusal {
    if e.is_transient() {
        Refusal::Unreachable(format!("{what}: {e}"))
    } else {
        Refusal::Forged(format!("{what}: {e}"))
    }
}

/// A stored actor is fetched again to look for a new key at most this often: a stream of
/// forged signatures naming a known actor must not turn into a stream of fetches.
const KEY_REFETCH_AFTER_MS: i64 = 60_000;

/// The account that provably sent `activity`: by HTTP signature, else by FEP-8b32 proof. Before
/// the signature verifies, at most one actor (and key) document is fetched and nothing is
/// sanitized or stored.
async fn authenticate(ctx: &Ctx<'_>, req: &Request, activity: &Value, actor_uri: &str) -> Result<AccountRow, Refusal> {
    let has_signature = req.header("signature").is_some() || req.header("authorization").is_some_and(|a| a.starts_with("Signature"));
    if has_signature {
        return by_http_signature(ctx, req, actor_uri).await;
    }
    if activity.get("proof").is_some() {
        return by_proof(ctx, activity, actor_uri).await;
    }
    Err(Refusal::Forged("request is not signed".into()))
}

/// The stored remote account of `actor_uri`, and whether its copy may be refetched now.
async fn stored_actor(ctx: &Ctx<'_>, actor_uri: &str) -> Result<(Option<AccountRow>, bool), Refusal> {
    let account = accounts::get_by_uri(ctx.db, actor_uri).await?;
    if account.as_ref().is_some_and(AccountRow::is_local) {
        return Err(Refusal::Forged(format!("{actor_uri} is a local actor")));
    }
    let refetch = account.as_ref().is_none_or(|a| a.fetched_at.is_none_or(|t| ctx.now_ms() - t >= KEY_REFETCH_AFTER_MS));
    Ok((account, refetch))
}

async fn by_http_signature(ctx: &Ctx<'_>, req: &Request, actor_uri: &str) -> Result<AccountRow, Refusal> {
    let target = if req.query.is_empty() { req.path.clone() } else { format!("{}?{}", req.path, req.query) };
    let scheme = ctx.config.public_url.split("://").next().unwrap_or("https");
    let authority = req.header("host").unwrap_or(&ctx.config.host).to_string();
    let parts = RequestParts { method: req.method.as_str(), url_path_and_query: &target, authority: &authority, scheme, headers: &req.headers };
    let verification = signatures::verification(&parts, &req.body, ctx.now_ms()).map_err(|e| Refusal::Forged(format!("signature: {e}")))?;
    let key_id = verification.key_id.as_str();
    // Cheap early refusal before fetching anything: a key id on another host than the actor's
    // can never belong to the actor.
    if vocab::host_of(key_id.split('#').next().unwrap_or_default()) != vocab::host_of(actor_uri) {
        return Err(Refusal::Forged(format!("key {key_id} does not belong to actor {actor_uri}")));
    }
    let (stored, may_refetch) = stored_actor(ctx, actor_uri).await?;
    if let Some(account) = stored {
        // The FEP-521a keys live in another column: read only when an Ed25519 signature needs them.
        let multikeys = match verification.algorithm {
            Algorithm::Ed25519 => accounts::assertion_keys(ctx.db, account.id).await?,
            Algorithm::RsaSha256 => Vec::new(),
        };
        let keys = ActorKeys { rsa: account.public_key_id.clone().zip(account.public_key_pem.clone()).into_iter().collect(), multikeys };
        if verify(ctx, &keys, &verification).await {
            return Ok(account);
        }
        if !may_refetch {
            return Err(Refusal::Forged(format!("signature does not verify with {key_id}")));
        }
    }
    // Unknown actor, or the key may have been rotated since we stored it: fetch it once.
    let unverified = actors::fetch_unverified(ctx, key_id, actor_uri).await.map_err(|e| fetch_refusal("signing key", e))?;
    if !verify(ctx, &unverified.keys, &verification).await {
        return Err(Refusal::Forged(format!("signature does not verify with {key_id} of {actor_uri}")));
    }
    actors::save_document(ctx, &unverified.document, actor_uri).await.map_err(|e| fetch_refusal("actor", e))
}

/// Whether `v` verifies with the key of its id among `keys`.
async fn verify(ctx: &Ctx<'_>, keys: &ActorKeys, v: &Verification) -> bool {
    match v.algorithm {
        Algorithm::RsaSha256 => {
            let Some(pem) = keys.rsa_pem(&v.key_id) else { return false };
            ctx.crypto.rsa_verify(pem, &v.signing_input, &v.signature).await.unwrap_or(false)
        }
        Algorithm::Ed25519 => {
            let Some(key) = keys.multibase(&v.key_id).and_then(keys::ed25519_from_multibase) else { return false };
            let Ok(key) = ed25519_dalek::VerifyingKey::from_bytes(&key) else { return false };
            let Ok(signature) = ed25519_dalek::Signature::from_slice(&v.signature) else { return false };
            key.verify_strict(&v.signing_input, &signature).is_ok()
        }
    }
}

/// FEP-8b32: an activity relayed without an HTTP signature, carrying an `eddsa-jcs-2022`
/// proof by a key the actor lists in `assertionMethod`.
async fn by_proof(ctx: &Ctx<'_>, activity: &Value, actor_uri: &str) -> Result<AccountRow, Refusal> {
    let method = proofs::verification_method(activity).ok_or_else(|| Refusal::Forged("proof has no verificationMethod".into()))?;
    if method.split('#').next() != Some(actor_uri) {
        return Err(Refusal::Forged(format!("proof key {method} does not belong to actor {actor_uri}")));
    }
    let proof_holds = |multibase: Option<&str>| match multibase.and_then(keys::ed25519_from_multibase) {
        Some(key) => proofs::verify(activity, &key).map_err(|e| Refusal::Forged(format!("proof: {e}"))),
        None => Err(Refusal::Forged(format!("{actor_uri} does not list {method} in assertionMethod"))),
    };
    let (stored, may_refetch) = stored_actor(ctx, actor_uri).await?;
    if let Some(account) = stored {
        let keys = ActorKeys { rsa: Vec::new(), multikeys: accounts::assertion_keys(ctx.db, account.id).await? };
        let known = keys.multibase(method);
        if known.is_some() || !may_refetch {
            proof_holds(known)?;
            return Ok(account);
        }
    }
    let unverified = actors::fetch_unverified(ctx, method, actor_uri).await.map_err(|e| fetch_refusal("actor", e))?;
    proof_holds(unverified.keys.multibase(method))?;
    actors::save_document(ctx, &unverified.document, actor_uri).await.map_err(|e| fetch_refusal("actor", e))
}
