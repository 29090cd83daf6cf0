//! The instance's one local user. Created at first start from configuration (ADMIN_*), together
//! with the instance keys; afterwards loaded per request through the isolate cache.
use crate::crypto::{keys, passwords};
use crate::ctx::Ctx;
use crate::router::error::ApiError;
use crate::store::accounts::{self, AccountRow, LocalUserRow, NewLocalAccount};
use crate::store::instance::{self, InstanceKeysRow};

/// How long an isolate trusts its cached copy of the owner's row. Writes in this isolate clear
/// the cache at once; another isolate's profile edit shows here within this time.
pub const FRESH_MS: i64 = 10_000;

/// The owner's public account row and private settings and keys.
#[derive(Clone, Debug)]
pub struct Owner {
    pub account: AccountRow,
    pub user: LocalUserRow,
}

/// The owner's account, creating it (and the instance keys) on first start.
pub async fn load(ctx: &Ctx<'_>) -> Result<AccountRow, ApiError> {
    Ok(load_owner(ctx).await?.account)
}

pub async fn load_owner(ctx: &Ctx<'_>) -> Result<Owner, ApiError> {
    let now = ctx.now_ms();
    if let Some((loaded_at, owner)) = ctx.cache.owner.borrow().as_ref() {
        if now - loaded_at < FRESH_MS {
            return Ok(owner.clone());
        }
    }
    let account = match accounts::get_local_by_username(ctx.db, &ctx.config.admin_username).await? {
        Some(row) => row,
        None => {
            create(ctx).await?;
            accounts::get_local_by_username(ctx.db, &ctx.config.admin_username)
                .await?
                .ok_or_else(|| ApiError::Internal("owner account missing after creation".into()))?
        }
    };
    let user = accounts::get_local_user(ctx.db, account.id)
        .await?
        .ok_or_else(|| ApiError::Internal("owner account has no local user".into()))?;
    let owner = Owner { account, user };
    *ctx.cache.owner.borrow_mut() = Some((now, owner.clone()));
    Ok(owner)
}

/// Forgets the cached owner row after this isolate changed it.
pub fn invalidate(ctx: &Ctx<'_>) {
    *ctx.cache.owner.borrow_mut() = None;
}

/// The owner, if `username` names them (case-insensitively, as handles are).
pub async fn by_username(ctx: &Ctx<'_>, username: &str) -> Result<Option<AccountRow>, ApiError> {
    let owner = load(ctx).await?;
    Ok(owner.username.eq_ignore_ascii_case(username).then_some(owner))
}

pub async fn instance_keys(ctx: &Ctx<'_>) -> Result<InstanceKeysRow, ApiError> {
    if let Some(keys) = ctx.cache.instance_keys.borrow().as_ref() {
        return Ok(keys.clone());
    }
    let keys = match instance::get_keys(ctx.db).await? {
        Some(keys) => keys,
        None => {
            create_instance_keys(ctx).await?;
            instance::get_keys(ctx.db).await?.ok_or_else(|| ApiError::Internal("instance keys missing".into()))?
        }
    };
    *ctx.cache.instance_keys.borrow_mut() = Some(keys.clone());
    Ok(keys)
}

async fn create_instance_keys(ctx: &Ctx<'_>) -> Result<(), ApiError> {
    let (rsa_private_key_pem, rsa_public_key_pem) = ctx.crypto.generate_rsa_key_pair().await?;
    let (vapid_private_key_pem, vapid_public_key) = ctx.crypto.generate_p256_key_pair().await?;
    let keys = InstanceKeysRow { rsa_private_key_pem, rsa_public_key_pem, vapid_private_key_pem, vapid_public_key };
    ctx.db.run(&instance::create_keys(&keys, ctx.now_ms())).await?;
    Ok(())
}

async fn create(ctx: &Ctx<'_>) -> Result<(), ApiError> {
    let config = ctx.config;
    let username = config.admin_username.as_str();
    // Without a configured password the account exists but nobody can log in until one is set.
    let password_hash = match &config.admin_password {
        Some(password) => passwords::hash(ctx.crypto, password).await?,
        None => "!".to_string(),
    };
    let (rsa_private_key_pem, public_key_pem) = ctx.crypto.generate_rsa_key_pair().await?;
    let seed: [u8; 32] = ctx.crypto.random_bytes(32).try_into().map_err(|_| ApiError::Internal("seed".into()))?;
    let (ed25519_private_key, ed25519_public_key) = keys::ed25519_from_seed(&seed);
    let actor = config.actor_url(username);
    let links = |suffix: &str| format!("{actor}{suffix}");
    let new = NewLocalAccount {
        id: ctx.new_id(),
        username,
        uri: &actor,
        url: &config.profile_url(username),
        inbox_url: &links("/inbox"),
        shared_inbox_url: &config.url("/inbox"),
        outbox_url: &links("/outbox"),
        followers_url: &links("/followers"),
        following_url: &links("/following"),
        featured_url: &links("/collections/featured"),
        public_key_id: &links("#main-key"),
        public_key_pem: &public_key_pem,
        email: &config.admin_email,
        password_hash: &password_hash,
        rsa_private_key_pem: &rsa_private_key_pem,
        ed25519_private_key: &ed25519_private_key,
        ed25519_public_key: &ed25519_public_key,
        now: ctx.now_ms(),
    };
    ctx.db.batch(&accounts::create_local(&new)).await?;
    Ok(())
}

/// Checks the owner's password. The configured ADMIN_PASSWORD secret is the source of truth: when
/// it no longer matches the stored hash (the secret was rotated), a login with the new secret
/// succeeds and replaces the hash, which retires the old password.
pub async fn check_password(ctx: &Ctx<'_>, account_id: i64, password: &str) -> Result<bool, ApiError> {
    let Some(user) = accounts::get_local_user(ctx.db, account_id).await? else { return Ok(false) };
    if passwords::verify(ctx.crypto, password, &user.password_hash).await? {
        return Ok(true);
    }
    let matches_secret = ctx
        .config
        .admin_password
        .as_deref()
        .is_some_and(|secret| crate::crypto::tokens::constant_time_eq(secret.as_bytes(), password.as_bytes()));
    if matches_secret {
        let hash = passwords::hash(ctx.crypto, password).await?;
        ctx.db.run(&accounts::set_password_hash(account_id, &hash)).await?;
    }
    Ok(matches_secret)
}
