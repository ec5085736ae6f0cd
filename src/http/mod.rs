//! HTTP behaviour every answer shares, whatever route produced it: CORS for configured
//! browser origins, `HEAD` wherever `GET` is served, and the headers that keep browsers and
//! caches from misreading an answer. Each is an App-level middleware wired in `startup`, so
//! it also covers the 404/405 fallback, the token middleware's 401s and Swagger UI.

pub mod client_address;
pub mod cors;
pub mod etag;
pub mod head;
pub mod headers;
pub mod request_id;
