//! The owner's browser sessions (docs/web.md, "Signing in"): started by a sign-in, found by the
//! cookie's token, ended by signing out, by revocation from the session list, or by time
//! (`domain::sessions`). The token is random and stored hashed; the CSRF token of every form is
//! derived from it.
use crate::crypto::tokens;
use crate::ctx::Ctx;
use crate::domain::sessions::{self as rules, Standing};
use crate::store::sessions::{self as store, NewSession, SessionRow};

use super::error::Error;

/// A session found by its cookie.
pub struct Session {
    pub row: SessionRow,
    /// The token the cookie carries: the key to the CSRF token.
    pub token: String,
}

impl Session {
    pub fn csrf_token(&self) -> String {
        rules::csrf_token(&self.token)
    }

    /// Whether a form's token is this session's.
    pub fn accepts(&self, form_token: &str) -> bool {
        tokens::constant_time_eq(form_token.as_bytes(), self.csrf_token().as_bytes())
    }

    pub fn awaiting_second_factor(&self) -> bool {
        self.row.awaiting_second_factor
    }
}

/// The session the cookie's `token` names, if it is still good: live, or past the password and
/// owing the second factor. An expired one is deleted as it is found; a live one's last use is
/// written down when the stored one is an hour old.
pub async fn find(ctx: &Ctx<'_>, token: &str) -> Result<Option<Session>, Error> {
    let hash = tokens::hash(token);
    let Some(row) = store::get_by_token(ctx.db, &hash).await? else { return Ok(None) };
    let now = ctx.now_ms();
    match rules::standing(row.created_at, row.last_used_at, row.awaiting_second_factor, now) {
        Standing::Expired => {
            ctx.db.run(&store::delete_by_token(&hash)).await?;
            Ok(None)
        }
        Standing::AwaitingSecondFactor => Ok(Some(Session { row, token: token.to_string() })),
        Standing::Live => {
            if rules::needs_touch(row.last_used_at, now) {
                ctx.db.run(&store::touch(row.id, now, now - rules::TOUCH_EVERY_MS)).await?;
            }
            Ok(Some(Session { row, token: token.to_string() }))
        }
    }
}

/// Starts a session after a right password: live, or owing the second factor. Answers the
/// cookie's token.
pub async fn start(ctx: &Ctx<'_>, account_id: i64, user_agent: Option<&str>, awaiting_second_factor: bool) -> Result<String, Error> {
    let token = tokens::new_secret(&ctx.crypto.random_bytes(32));
    let device = rules::device(user_agent);
    ctx.db
        .run(&store::create(&NewSession {
            id: ctx.new_id(),
            token_hash: &tokens::hash(&token),
            account_id,
            user_agent: &device,
            awaiting_second_factor,
            now: ctx.now_ms(),
        }))
        .await?;
    Ok(token)
}

/// The second factor was given: the pending session is replaced by a live one with a new token,
/// so that a token seen before the sign-in completed (session fixation) is worth nothing.
pub async fn complete_second_factor(ctx: &Ctx<'_>, pending: &Session) -> Result<String, Error> {
    let token = tokens::new_secret(&ctx.crypto.random_bytes(32));
    ctx.db
        .batch(&[
            store::delete_by_token(&tokens::hash(&pending.token)),
            store::create(&NewSession {
                id: ctx.new_id(),
                token_hash: &tokens::hash(&token),
                account_id: pending.row.account_id,
                user_agent: &pending.row.user_agent,
                awaiting_second_factor: false,
                now: ctx.now_ms(),
            }),
        ])
        .await?;
    Ok(token)
}

pub async fn end(ctx: &Ctx<'_>, session: &Session) -> Result<(), Error> {
    ctx.db.run(&store::delete_by_token(&tokens::hash(&session.token))).await?;
    Ok(())
}

pub async fn list(ctx: &Ctx<'_>, account_id: i64) -> Result<Vec<SessionRow>, Error> {
    let now = ctx.now_ms();
    let rows = store::list(ctx.db, account_id).await?;
    Ok(rows.into_iter().filter(|r| rules::standing(r.created_at, r.last_used_at, false, now) == Standing::Live).collect())
}

