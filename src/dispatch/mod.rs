//! Dispatching: the routing tree that decides which aggregation groups (and
//! so which receivers) an alert belongs to.

pub mod route;

pub use route::{Route, RouteOpts};
