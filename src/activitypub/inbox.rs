//! `POST /inbox` and `POST /users/{name}/inbox`: who sent this, and may they say it?
//! An activity is applied only when its HTTP signature (draft-cavage or RFC 9421) or its
//! FEP-8b32 proof verifies with a key that belongs to the activity's `actor`. Rejections are
//! logged and answered with a JSON error: 400 malformed, 401 bad signature or wrong key owner,
//! 413 too large (the router), 503 when the signer's server cannot be reached.
use serde_json::{json, Value};

use super::proofs;
use super::signatures::{self, Algorithm, RequestParts, Verification};
use super::vocab::{self, id_of};
use crate::crypto::keys;
use crate::ctx::Ctx;
use crate::federation::actors;
use crate::federation::fetch::FetchError;
use crate::federation::inbound::{self, Outcome};
use crate::router::error::{log_error, ApiError};
use crate::router::http::{Request, Response};
use crate::store::accounts::{self, AccountRow};
use crate::store::federation as store;

pub async fn post(ctx: &Ctx<'_>, req: &Request, username: Option<&str>) -> Result<Response, ApiError> {
    if let Some(name) = username {
        crate::owner::by_username(ctx, name).await?.ok_or(ApiError::NotFound)?;
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
    let actor = authenticate(ctx, req, &activity, actor_uri).await?;
    if !activity_id.is_empty() && store::seen(ctx.db, &activity_id).await? {
        return Ok((Outcome::Ignored("already applied"), activity_id));
    }
    let outcome = inbound::apply(ctx, &actor, &activity).await?;
    if !activity_id.is_empty() {
        ctx.db.run(&store::remember_seen(&activity_id, ctx.now_ms())).await?;
    }
    Ok((outcome, activity_id))
}

fn fetch_error(what: &str, e: FetchError) -> ApiError {
    if e.is_transient() {
        ApiError::Unavailable(format!("{what}: {e}"))
    } else {
        ApiError::Unauthorized(format!("{what}: {e}"))
    }
}

/// The account that provably sent `activity`: by HTTP signature, else by FEP-8b32 proof.
async fn authenticate(ctx: &Ctx<'_>, req: &Request, activity: &Value, actor_uri: &str) -> Result<AccountRow, ApiError> {
    let has_signature = req.header("signature").is_some() || req.header("authorization").is_some_and(|a| a.starts_with("Signature"));
    if has_signature {
        return by_http_signature(ctx, req, actor_uri).await;
    }
    if activity.get("proof").is_some() {
        return by_proof(ctx, activity, actor_uri).await;
    }
    Err(ApiError::Unauthorized("request is not signed".into()))
}

async fn by_http_signature(ctx: &Ctx<'_>, req: &Request, actor_uri: &str) -> Result<AccountRow, ApiError> {
    let target = if req.query.is_empty() { req.path.clone() } else { format!("{}?{}", req.path, req.query) };
    let scheme = ctx.config.public_url.split("://").next().unwrap_or("https");
    let authority = req.header("host").unwrap_or(&ctx.config.host).to_string();
    let parts = RequestParts { method: req.method.as_str(), url_path_and_query: &target, authority: &authority, scheme, headers: &req.headers };
    let verification = signatures::verification(&parts, &req.body, ctx.now_ms()).map_err(|e| ApiError::Unauthorized(format!("signature: {e}")))?;
    let key_actor = verification.key_id.split('#').next().unwrap_or_default();
    // Cheap early refusal before fetching anything: a key id on another host than the actor's
    // can never belong to the actor.
    if vocab::host_of(key_actor) != vocab::host_of(actor_uri) {
        return Err(ApiError::Unauthorized(format!("key {} does not belong to actor {actor_uri}", verification.key_id)));
    }
    let account = actors::by_key_id(ctx, &verification.key_id, false).await.map_err(|e| fetch_error("signing key", e))?;
    if account.uri != actor_uri {
        return Err(ApiError::Unauthorized(format!("key {} belongs to {}, not to actor {actor_uri}", verification.key_id, account.uri)));
    }
    if verify(ctx, &account, &verification).await? {
        return Ok(account);
    }
    // The key may have been rotated since we stored it: fetch it once more.
    let account = actors::by_key_id(ctx, &verification.key_id, true).await.map_err(|e| fetch_error("signing key", e))?;
    if account.uri == actor_uri && verify(ctx, &account, &verification).await? {
        return Ok(account);
    }
    Err(ApiError::Unauthorized(format!("signature does not verify with {}", verification.key_id)))
}

async fn verify(ctx: &Ctx<'_>, account: &AccountRow, v: &Verification) -> Result<bool, ApiError> {
    match v.algorithm {
        Algorithm::RsaSha256 => {
            let Some(pem) = &account.public_key_pem else { return Ok(false) };
            Ok(ctx.crypto.rsa_verify(pem, &v.signing_input, &v.signature).await.unwrap_or(false))
        }
        Algorithm::Ed25519 => {
            let Some(key) = assertion_key(ctx, account, &v.key_id).await? else { return Ok(false) };
            let Ok(key) = ed25519_dalek::VerifyingKey::from_bytes(&key) else { return Ok(false) };
            let Ok(signature) = ed25519_dalek::Signature::from_slice(&v.signature) else { return Ok(false) };
            Ok(key.verify_strict(&v.signing_input, &signature).is_ok())
        }
    }
}

/// The Ed25519 key `key_id` that `account` lists in `assertionMethod` (FEP-521a).
async fn assertion_key(ctx: &Ctx<'_>, account: &AccountRow, key_id: &str) -> Result<Option<[u8; 32]>, ApiError> {
    let keys = accounts::assertion_keys(ctx.db, account.id).await?;
    Ok(keys.iter().find(|(id, _)| id == key_id).and_then(|(_, multibase)| keys::ed25519_from_multibase(multibase)))
}

/// FEP-8b32: an activity relayed without an HTTP signature, carrying an `eddsa-jcs-2022`
/// proof by a key the actor lists in `assertionMethod`.
async fn by_proof(ctx: &Ctx<'_>, activity: &Value, actor_uri: &str) -> Result<AccountRow, ApiError> {
    let method = proofs::verification_method(activity).ok_or_else(|| ApiError::Unauthorized("proof has no verificationMethod".into()))?;
    if method.split('#').next() != Some(actor_uri) {
        return Err(ApiError::Unauthorized(format!("proof key {method} does not belong to actor {actor_uri}")));
    }
    let mut account = actors::get_or_fetch(ctx, actor_uri).await.map_err(|e| fetch_error("actor", e))?;
    for attempt in 0..2 {
        if let Some(key) = assertion_key(ctx, &account, method).await? {
            return match proofs::verify(activity, &key) {
                Ok(()) => Ok(account),
                Err(e) => Err(ApiError::Unauthorized(format!("proof: {e}"))),
            };
        }
        if attempt == 0 {
            account = actors::refresh(ctx, actor_uri).await.map_err(|e| fetch_error("actor", e))?;
        }
    }
    Err(ApiError::Unauthorized(format!("{actor_uri} does not list {method} in assertionMethod")))
}
