//! The instance's one local user. Created at first start from configuration (ADMIN_*) and the key
//! scripts/provision.mjs left for it; afterwards loaded per request through the isolate cache.
use crate::crypto::keys;
use crate::crypto::tokens::constant_time_eq;
use crate::ctx::Ctx;
use crate::app::error::Error;
use crate::store::accounts::{self, AccountRow, LocalUserRow, NewLocalAccount};
use crate::store::db::decode;
use crate::store::instance::{self, InstanceKeysRow};
use crate::store::rate_limits;

/// How long an isolate trusts its cached copy of the owner's row. Writes in this isolate clear
/// the cache at once; another isolate's profile edit shows here within this time.
pub const FRESH_MS: i64 = 10_000;

/// Password attempts checked per client address (an IPv6 /64) within `PASSWORD_WINDOW_MS`; a
/// success clears the address's count.
pub const MAX_PASSWORD_FAILURES: i64 = 10;
pub const PASSWORD_WINDOW_MS: i64 = 15 * 60 * 1000;
/// Password attempts checked for the owner across all addresses within
/// `ACCOUNT_PASSWORD_WINDOW_MS`. Enough for the owner's own typos; an attacker with thousands of
/// addresses still gets only this many guesses an hour, at the price of locking the password
/// (not existing tokens) for the rest of the hour.
pub const MAX_ACCOUNT_PASSWORD_FAILURES: i64 = 100;
pub const ACCOUNT_PASSWORD_WINDOW_MS: i64 = 60 * 60 * 1000;

pub use crate::store::accounts::LocalAccount as Owner;

/// The owner's account, creating it on first start.
pub async fn account(ctx: &Ctx<'_>) -> Result<AccountRow, Error> {
    Ok(load(ctx).await?.account)
}

/// The owner: account, settings and keys, through the isolate cache.
pub async fn load(ctx: &Ctx<'_>) -> Result<Owner, Error> {
    let now = ctx.now_ms();
    if let Some((loaded_at, owner)) = ctx.cache.owner.borrow().as_ref() {
        if now - loaded_at < FRESH_MS {
            return Ok(owner.clone());
        }
    }
    let owner = match read(ctx).await? {
        Some(owner) => owner,
        None => {
            create(ctx).await?;
            read(ctx).await?.ok_or_else(|| Error::Internal("owner account missing after creation".into()))?
        }
    };
    *ctx.cache.owner.borrow_mut() = Some((now, owner.clone()));
    Ok(owner)
}

/// The owner's account and user rows, in one round trip; `None` before the first start.
async fn read(ctx: &Ctx<'_>) -> Result<Option<Owner>, Error> {
    let mut answers = ctx.db.batch_rows(&accounts::local_by_username_queries(&ctx.config.admin_username)).await?.into_iter();
    let Some(account) = decode::<AccountRow>(answers.next().unwrap_or_default())?.pop() else { return Ok(None) };
    let user = decode::<LocalUserRow>(answers.next().unwrap_or_default())?
        .pop()
        .ok_or_else(|| Error::Internal("owner account has no local user".into()))?;
    Ok(Some(Owner { account, user }))
}

/// The owner's statuses count moved by `delta` (a post, a boost, a deletion): the cached row
/// follows, as the write did in D1 (direct posts do not count), instead of being reloaded by the
/// next request (a round trip; a fifth of a post's CPU in bench/invocation-cpu.sh).
pub fn count_status(ctx: &Ctx<'_>, visibility: crate::domain::visibility::Visibility, delta: i64) {
    if visibility == crate::domain::visibility::Visibility::Direct {
        return;
    }
    if let Some((_, owner)) = ctx.cache.owner.borrow_mut().as_mut() {
        owner.account.statuses_count += delta;
        if delta > 0 {
            owner.account.last_status_at = Some(ctx.now_ms());
        }
    }
}

/// Forgets the cached owner row after this isolate changed it.
pub fn invalidate(ctx: &Ctx<'_>) {
    *ctx.cache.owner.borrow_mut() = None;
}

/// The owner, if `username` names them (case-insensitively, as handles are).
pub async fn account_named(ctx: &Ctx<'_>, username: &str) -> Result<Option<AccountRow>, Error> {
    Ok(named(ctx, username).await?.map(|owner| owner.account))
}

/// The owner with their keys and settings, if `username` names them.
pub async fn named(ctx: &Ctx<'_>, username: &str) -> Result<Option<Owner>, Error> {
    let owner = load(ctx).await?;
    Ok(owner.account.username.eq_ignore_ascii_case(username).then_some(owner))
}

/// The instance's keys, made by scripts/provision.mjs before the first request.
pub async fn instance_keys(ctx: &Ctx<'_>) -> Result<InstanceKeysRow, Error> {
    if let Some(keys) = ctx.cache.instance_keys.borrow().as_ref() {
        return Ok(keys.clone());
    }
    let keys = instance::get_keys(ctx.db).await?.ok_or_else(not_provisioned)?;
    *ctx.cache.instance_keys.borrow_mut() = Some(keys.clone());
    Ok(keys)
}

