//! [`ServiceError`] → gRPC status, through the runtime's one table: bad input carries a
//! `google.rpc.BadRequest` with one field violation per field; a store that cannot be reached is
//! `UNAVAILABLE`; internal errors are logged with their cause and answered with a fixed message.

use tonic::Status;

use crate::app::errors::ServiceError;

pub fn status(error: ServiceError) -> Status {
    Status::from(error)
}
