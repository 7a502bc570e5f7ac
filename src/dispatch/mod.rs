//! Dispatching: the routing tree that decides which aggregation groups (and
//! so which receivers) an alert belongs to, the groups themselves, and the
//! dispatcher that flushes them on their timers.

pub mod dispatcher;
pub mod group;
pub mod route;

pub use dispatcher::{Dispatcher, FlushHandler, RestoredTimer, TimerSink};
pub use group::{AggrGroup, Flush, GroupRoute};
pub use route::{Route, RouteOpts};
