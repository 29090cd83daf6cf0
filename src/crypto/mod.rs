//! Secrets and keys: token hashing, password hashing, PKCE, and key encodings. The expensive
//! primitives (RSA, PBKDF2) come through `ctx::Crypto`; the rest is plain Rust that tests natively.
pub mod keys;
pub mod passwords;
pub mod tokens;

#[cfg(test)]
pub mod testing;
