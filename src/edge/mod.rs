//! The HTTP edge every surface shares: plain request and response types, Rails-style parameters,
//! bearer-token authorization, body limits, and `ApiError`, the one error type that becomes a
//! response. It knows HTTP and the use cases' errors, and nothing of any one API.
pub mod auth;
pub mod body;
pub mod error;
pub mod http;
pub mod params;
