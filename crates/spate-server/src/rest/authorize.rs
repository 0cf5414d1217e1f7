//! Rights by route, after the guard has said who the request comes from ([`Principal`]): a
//! job's routes need the right to see it (`GET`) or to control it (any other method), a
//! partition's messages need `READ` on its topic, `/metrics` needs `DESCRIBE` on the cluster
//! ([`crate::rights`] has the whole table). Lists leave out what the principal may not see in
//! their handlers; submissions check their tables when they are planned; a registry subject
//! (`/schemas/subjects/{subject}`, any name, percent-encoded) is checked by its handler, which
//! has the decoded name.

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::Method;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use spate_broker::acl::{Operation, Resource};

use super::{ApiError, AppState};
use crate::error::ServerError;
use crate::principal::Principal;

pub(super) async fn check(State(app): State<Arc<AppState>>, request: Request, next: Next) -> Response {
    // No principal: a static file, which needs none.
    let Some(who) = request.extensions().get::<Principal>().cloned() else {
        return next.run(request).await;
    };
    let reads = matches!(*request.method(), Method::GET | Method::HEAD);
    let segments: Vec<&str> = request.uri().path().split('/').skip(1).collect();
    let verdict = match segments.as_slice() {
        ["jobs", id, ..] if *id != "overview" => match app.manager.get(id) {
            // An unknown id is the handler's 404.
            Err(_) => Ok(()),
            Ok(job) => {
                let owner = job.owner();
                app.rights
                    .check_view_job(&who, owner.as_ref(), id)
                    .and_then(|()| match reads {
                        true => Ok(()),
                        false => app.rights.check_control_job(&who, owner.as_ref()),
                    })
            }
        },
        ["kafka", "topics", topic, ..] if topic.contains('%') => Err(ServerError::BadRequest(
            "a topic name needs no escapes (topics are named with letters, digits, '.', '_' and '-')".into(),
        )),
        ["kafka", "topics", topic, ..] => {
            app.rights
                .check(&who, Operation::Read, Resource::topic(topic), "read this topic")
        }
        ["metrics"] => app.rights.check(
            &who,
            Operation::Describe,
            Resource::cluster(),
            "read the server's metrics",
        ),
        _ => Ok(()),
    };
    match verdict {
        Ok(()) => next.run(request).await,
        Err(e) => ApiError(e).into_response(),
    }
}
