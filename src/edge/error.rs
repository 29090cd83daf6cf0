//! `ApiError`: the one error type handlers return, and the only place that turns an error into
//! a response. Messages are Mastodon's own; internal details are logged, never sent.
use serde_json::json;

use super::http::Response;
use crate::app::error::Error as AppError;
use crate::crypto::CryptoError;
use crate::edge::params::ParamsError;
use crate::store::db::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("Record not found")]
    NotFound,
    #[error("The access token is invalid")]
    InvalidToken,
    #[error("This method requires an authenticated user")]
    UserRequired,
    #[error("This action is outside the authorized scopes")]
    Scope,
    #[error("This action is not allowed")]
    Forbidden,
    #[error("{0}")]
    BadRequest(String),
    #[error("Validation failed: {0}")]
    Invalid(String),
    #[error("Request body is too large")]
    PayloadTooLarge,
    #[error("Too many requests")]
    RateLimited,
    /// A federation request whose signature or proof did not verify.
    #[error("{0}")]
    Unauthorized(String),
    /// Another server that this request depends on did not answer; trying later may work.
    #[error("{0}")]
    Unavailable(String),
    /// RFC 6749 §5.2 errors from the OAuth endpoints.
    #[error("{error}")]
    OAuth { status: u16, error: &'static str, description: String },
    #[error("Internal server error")]
    Internal(#[source] Box<dyn std::error::Error>),
}

impl ApiError {
    pub fn status(&self) -> u16 {
        match self {
            ApiError::NotFound => 404,
            ApiError::InvalidToken => 401,
            ApiError::Scope | ApiError::Forbidden => 403,
            ApiError::BadRequest(_) => 400,
            ApiError::Invalid(_) | ApiError::UserRequired => 422,
            ApiError::PayloadTooLarge => 413,
            ApiError::RateLimited => 429,
            ApiError::Unauthorized(_) => 401,
            ApiError::Unavailable(_) => 503,
            ApiError::OAuth { status, .. } => *status,
            ApiError::Internal(_) => 500,
        }
    }

    pub fn oauth(status: u16, error: &'static str, description: impl Into<String>) -> ApiError {
        ApiError::OAuth { status, error, description: description.into() }
    }

    pub fn into_response(self) -> Response {
        let body = match &self {
            ApiError::OAuth { error, description, .. } => {
                json!({"error": error, "error_description": description})
            }
            ApiError::Internal(source) => {
                // The only place internal errors are reported: the log, never the client.
                crate::ctx::log_error(&format!("internal error: {source}"));
                json!({"error": self.to_string()})
            }
            _ => json!({"error": self.to_string()}),
        };
        let mut response = Response::json(self.status(), &body);
        match self {
            ApiError::InvalidToken => {
                response = response.header("WWW-Authenticate", "Bearer realm=\"Doorkeeper\", error=\"invalid_token\"");
            }
            // RFC 6749 §5.2: a 401 for failed client authentication names the scheme to use.
            ApiError::OAuth { status: 401, .. } => {
                response = response.header("WWW-Authenticate", "Basic realm=\"Doorkeeper\"");
            }
            _ => {}
        }
        response
    }
}

/// A use case's verdict in HTTP's words.
impl From<AppError> for ApiError {
    fn from(e: AppError) -> Self {
        match e {
            AppError::NotFound => ApiError::NotFound,
            AppError::Forbidden => ApiError::Forbidden,
            AppError::Invalid(why) => ApiError::Invalid(why),
            AppError::Malformed(why) => ApiError::BadRequest(why),
            AppError::Unauthenticated(why) => ApiError::Unauthorized(why),
            AppError::RetryLater(why) => ApiError::Unavailable(why),
            AppError::Internal(source) => ApiError::Internal(source),
        }
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        ApiError::Internal(Box::new(e))
    }
}

impl From<CryptoError> for ApiError {
    fn from(e: CryptoError) -> Self {
        ApiError::Internal(Box::new(e))
    }
}

impl From<ParamsError> for ApiError {
    fn from(e: ParamsError) -> Self {
        ApiError::BadRequest(e.to_string())
    }
}


#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_are_mastodon_json_with_status() {
        let r = ApiError::NotFound.into_response();
        assert_eq!(r.status, 404);
        assert_eq!(r.header_value("content-type"), Some("application/json; charset=utf-8"));
        assert_eq!(r.body, br#"{"error":"Record not found"}"#);
    }

    #[test]
    fn oauth_errors_carry_a_description() {
        let r = ApiError::oauth(400, "invalid_grant", "reused").into_response();
        let v: serde_json::Value = serde_json::from_slice(&r.body).unwrap();
        assert_eq!(v["error"], "invalid_grant");
        assert_eq!(v["error_description"], "reused");
    }

    #[test]
    fn internal_errors_hide_their_source() {
        let r = ApiError::from(StoreError::Database("no such table: secrets".into())).into_response();
        assert_eq!(r.status, 500);
        assert!(!String::from_utf8_lossy(&r.body).contains("secrets"));
    }
}
