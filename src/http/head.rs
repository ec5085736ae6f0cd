//! `HEAD` wherever `GET` is served (load balancers probe `HEAD /healthz`), done once for
//! every route rather than as a second route each; the OpenAPI document lists `GET` only.

use std::convert::Infallible;
use std::pin::Pin;
use std::task::{Context, Poll};

use actix_web::HttpMessage;
use actix_web::body::{BodySize, EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::Method;
use actix_web::middleware::Next;
use actix_web::web::Bytes;

/// Routes a `HEAD` request as the `GET` it asks about and answers with the same status and
/// headers, `Content-Length` included, and no body. Must run before anything that clones
/// the request (rewriting the method needs the only reference to it).
pub async fn head_as_get<B: MessageBody + 'static>(
    mut req: ServiceRequest,
    next: Next<B>,
) -> Result<ServiceResponse<EitherBody<B, Headless>>, actix_web::Error> {
    if req.method() != Method::HEAD {
        return next.call(req).await.map(ServiceResponse::map_into_left_body);
    }
    req.head_mut().method = Method::GET;
    req.extensions_mut().insert(AskedAsHead);
    let res = next.call(req).await?;
    Ok(res.map_body(|_, body| EitherBody::right(Headless(body.size()))))
}

/// Marks a request that came as `HEAD` and is routed as `GET`: HTTP Digest signs the
/// method the client sent (F4), so the phone side must know it.
#[derive(Clone, Copy, Debug)]
pub struct AskedAsHead;

/// The method the client sent.
pub fn method_as_sent(req: &actix_web::HttpRequest) -> Method {
    if req.extensions().get::<AskedAsHead>().is_some() { Method::HEAD } else { req.method().clone() }
}

/// The body of a `HEAD` answer: the size of the `GET` body it stands for, and no bytes.
pub struct Headless(BodySize);

impl MessageBody for Headless {
    type Error = Infallible;

    fn size(&self) -> BodySize {
        self.0
    }

    fn poll_next(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<Option<Result<Bytes, Infallible>>> {
        Poll::Ready(None)
    }
}
