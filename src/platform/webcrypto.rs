//! `Crypto` over the Worker's WebCrypto. RSA, ECDH, ECDSA and AES-GCM run natively inside workerd here,
//! ten times faster than the same code compiled to Wasm (shared/BENCHMARKING.md).
use async_trait::async_trait;
use js_sys::{Array, Object, Reflect, Uint8Array};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{CryptoKey, SubtleCrypto};

use crate::crypto::keys;
use crate::crypto::{Crypto, CryptoError, EcdhAgreement};

pub struct WebCrypto;

fn crypto() -> web_sys::Crypto {
    // workerd's global scope has `crypto` but is not a `WorkerGlobalScope` instance.
    Reflect::get(&js_sys::global(), &JsValue::from_str("crypto")).unwrap_or(JsValue::UNDEFINED).unchecked_into()
}

fn subtle() -> SubtleCrypto {
    crypto().subtle()
}

fn err(e: JsValue) -> CryptoError {
    CryptoError(e.as_string().or_else(|| e.dyn_ref::<js_sys::Error>().map(|e| String::from(e.message()))).unwrap_or_else(|| format!("{e:?}")))
}

fn object(entries: &[(&str, JsValue)]) -> Result<Object, CryptoError> {
    let object = Object::new();
    for (key, value) in entries {
        Reflect::set(&object, &JsValue::from_str(key), value).map_err(err)?;
    }
    Ok(object)
}

fn usages(names: &[&str]) -> JsValue {
    names.iter().map(|n| JsValue::from_str(n)).collect::<Array>().into()
}

async fn resolve(promise: Result<js_sys::Promise, JsValue>) -> Result<JsValue, CryptoError> {
    JsFuture::from(promise.map_err(err)?).await.map_err(err)
}

pub fn random_u16() -> u16 {
    let mut bytes = [0u8; 2];
    let _ = crypto().get_random_values_with_u8_array(&mut bytes);
    u16::from_le_bytes(bytes)
}

#[async_trait(?Send)]
impl Crypto for WebCrypto {
    fn random_bytes(&self, len: usize) -> Vec<u8> {
        let mut bytes = vec![0u8; len];
        // getRandomValues fails only above 65,536 bytes; callers ask for at most 32.
        for chunk in bytes.chunks_mut(65_536) {
            let _ = crypto().get_random_values_with_u8_array(chunk);
        }
        bytes
    }

    async fn rsa_sign(&self, private_pem: &str, data: &[u8]) -> Result<Vec<u8>, CryptoError> {
        let key = signing_key(private_pem).await?;
        let signature = resolve(subtle().sign_with_str_and_u8_array("RSASSA-PKCS1-v1_5", &key, data)).await?;
        Ok(Uint8Array::new(&signature).to_vec())
    }

    async fn rsa_verify(&self, public_pem: &str, data: &[u8], signature: &[u8]) -> Result<bool, CryptoError> {
        let der = keys::rsa_public_spki_der(public_pem).ok_or_else(|| CryptoError("public key is not PEM".into()))?;
        let key = import_rsa("spki", &der, "verify").await?;
        let verified = resolve(subtle().verify_with_str_and_u8_array_and_u8_array(
            "RSASSA-PKCS1-v1_5",
            &key,
            signature,
            data,
        ))
        .await?;
        Ok(verified.as_bool().unwrap_or(false))
    }