/// Ends one of the account's sessions (another device's, or this one).
pub async fn revoke(ctx: &Ctx<'_>, account_id: i64, id: i64) -> Result<(), Error> {
    ctx.db.run(&store::delete(id, account_id)).await?;
    Ok(())
}

/// Ends every session of the account but `keep`.
pub async fn revoke_others(ctx: &Ctx<'_>, keep: &Session) -> Result<(), Error> {
    ctx.db.run(&store::delete_all_but(keep.row.id, keep.row.account_id)).await?;
    Ok(())
}

/// Forgets the sessions that ended (the cron): nothing would read them again.
pub async fn forget_expired(ctx: &Ctx<'_>) -> Result<(), Error> {
    let now = ctx.now_ms();
    ctx.db.run(&store::delete_expired(now - rules::IDLE_MS, now - rules::ABSOLUTE_MS, now - rules::SECOND_FACTOR_MS)).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::TestEnv;

    #[tokio::test(flavor = "current_thread")]
    async fn a_session_lives_while_used_and_ends_when_idle() {
        let env = TestEnv::new();
        let ctx = env.ctx();
        let owner = crate::app::owner::account(&ctx).await.unwrap();
        let token = start(&ctx, owner.id, Some("Firefox"), false).await.unwrap();
        let found = find(&ctx, &token).await.unwrap().unwrap();
        assert_eq!(found.row.user_agent, "Firefox");
        assert!(found.accepts(&found.csrf_token()) && !found.accepts(""));
        env.advance(rules::IDLE_MS - 1);
        assert!(find(&ctx, &token).await.unwrap().is_some(), "used just in time");
        env.advance(rules::IDLE_MS - 1);
        assert!(find(&ctx, &token).await.unwrap().is_some(), "the last use was written down");
        env.advance(rules::IDLE_MS);
        assert!(find(&ctx, &token).await.unwrap().is_none());
        assert!(find(&ctx, "no such token").await.unwrap().is_none());
    }

    #[tokio::test(flavor = "current_thread")]
    async fn completing_the_second_factor_replaces_the_token() {
        let env = TestEnv::new();
        let ctx = env.ctx();
        let owner = crate::app::owner::account(&ctx).await.unwrap();
        let pending_token = start(&ctx, owner.id, None, true).await.unwrap();
        let pending = find(&ctx, &pending_token).await.unwrap().unwrap();
        assert!(pending.awaiting_second_factor());
        assert!(list(&ctx, owner.id).await.unwrap().is_empty(), "not listed before the second factor");
        let live = complete_second_factor(&ctx, &pending).await.unwrap();
        assert!(find(&ctx, &pending_token).await.unwrap().is_none());
        assert!(!find(&ctx, &live).await.unwrap().unwrap().awaiting_second_factor());
        let late = start(&ctx, owner.id, None, true).await.unwrap();
        env.advance(rules::SECOND_FACTOR_MS);
        assert!(find(&ctx, &late).await.unwrap().is_none());
    }

    #[tokio::test(flavor = "current_thread")]
    async fn revoking_others_keeps_this_one() {
        let env = TestEnv::new();
        let ctx = env.ctx();
        let owner = crate::app::owner::account(&ctx).await.unwrap();
        let mine = start(&ctx, owner.id, Some("mine"), false).await.unwrap();
        let other = start(&ctx, owner.id, Some("other"), false).await.unwrap();
        let third = start(&ctx, owner.id, Some("third"), false).await.unwrap();
        assert_eq!(list(&ctx, owner.id).await.unwrap().len(), 3);
        let third_id = find(&ctx, &third).await.unwrap().unwrap().row.id;
        revoke(&ctx, owner.id, third_id).await.unwrap();
        assert!(find(&ctx, &third).await.unwrap().is_none());
        revoke_others(&ctx, &find(&ctx, &mine).await.unwrap().unwrap()).await.unwrap();
        assert!(find(&ctx, &other).await.unwrap().is_none());
        assert!(find(&ctx, &mine).await.unwrap().is_some());
        env.advance(rules::ABSOLUTE_MS);
        forget_expired(&ctx).await.unwrap();
        assert!(list(&ctx, owner.id).await.unwrap().is_empty());
    }
}