/// Generating keys in a request would cost 100–250 ms of CPU (the free plan allows 10), so a
/// database nobody provisioned is a setup mistake to name, not something to repair here.
fn not_provisioned() -> Error {
    Error::RetryLater(
        "This server's keys have not been created yet: run `make deploy` (or `node scripts/provision.mjs --remote`)".into(),
    )
}

/// The owner's account from configuration and the key provisioning left for it; cheap enough
/// for a request (an Ed25519 key is derived, not searched for).
async fn create(ctx: &Ctx<'_>) -> Result<(), Error> {
    let config = ctx.config;
    let username = config.admin_username.as_str();
    let key = instance::owner_key(ctx.db).await?.ok_or_else(not_provisioned)?;
    let seed: [u8; 32] = ctx.crypto.random_bytes(32).try_into().map_err(|_| Error::Internal("seed".into()))?;
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
        public_key_pem: &key.public_key_pem,
        email: &config.admin_email,
        rsa_private_key_pem: &key.private_key_pem,
        ed25519_private_key: &ed25519_private_key,
        ed25519_public_key: &ed25519_public_key,
        now: ctx.now_ms(),
    };
    ctx.db.batch(&accounts::create_local(&new)).await?;
    Ok(())
}

/// Checks the owner's password: the ADMIN_PASSWORD secret, compared in constant time. It is not
/// hashed into D1 because a PBKDF2 check costs 35 ms of CPU in workerd (bench/), more than the
/// free plan's 10 ms per request, and a cheaper hash would be weaker than no hash at all in
/// the database: the secret is stored encrypted by Cloudflare, and guesses are rate-limited
/// below. Without the secret, password logins are refused; existing tokens keep working.
pub fn check_password(ctx: &Ctx<'_>, password: &str) -> bool {
    use sha2::{Digest, Sha256};
    let Some(secret) = ctx.config.admin_password.as_deref() else { return false };
    // Digests, so that the comparison takes as long whatever the guess's length.
    constant_time_eq(&Sha256::digest(secret.as_bytes()), &Sha256::digest(password.as_bytes()))
}

/// Counts a password attempt against `key` (the client's address) *before* the password is
/// checked, so an attempt that is cut off halfway (a Worker over its CPU limit) still counts; a
/// success clears the address's count. Attempts that pass the address's limit count against
/// the account too, across every address, so that an attacker with many addresses gets no
/// more than `MAX_ACCOUNT_PASSWORD_FAILURES` wrong guesses a window. Attempts refused by their
/// address's limit don't count there, or one address alone could lock the owner out.
pub async fn attempt_password(ctx: &Ctx<'_>, key: &str, password: &str) -> Result<PasswordCheck, Error> {
    let now = ctx.now_ms();
    if rate_limits::hit(ctx.db, key, PASSWORD_WINDOW_MS, now).await? > MAX_PASSWORD_FAILURES {
        return Ok(PasswordCheck::RateLimited);
    }
    if rate_limits::hit(ctx.db, ACCOUNT_PASSWORD_KEY, ACCOUNT_PASSWORD_WINDOW_MS, now).await? > MAX_ACCOUNT_PASSWORD_FAILURES {
        return Ok(PasswordCheck::RateLimited);
    }
    if check_password(ctx, password) {
        // Only failures spend the account's budget: a right password gives back the slot this
        // attempt held (not those other attempts spent), so logins never lock the owner out.
        rate_limits::reset(ctx.db, key).await?;
        rate_limits::give_back(ctx.db, ACCOUNT_PASSWORD_KEY).await?;
        return Ok(PasswordCheck::Correct);
    }
    Ok(PasswordCheck::Wrong)
}

/// The rate-limit key of the owner's password across all addresses (one user per instance).
const ACCOUNT_PASSWORD_KEY: &str = "password-account";

#[derive(Debug, PartialEq, Eq)]
pub enum PasswordCheck {
    Correct,
    Wrong,
    RateLimited,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::TestEnv;

    #[tokio::test(flavor = "current_thread")]
    async fn the_configured_secret_is_the_password() {
        let env = TestEnv::new();
        let ctx = env.ctx();
        assert!(check_password(&ctx, "secret password"));
        assert!(!check_password(&ctx, "secret passwor"));
        assert!(!check_password(&ctx, ""));
    }

    #[tokio::test(flavor = "current_thread")]
    async fn without_the_secret_no_password_is_right() {
        let mut env = TestEnv::new();
        load(&env.ctx()).await.unwrap();
        env.config.admin_password = None;
        assert!(!check_password(&env.ctx(), "secret password"));
        assert!(!check_password(&env.ctx(), "!"));
        assert!(!check_password(&env.ctx(), ""));
    }