    async fn p256_ecdh_ephemeral(&self, peer_public: &[u8]) -> Result<EcdhAgreement, CryptoError> {
        let curve = object(&[("name", "ECDH".into()), ("namedCurve", "P-256".into())])?;
        let pair = resolve(subtle().generate_key_with_object(&curve, true, &usages(&["deriveBits"]))).await?;
        let get = |name: &str| Reflect::get(&pair, &JsValue::from_str(name)).map(JsCast::unchecked_into::<CryptoKey>).map_err(err);
        let (private, public) = (get("privateKey")?, get("publicKey")?);
        let raw: Object = Uint8Array::from(peer_public).into();
        let peer: CryptoKey = resolve(subtle().import_key_with_object("raw", &raw, &curve, false, &usages(&[]))).await?.unchecked_into();
        let derive = object(&[("name", "ECDH".into()), ("public", peer.into())])?;
        let shared = resolve(subtle().derive_bits_with_object(&derive, &private, 256)).await?;
        let public_key = Uint8Array::new(&resolve(subtle().export_key("raw", &public)).await?).to_vec();
        Ok(EcdhAgreement { public_key, shared_secret: Uint8Array::new(&shared).to_vec() })
    }

    async fn aes128gcm_seal(&self, key: &[u8; 16], nonce: &[u8; 12], plaintext: &[u8]) -> Result<Vec<u8>, CryptoError> {
        let raw: Object = Uint8Array::from(&key[..]).into();
        let aes = object(&[("name", "AES-GCM".into())])?;
        let key: CryptoKey = resolve(subtle().import_key_with_object("raw", &raw, &aes, false, &usages(&["encrypt"]))).await?.unchecked_into();
        let algorithm = object(&[("name", "AES-GCM".into()), ("iv", Uint8Array::from(&nonce[..]).into())])?;
        let sealed = resolve(subtle().encrypt_with_object_and_u8_array(&algorithm, &key, plaintext)).await?;
        Ok(Uint8Array::new(&sealed).to_vec())
    }

    async fn ecdsa_p256_sign(&self, private_pem: &str, data: &[u8]) -> Result<Vec<u8>, CryptoError> {
        let der = keys::pem_to_der(private_pem).ok_or_else(|| CryptoError("private key is not PEM".into()))?;
        let raw: Object = Uint8Array::from(&der[..]).into();
        let curve = object(&[("name", "ECDSA".into()), ("namedCurve", "P-256".into())])?;
        let key: CryptoKey = resolve(subtle().import_key_with_object("pkcs8", &raw, &curve, false, &usages(&["sign"]))).await?.unchecked_into();
        let algorithm = object(&[("name", "ECDSA".into()), ("hash", "SHA-256".into())])?;
        let signature = resolve(subtle().sign_with_object_and_u8_array(&algorithm, &key, data)).await?;
        Ok(Uint8Array::new(&signature).to_vec())
    }
}

thread_local! {
    // Importing a PKCS#8 key costs about as much as a signature (bench/federation.sh); an
    // isolate signs with one or two keys (the owner's, the instance actor's), so keep them.
    static SIGNING_KEYS: std::cell::RefCell<Vec<(String, CryptoKey)>> = const { std::cell::RefCell::new(Vec::new()) };
}

async fn signing_key(private_pem: &str) -> Result<CryptoKey, CryptoError> {
    if let Some(key) = SIGNING_KEYS.with(|keys| keys.borrow().iter().find(|(pem, _)| pem == private_pem).map(|(_, k)| k.clone())) {
        return Ok(key);
    }
    let der = keys::pem_to_der(private_pem).ok_or_else(|| CryptoError("private key is not PEM".into()))?;
    let key = import_rsa("pkcs8", &der, "sign").await?;
    SIGNING_KEYS.with(|keys| {
        let mut keys = keys.borrow_mut();
        keys.truncate(3);
        keys.push((private_pem.to_string(), key.clone()));
    });
    Ok(key)
}

async fn import_rsa(format: &str, der: &[u8], usage: &str) -> Result<CryptoKey, CryptoError> {
    let algorithm = object(&[("name", "RSASSA-PKCS1-v1_5".into()), ("hash", "SHA-256".into())])?;
    let raw: Object = Uint8Array::from(der).into();
    Ok(resolve(subtle().import_key_with_object(format, &raw, &algorithm, false, &usages(&[usage]))).await?.unchecked_into())
}
