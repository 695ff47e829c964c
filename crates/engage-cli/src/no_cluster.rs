//! Stands in for `cluster/` in an engage built without the `cluster` feature: every cluster
//! option is a usage error that says how to build with it.

use datafusion::execution::SessionState;
use datafusion::prelude::{SessionConfig, SessionContext};

use crate::args::{Role, SecurityOptions};
use crate::exec::Failure;

fn without_cluster_support() -> Failure {
    Failure::Usage(
        "this engage was built without cluster support; build it with \
         `cargo build --release --bin engage --features cluster`"
            .to_string(),
    )
}

pub fn client_config(_: &SecurityOptions) -> Result<SessionConfig, Failure> {
    Err(without_cluster_support())
}

pub async fn client_session(_: SessionState, _: &str) -> Result<SessionContext, Failure> {
    Err(without_cluster_support())
}

pub async fn run(_: Role) -> Result<(), Failure> {
    Err(without_cluster_support())
}