    #[tokio::test(flavor = "current_thread")]
    async fn failed_attempts_are_limited_and_a_success_clears_them() {
        let env = TestEnv::new();
        let ctx = env.ctx();
        for _ in 0..super::MAX_PASSWORD_FAILURES - 1 {
            assert_eq!(attempt_password(&ctx, "k", "wrong").await.unwrap(), PasswordCheck::Wrong);
        }
        assert_eq!(attempt_password(&ctx, "k", "secret password").await.unwrap(), PasswordCheck::Correct);
        for _ in 0..super::MAX_PASSWORD_FAILURES {
            attempt_password(&ctx, "k", "wrong").await.unwrap();
        }
        assert_eq!(attempt_password(&ctx, "k", "secret password").await.unwrap(), PasswordCheck::RateLimited);
        assert_eq!(attempt_password(&ctx, "other", "secret password").await.unwrap(), PasswordCheck::Correct);
    }

    #[tokio::test(flavor = "current_thread")]
    async fn concurrent_guesses_are_checked_no_more_often_than_the_limit() {
        use crate::store::testing::{run_interleaved, Interleaved};
        let env = TestEnv::new();
        load(&env.ctx()).await.unwrap();
        let db = Interleaved(&env.db);
        let ctx = Ctx { db: &db, ..env.ctx() };
        let guesses = (0..100).map(|i| Box::pin(attempt_password(&ctx, "k", if i == 99 { "secret password" } else { "wrong" })) as _).collect();
        let outcomes: Vec<PasswordCheck> = run_interleaved(guesses).await.into_iter().map(Result::unwrap).collect();
        let checked = outcomes.iter().filter(|o| **o != PasswordCheck::RateLimited).count();
        assert_eq!(checked as i64, super::MAX_PASSWORD_FAILURES, "{outcomes:?}");
    }

    #[tokio::test(flavor = "current_thread")]
    async fn guesses_from_many_addresses_share_the_accounts_budget() {
        use super::{MAX_ACCOUNT_PASSWORD_FAILURES, MAX_PASSWORD_FAILURES};
        let env = TestEnv::new();
        let ctx = env.ctx();
        for address in 0..MAX_ACCOUNT_PASSWORD_FAILURES / MAX_PASSWORD_FAILURES {
            for _ in 0..MAX_PASSWORD_FAILURES {
                assert_eq!(attempt_password(&ctx, &format!("a{address}"), "wrong").await.unwrap(), PasswordCheck::Wrong);
            }
        }
        assert_eq!(attempt_password(&ctx, "fresh", "secret password").await.unwrap(), PasswordCheck::RateLimited);
        env.advance(super::ACCOUNT_PASSWORD_WINDOW_MS);
        assert_eq!(attempt_password(&ctx, "fresh", "secret password").await.unwrap(), PasswordCheck::Correct);
    }

    #[tokio::test(flavor = "current_thread")]
    async fn right_passwords_never_spend_the_accounts_budget() {
        use super::MAX_ACCOUNT_PASSWORD_FAILURES;
        let env = TestEnv::new();
        let ctx = env.ctx();
        for login in 0..3 * MAX_ACCOUNT_PASSWORD_FAILURES {
            let address = format!("bot{}", login % 7);
            assert_eq!(attempt_password(&ctx, &address, "secret password").await.unwrap(), PasswordCheck::Correct, "login {login}");
        }
    }

    #[tokio::test(flavor = "current_thread")]
    async fn first_start_creates_one_owner_with_keys() {
        let env = TestEnv::new();
        let owner = load(&env.ctx()).await.unwrap();
        *env.cache.owner.borrow_mut() = None;
        let again = load(&env.ctx()).await.unwrap();
        assert_eq!(owner.account.id, again.account.id);
        assert_eq!(owner.account.uri, "https://social.example/users/alice");
        let provisioned = instance::owner_key(&env.db).await.unwrap().unwrap();
        assert_eq!(owner.account.public_key_pem.as_deref(), Some(provisioned.public_key_pem.as_str()));
        assert_eq!(owner.user.rsa_private_key_pem, provisioned.private_key_pem);
        assert_eq!(accounts::count_local(&env.db).await.unwrap(), 1);
    }

    #[tokio::test(flavor = "current_thread")]
    async fn an_unprovisioned_database_is_named_not_repaired() {
        let env = TestEnv::unprovisioned();
        let ctx = env.ctx();
        for error in [load(&ctx).await.unwrap_err(), instance_keys(&ctx).await.unwrap_err()] {
            assert!(matches!(&error, Error::RetryLater(why) if why.contains("provision")), "{error:?}");
        }
        assert_eq!(accounts::count_local(&env.db).await.unwrap(), 0);
    }
}
