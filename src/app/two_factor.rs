//! Two-factor authentication with TOTP (RFC 6238) and recovery codes: set up, checked at every
//! sign-in (`owner::attempt_sign_in`), turned off. The secret is made when the setup page is
//! shown and travels in its form until a code from it confirms it: nothing is stored before the
//! owner proved their app has it.
use crate::crypto::tokens;
use crate::ctx::Ctx;
use crate::domain::sessions::normalise_recovery_code;
use crate::domain::totp;
use crate::store::sessions::{self as store, OtpRow};

use super::error::Error;

/// 160 bits, the HMAC-SHA-1 key length RFC 4226 §4 recommends.
const SECRET_BYTES: usize = 20;
/// As many as Mastodon gives.
pub const RECOVERY_CODES: usize = 10;

/// The owner's TOTP secret, when two-factor authentication is on.
pub async fn enabled(ctx: &Ctx<'_>, account_id: i64) -> Result<Option<OtpRow>, Error> {
    Ok(store::get_otp(ctx.db, account_id).await?)
}

/// A fresh secret for the setup page.
pub fn new_secret(ctx: &Ctx<'_>) -> Vec<u8> {
    ctx.crypto.random_bytes(SECRET_BYTES)
}

/// Turns two-factor authentication on with `secret` (as the setup form sent it back) if `code`
/// is its current code; answers the recovery codes, shown once and stored hashed.
pub async fn enable(ctx: &Ctx<'_>, account_id: i64, secret_text: &str, code: &str) -> Result<Vec<String>, Error> {
    let secret = totp::parse_secret(secret_text).filter(|s| s.len() == SECRET_BYTES).ok_or_else(|| Error::Invalid("The setup form is damaged: reload the page and scan the new code.".into()))?;
    let Some(step) = totp::verify(&secret, code, ctx.now_ms(), 0) else {
        return Err(Error::Invalid("That code is not right: check your app's time and type the current code.".into()));
    };
    if store::get_otp(ctx.db, account_id).await?.is_some() {
        return Err(Error::Invalid("Two-factor authentication is already on.".into()));
    }
    let codes: Vec<String> = (0..RECOVERY_CODES).map(|_| new_recovery_code(ctx)).collect();
    let mut queries = vec![store::enable_otp(account_id, &totp::secret_text(&secret), step, ctx.now_ms())];
    queries.extend(codes.iter().map(|code| store::add_recovery_code(account_id, &tokens::hash(&normalise_recovery_code(code)))));
    ctx.db.batch(&queries).await?;
    Ok(codes)
}

/// Turns two-factor authentication off (the caller checked a code through
/// `owner::attempt_sign_in`).
pub async fn disable(ctx: &Ctx<'_>, account_id: i64) -> Result<(), Error> {
    ctx.db.batch(&store::disable_otp(account_id)).await?;
    Ok(())
}

pub async fn recovery_codes_left(ctx: &Ctx<'_>, account_id: i64) -> Result<i64, Error> {
    Ok(store::unused_recovery_codes(ctx.db, account_id).await?)
}

/// Whether `typed` is a current code not used before, or an unused recovery code; either is
/// spent by this check, atomically, so two requests cannot both use it.
pub async fn check(ctx: &Ctx<'_>, account_id: i64, otp: &OtpRow, typed: &str) -> Result<bool, Error> {
    let now = ctx.now_ms();
    let secret = totp::parse_secret(&otp.secret).ok_or_else(|| Error::Internal("a stored TOTP secret is not base32".into()))?;
    if let Some(step) = totp::verify(&secret, typed, now, otp.last_used_step) {
        return Ok(ctx.db.run(&store::use_step(account_id, step)).await? == 1);
    }
    let normalised = normalise_recovery_code(typed);
    if normalised.len() != RECOVERY_CODE_CHARS {
        return Ok(false);
    }
    Ok(ctx.db.run(&store::use_recovery_code(account_id, &tokens::hash(&normalised), now)).await? == 1)
}

/// 40 random bits as ten hex digits, shown in two groups (Mastodon's are ten hex digits too):
/// each is good for one sign-in, and guesses count against the sign-in rate limit.
const RECOVERY_CODE_CHARS: usize = 10;

