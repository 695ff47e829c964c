//! `unbounded_retention(user_id, event_time, period, periods [, start_time])`: retention
//! counting a user as retained in period k when active in period k or any later one
//! (Amplitude's "unbounded", PostHog's "on or after"). Everything but that rule is
//! [`retention`](crate::retention)'s.

use crate::common::metric::shared_overloaded_udaf;
use crate::retention::{RETURN_ARG, UnboundedRetention, UnboundedRetentionByEvents};

shared_overloaded_udaf!(
    /// The `unbounded_retention` aggregate function.
    unbounded_retention_udaf,
    UnboundedRetention,
    UnboundedRetentionByEvents,
    RETURN_ARG + 1
);
