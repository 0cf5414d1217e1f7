//! Who the client is to the catalog: nothing, a static bearer `token`, or OAuth2 client
//! credentials (`credential` = `client_id:client_secret`) exchanged at `oauth2-server-uri` (or
//! the spec's deprecated `<uri>/v1/oauth/tokens`) for a bearer token, fetched again shortly
//! before it expires or when the server refuses it. The token is fetched before `GET /v1/config`, as servers guard that
//! route too; so the token endpoint comes from the client's properties, not the server's.

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use super::config::{CREDENTIAL, OAUTH2_SERVER_URI, SCOPE, TOKEN, URI};
use super::http::{self, Body, Endpoint, Transport, encode};
use super::model::{ErrorResponse, TokenResponse};

/// How requests are authorized.
pub(crate) enum Auth {
    /// No `Authorization` header.
    None,
    /// `Authorization: Bearer <token>`.
    Token(String),
    /// A token from the OAuth2 client-credentials grant.
    ClientCredentials(OAuth2),
}

impl std::fmt::Debug for Auth {
    // Credentials never reach a log line.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Auth::None => f.write_str("None"),
            Auth::Token(_) => f.write_str("Token(***)"),
            Auth::ClientCredentials(o) => write!(f, "ClientCredentials({})", o.endpoint.url(&o.path)),
        }
    }
}

/// The client-credentials grant and its current token.
pub(crate) struct OAuth2 {
    endpoint: Endpoint,
    path: String,
    /// The form body (holds the secret).
    form: String,
    cached: Mutex<Option<(String, Option<Instant>)>>,
}

impl Auth {
    /// The authorization the client's properties ask for (`credential` wins over `token`, as
    /// in Java, where the token is what the credential is exchanged for).
    pub(crate) fn from_properties(props: &BTreeMap<String, String>) -> Result<Auth, String> {
        let Some(credential) = props.get(CREDENTIAL) else {
            return Ok(props.get(TOKEN).map_or(Auth::None, |t| Auth::Token(t.clone())));
        };
        let (endpoint, path) = match props.get(OAUTH2_SERVER_URI) {
            Some(uri) => (Endpoint::parse(uri)?, String::new()),
            None => {
                let uri = props.get(URI).ok_or("no `uri` property")?;
                (Endpoint::parse(uri)?, "/v1/oauth/tokens".to_owned())
            }
        };
        let mut form = String::from("grant_type=client_credentials");
        match credential.split_once(':') {
            Some((id, secret)) => form.push_str(&format!(
                "&client_id={}&client_secret={}",
                encode(id),
                encode(secret)
            )),
            None => form.push_str(&format!("&client_secret={}", encode(credential))),
        }
        let scope = props.get(SCOPE).map_or("catalog", String::as_str);
        form.push_str(&format!("&scope={}", encode(scope)));
        Ok(Auth::ClientCredentials(OAuth2 {
            endpoint,
            path,
            form,
            cached: Mutex::new(None),
        }))
    }

    /// The `Authorization` header's value, fetching a token first when needed.
    pub(crate) fn header(&self, transport: &Transport) -> Result<Option<String>, String> {
        match self {
            Auth::None => Ok(None),
            Auth::Token(t) => Ok(Some(format!("Bearer {t}"))),
            Auth::ClientCredentials(o) => o.token(transport).map(|t| Some(format!("Bearer {t}"))),
        }
    }

    /// Forgets a fetched token (the server refused it: revoked, rotated, expired early);
    /// `false` when there is nothing to fetch again (no credential).
    pub(crate) fn forget_token(&self) -> bool {
        match self {
            Auth::ClientCredentials(o) => {
                if let Ok(mut cached) = o.cached.lock() {
                    *cached = None;
                }
                true
            }
            Auth::None | Auth::Token(_) => false,
        }
    }

    /// The token endpoint, for choosing TLS.
    pub(crate) fn endpoint(&self) -> Option<&Endpoint> {
        match self {
            Auth::ClientCredentials(o) => Some(&o.endpoint),
            Auth::None | Auth::Token(_) => None,
        }
    }
}

impl OAuth2 {
    fn token(&self, transport: &Transport) -> Result<String, String> {
        let mut cached = self.cached.lock().map_err(|_| "token lock poisoned".to_owned())?;
        if let Some((token, refresh_at)) = cached.as_ref()
            && refresh_at.is_none_or(|at| Instant::now() < at)
        {
            return Ok(token.clone());
        }
        let url = self.endpoint.url(&self.path);
        let response = http::send(
            transport,
            &self.endpoint,
            "POST",
            &self.path,
            None,
            Some(Body::Form(self.form.as_bytes())),
        )
        .map_err(|e| format!("OAuth2 token request to {url}: {e}"))?;
        if response.status != 200 {
            let why = serde_json::from_slice::<ErrorResponse>(&response.body)
                .map(|e| e.describe(response.status))
                .unwrap_or_else(|_| {
                    String::from_utf8_lossy(&response.body)
                        .chars()
                        .take(300)
                        .collect()
                });
            return Err(format!(
                "OAuth2 token request to {url}: HTTP {}: {why}",
                response.status
            ));
        }
        let answer: TokenResponse = serde_json::from_slice(&response.body)
            .map_err(|e| format!("OAuth2 token response from {url}: {e}"))?;
        // Refresh a little before expiry so a request never carries a token that lapses in flight.
        let refresh_at = answer.expires_in.map(|secs| {
            let life = Duration::from_secs(secs);
            Instant::now() + life - (life / 10).min(Duration::from_secs(60))
        });
        *cached = Some((answer.access_token.clone(), refresh_at));
        Ok(answer.access_token)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn props(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn properties_choose_the_scheme() {
        assert!(matches!(Auth::from_properties(&props(&[])), Ok(Auth::None)));
        let t = Auth::from_properties(&props(&[("token", "s3cret")])).expect("token");
        assert_eq!(format!("{t:?}"), "Token(***)");
        let transport = Transport {
            timeouts: http::Timeouts {
                connect: Duration::from_secs(1),
                socket: Duration::from_secs(1),
            },
            tls: None,
        };
        assert_eq!(
            t.header(&transport).expect("header").as_deref(),
            Some("Bearer s3cret")
        );
        let c = Auth::from_properties(&props(&[("uri", "http://h:1/api"), ("credential", "me:p&w")]))
            .expect("cred");
        let Auth::ClientCredentials(o) = &c else {
            panic!("{c:?}")
        };
        assert_eq!(o.endpoint.url(&o.path), "http://h:1/api/v1/oauth/tokens");
        assert_eq!(
            o.form,
            "grant_type=client_credentials&client_id=me&client_secret=p%26w&scope=catalog"
        );
        assert!(!format!("{c:?}").contains("p&w"));
        let c = Auth::from_properties(&props(&[
            ("credential", "only-secret"),
            ("oauth2-server-uri", "http://idp:9/token"),
            ("scope", "PRINCIPAL_ROLE:ALL"),
        ]))
        .expect("cred");
        let Auth::ClientCredentials(o) = &c else {
            panic!("{c:?}")
        };
        assert_eq!(o.endpoint.url(&o.path), "http://idp:9/token");
        assert!(
            o.form
                .ends_with("&client_secret=only-secret&scope=PRINCIPAL_ROLE%3AALL")
        );
    }
}