fn new_recovery_code(ctx: &Ctx<'_>) -> String {
    let hex = tokens::hex(&ctx.crypto.random_bytes(RECOVERY_CODE_CHARS / 2));
    format!("{}-{}", &hex[..5], &hex[5..])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::owner::{self, attempt_sign_in, Factors, SignInCheck};
    use crate::testing::TestEnv;

    fn current_code(env: &TestEnv, secret: &[u8]) -> String {
        format!("{:06}", totp::code(secret, totp::step_at(env.ctx().now_ms())))
    }

    async fn enabled_env() -> (TestEnv, Vec<u8>, Vec<String>) {
        let env = TestEnv::new();
        let ctx = env.ctx();
        let owner = owner::account(&ctx).await.unwrap();
        let secret = new_secret(&ctx);
        let codes = enable(&ctx, owner.id, &totp::secret_text(&secret), &current_code(&env, &secret)).await.unwrap();
        (env, secret, codes)
    }

    #[tokio::test(flavor = "current_thread")]
    async fn setup_needs_a_right_code_and_gives_ten_recovery_codes() {
        let env = TestEnv::new();
        let ctx = env.ctx();
        let owner = owner::account(&ctx).await.unwrap();
        let secret = new_secret(&ctx);
        let wrong = format!("{:06}", (current_code(&env, &secret).parse::<u32>().unwrap() + 1) % 1_000_000);
        assert!(enable(&ctx, owner.id, &totp::secret_text(&secret), &wrong).await.is_err());
        assert!(enabled(&ctx, owner.id).await.unwrap().is_none());
        let codes = enable(&ctx, owner.id, &totp::secret_text(&secret), &current_code(&env, &secret)).await.unwrap();
        assert_eq!(codes.len(), RECOVERY_CODES);
        assert_eq!(recovery_codes_left(&ctx, owner.id).await.unwrap(), 10);
    }

    #[tokio::test(flavor = "current_thread")]
    async fn with_two_factor_the_password_alone_is_not_enough_and_a_code_works_once() {
        let (env, secret, _) = enabled_env().await;
        let ctx = env.ctx();
        assert_eq!(attempt_sign_in(&ctx, "k", Factors::Password("secret password")).await.unwrap(), SignInCheck::SecondFactorRequired);
        env.advance(totp::STEP_SECONDS * 1000);
        let code = current_code(&env, &secret);
        assert_eq!(attempt_sign_in(&ctx, "k", Factors::PasswordAndCode("wrong", &code)).await.unwrap(), SignInCheck::Wrong);
        assert_eq!(attempt_sign_in(&ctx, "k", Factors::PasswordAndCode("secret password", &code)).await.unwrap(), SignInCheck::Correct);
        assert_eq!(attempt_sign_in(&ctx, "k", Factors::Code(&code)).await.unwrap(), SignInCheck::Wrong, "the same step again");
    }

    #[tokio::test(flavor = "current_thread")]
    async fn a_recovery_code_works_once_in_any_case() {
        let (env, _, codes) = enabled_env().await;
        let ctx = env.ctx();
        let code = codes[3].to_uppercase();
        assert_eq!(attempt_sign_in(&ctx, "k", Factors::Code(&code)).await.unwrap(), SignInCheck::Correct);
        assert_eq!(attempt_sign_in(&ctx, "k", Factors::Code(&code)).await.unwrap(), SignInCheck::Wrong);
        let owner = owner::account(&ctx).await.unwrap();
        assert_eq!(recovery_codes_left(&ctx, owner.id).await.unwrap(), 9);
    }

    #[tokio::test(flavor = "current_thread")]
    async fn a_code_alone_is_nothing_without_two_factor() {
        let env = TestEnv::new();
        assert_eq!(attempt_sign_in(&env.ctx(), "k", Factors::Code("123456")).await.unwrap(), SignInCheck::Wrong);
    }

    #[tokio::test(flavor = "current_thread")]
    async fn a_right_password_does_not_clear_wrong_codes() {
        let (env, _, _) = enabled_env().await;
        let ctx = env.ctx();
        for _ in 0..owner::MAX_PASSWORD_FAILURES / 2 {
            attempt_sign_in(&ctx, "k", Factors::Password("secret password")).await.unwrap();
            attempt_sign_in(&ctx, "k", Factors::Code("abcde-00000")).await.unwrap();
        }
        assert_eq!(attempt_sign_in(&ctx, "k", Factors::Password("secret password")).await.unwrap(), SignInCheck::RateLimited);
    }

    #[tokio::test(flavor = "current_thread")]
    async fn a_bot_sending_the_right_password_does_not_lock_the_account() {
        let (env, _, codes) = enabled_env().await;
        let ctx = env.ctx();
        for attempt in 0..2 * owner::MAX_ACCOUNT_PASSWORD_FAILURES {
            let address = format!("bot{}", attempt % 50);
            assert_eq!(attempt_sign_in(&ctx, &address, Factors::Password("secret password")).await.unwrap(), SignInCheck::SecondFactorRequired);
        }
        assert_eq!(attempt_sign_in(&ctx, "owner", Factors::Code(&codes[0])).await.unwrap(), SignInCheck::Correct);
    }

    #[tokio::test(flavor = "current_thread")]
    async fn disabling_removes_the_secret_and_the_recovery_codes() {
        let (env, _, codes) = enabled_env().await;
        let ctx = env.ctx();
        let owner = owner::account(&ctx).await.unwrap();
        disable(&ctx, owner.id).await.unwrap();
        assert!(enabled(&ctx, owner.id).await.unwrap().is_none());
        assert_eq!(attempt_sign_in(&ctx, "k", Factors::Code(&codes[0])).await.unwrap(), SignInCheck::Wrong);
        assert_eq!(attempt_sign_in(&ctx, "k", Factors::Password("secret password")).await.unwrap(), SignInCheck::Correct);
    }
}
